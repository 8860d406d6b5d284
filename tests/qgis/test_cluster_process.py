"""SCHEDULER through qgis_process on a real Dask cluster (issue 19): a scheduler and two worker processes started
on localhost as a user would (tests/dask_cluster.py: `python -m dask scheduler|worker`, the plugin's parent folder
and its dependency folder on PYTHONPATH), one worker killed mid-run, the output checked against the in-process
run; a qgis_process killed mid-run and run again resumes. No mocks."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from qgis_scenes import QGIS_PROCESS, ROOT, img_gt, qgis_process_runner, read, write_raster

pytest.importorskip("distributed")  # installed by `make test-deps`; EPITOME_STRICT fails a skip
sys.path.insert(0, os.path.join(ROOT, "tests"))
from dask_cluster import DaskCluster  # noqa: E402

pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.skipif(not os.path.exists(QGIS_PROCESS), reason="qgis_process.bin not installed"),
]
JOB = ".epitome-job-"
SETTINGS = ["TILE_SIZE=128", "SAMPLES=0.1", "EM_ITERATIONS=5", "APPEARANCE_ITERATIONS=2", "DEVICE=cpu", "SEED=0"]


@pytest.fixture(scope="module")
def qp(tmp_path_factory):
    run = qgis_process_runner(tmp_path_factory.mktemp("qgis_process_cluster"))
    enabled = run("plugins", "enable", "epitome")
    assert enabled.returncode == 0 or "already" in (enabled.stdout + enabled.stderr).lower(), enabled.stderr
    return run


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """300 x 300 px (3 x 3 tiles of 128): two kinds of ground, classes 41 | 82, and the in-process labels."""
    d = tmp_path_factory.mktemp("cluster_scene")
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:300, :300]
    kind = (xx < 150) ^ ((yy // 40 + xx // 40) % 5 == 0)
    img = np.where(kind[None], rng.integers(30, 80, (3, 300, 300)), rng.integers(170, 200, (3, 300, 300)))
    img_path = write_raster(d / "img.tif", img.astype(np.uint8), img_gt())
    cls_path = write_raster(d / "cls.tif", np.where(xx < 150, 41, 82).astype(np.uint8), img_gt())
    return str(img_path), str(cls_path), d


def args(scene, out, scheduler=""):
    img, cls, _ = scene
    extra = [f"SCHEDULER={scheduler}"] if scheduler else []
    return ["run", "epitome:selfepitomiclsr", "--", f"IMAGERY={img}", f"CLASSES={cls}", *SETTINGS, *extra,
            f"OUTPUT={out}"]


@pytest.fixture(scope="module")
def in_process(qp, scene):
    out = scene[2] / "inprocess.tif"
    p = qp(*args(scene, out))
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return read(out)


def tiles_written(folder):
    jobs = [n for n in os.listdir(folder) if JOB in n]
    if not jobs:
        return 0  # finished tiles only, not one being written when the run was killed (its '.tmp.npz')
    return len([n for n in os.listdir(os.path.join(folder, jobs[0])) if n.endswith(".npz") and ".tmp" not in n])


def test_worker_killed_mid_run_same_output(qp, scene, in_process, tmp_path):
    with DaskCluster(workers=2) as cluster:
        out = tmp_path / "cluster.tif"
        proc = subprocess.Popen([QGIS_PROCESS, *args(scene, out, cluster.address)], env=qp.environment,
                                cwd=str(qp.base), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        end = time.time() + 300
        while time.time() < end and proc.poll() is None and tiles_written(tmp_path) < 1:
            time.sleep(0.05)
        cluster.kill_worker(0)
        log, _ = proc.communicate(timeout=400)
        assert proc.returncode == 0, log[-4000:] + cluster.logs()
    assert "the Dask cluster at tcp://127.0.0.1" in log
    got = read(out)
    assert np.mean(got == in_process) >= 0.999
    assert not [n for n in os.listdir(tmp_path) if JOB in n or ".partial" in n]


def test_killed_run_resumes(qp, scene, in_process, tmp_path):
    out = tmp_path / "resumed.tif"
    proc = subprocess.Popen([QGIS_PROCESS, *args(scene, out, "local:1")], env=qp.environment, cwd=str(qp.base),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    end = time.time() + 300
    while time.time() < end and proc.poll() is None and tiles_written(tmp_path) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, 9)  # qgis_process and its local workers, as a machine that goes down
    proc.wait(30)
    done = tiles_written(tmp_path)
    assert done >= 3 and not out.exists()
    p = qp(*args(scene, out, "local:1"))
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert f"Resuming: {done} of 9 tile(s)" in p.stdout + p.stderr
    assert np.mean(read(out) == in_process) >= 0.999
    assert not [n for n in os.listdir(tmp_path) if JOB in n or ".partial" in n]


def test_malformed_scheduler_is_refused_early(qp, scene, tmp_path):
    p = qp(*args(scene, tmp_path / "x.tif", "local:two"))
    assert p.returncode != 0
    assert "SCHEDULER 'local:two' is not understood" in p.stdout + p.stderr
    assert not (tmp_path / "x.tif").exists()
