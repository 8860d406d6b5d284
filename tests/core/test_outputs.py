"""io.outputs: the one atomic-output helper every writer uses."""

import os

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
