"""io.outputs: the one atomic-output helper every writer uses."""

import os
import time

import pytest

from algorithms.errors import Cancelled, EpitomeError
from algorithms.io.outputs import AtomicOutputs, atomic_output, partial_path, write_text


def test_files_appear_only_when_the_block_succeeds(tmp_path):
    a, b = tmp_path / "a.tif", tmp_path / "b.csv"
    with AtomicOutputs() as outs:
        ta, tb = outs.reserve(str(a), "A"), outs.reserve(str(b), "B")
        assert ta.endswith(".partial.tif") and tb.endswith(".partial.csv")  # GDAL picks drivers by extension
        for t in (ta, tb):
            with open(t, "w") as fh:
                fh.write("x")
        with open(ta + ".aux.xml", "w") as fh:
            fh.write("<PAMDataset/>")
        assert not a.exists() and not b.exists()
    assert a.read_text() == "x" and b.read_text() == "x"
    assert (tmp_path / "a.tif.aux.xml").exists()  # the sidecar travels with its raster
    assert sorted(os.listdir(tmp_path)) == ["a.tif", "a.tif.aux.xml", "b.csv"]


@pytest.mark.parametrize("error", [Cancelled, RuntimeError, KeyboardInterrupt])
def test_failure_or_cancel_leaves_the_targets_untouched(tmp_path, error):
    target = tmp_path / "out.csv"
    target.write_text("old")
    (tmp_path / "out.csv.aux.xml").write_text("old stats")
    with pytest.raises(error):
        with atomic_output(str(target), "CSV") as tmp:
            with open(tmp, "w") as fh:
                fh.write("half")
            raise error()
    assert target.read_text() == "old" and (tmp_path / "out.csv.aux.xml").read_text() == "old stats"
    assert sorted(os.listdir(tmp_path)) == ["out.csv", "out.csv.aux.xml"]


def test_replacing_a_file_drops_its_stale_sidecar(tmp_path):
    target = tmp_path / "r.tif"
    target.write_text("old")
    (tmp_path / "r.tif.aux.xml").write_text("statistics of the old raster")
    write_text(str(target), "new")
    assert target.read_text() == "new" and not (tmp_path / "r.tif.aux.xml").exists()


def test_unwritable_folder_is_a_clear_error(tmp_path):
    if os.geteuid() == 0:  # root writes anywhere: a path below a file cannot be created by anyone
        bad = tmp_path / "file.txt"
        bad.write_text("")
        path = str(bad / "out.csv")
    else:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        path = str(ro / "out.csv")
    with pytest.raises(EpitomeError, match="out.csv|cannot"):
        write_text(path, "x", "CSV")


def test_partial_names_are_hidden_and_unique(tmp_path):
    p = str(tmp_path / "labels.tif")
    a, b = partial_path(p), partial_path(p)
    assert a != b and os.path.basename(a).startswith(".labels.tif.") and os.path.dirname(a) == str(tmp_path)


def test_output_equal_to_an_input_is_refused(tmp_path):
    from algorithms.io.outputs import check_distinct_paths

    img = tmp_path / "imagery.tif"
    img.write_text("the user's data")
    link = tmp_path / "link.tif"
    os.symlink(img, link)
    with pytest.raises(EpitomeError, match="OUTPUT and IMAGERY are the same file"):
        check_distinct_paths([("IMAGERY", str(img))], [("OUTPUT", str(link))])
    with pytest.raises(EpitomeError, match="OUTPUT and IMAGERY are the same file"):
        check_distinct_paths([("IMAGERY", str(img))], [("OUTPUT", str(tmp_path / "sub" / ".." / "imagery.tif"))])
    with pytest.raises(EpitomeError, match="CONFIDENCE and OUTPUT are the same file"):
        check_distinct_paths([], [("OUTPUT", str(tmp_path / "a.tif")), ("CONFIDENCE", str(tmp_path / "a.tif"))])
    check_distinct_paths([("IMAGERY", str(img))], [("OUTPUT", str(tmp_path / "a.tif")), ("CONFIDENCE", "")])


def dead_pid():
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_partials_of_the_same_output_are_removed(tmp_path):
    """A run killed by SIGKILL leaves its partial files; the next run writing the same output removes them, but
    not those of a process still running, of another machine, of another output, or a recent one of an older
    version (no process in its name)."""
    from algorithms.io import outputs as o

    target = tmp_path / "labels.tif"
    dead = f".labels.tif.{o.HOST}-{dead_pid()}-1a2b3c4d.partial.tif"
    stale = [dead, dead + ".aux.xml", ".labels.tif.9f8e7d6c.partial.tif"]
    keep = [f".labels.tif.{o.HOST}-{os.getpid()}-00aa11bb.partial.tif",  # a live process (this one)
            f".labels.tif.{'0' * 6 if o.HOST != '0' * 6 else '1' * 6}-{dead_pid()}-22cc33dd.partial.tif",  # elsewhere
            f".other.tif.{o.HOST}-{dead_pid()}-44ee55ff.partial.tif", ".labels.tif.66aa77bb.partial.tif"]
    for n in stale + keep:
        (tmp_path / n).write_text("x")
    old = time.time() - 2 * o.OLD_PARTIAL_AGE_S
    os.utime(tmp_path / ".labels.tif.9f8e7d6c.partial.tif", (old, old))
    with atomic_output(str(target), "OUTPUT") as tmp:
        with open(tmp, "w") as fh:
            fh.write("new")
    assert target.read_text() == "new"
    left = sorted(n for n in os.listdir(tmp_path) if n != "labels.tif")
    assert left == sorted(keep), left


SIGTERM_SCRIPT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from algorithms.io.outputs import AtomicOutputs
with AtomicOutputs() as outs:
    tmp = outs.reserve(sys.argv[2], "OUTPUT")
    with open(tmp, "w") as fh:
        fh.write("half")
    open(tmp + ".aux.xml", "w").close()
    print("WRITING", flush=True)
    while True:
        time.sleep(0.01)  # a job writing rows, between two rows
"""


def test_sigterm_while_writing_leaves_no_partial_file(tmp_path):
    import signal
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = tmp_path / "labels.tif"
    p = subprocess.Popen([sys.executable, "-c", SIGTERM_SCRIPT, root, str(target)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "WRITING"
    assert any(".partial" in n for n in os.listdir(tmp_path))
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=20) == -signal.SIGTERM  # it still ends as SIGTERM ends a process
    p.stdout.close()
    assert os.listdir(tmp_path) == []
