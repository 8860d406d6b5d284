"""Self-epitomic LSR on a real Dask cluster (SCHEDULER; algorithms/distributed/): a LocalCluster and a scheduler
with worker processes started as a user would (tests/dask_cluster.py), a worker killed mid-run, a client killed
mid-run and resumed, against the in-process run. No mocks."""

import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from osgeo import gdal

torch = pytest.importorskip("torch")
pytest.importorskip("distributed")  # installed by `make test-deps` (dask-deps); EPITOME_STRICT fails a skip

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from dask_cluster import DaskCluster, free_port, worker_pythonpath  # noqa: E402
from test_pipeline import Recorder, write  # noqa: E402

from algorithms.composition.table import load_composition  # noqa: E402
from algorithms.distributed.jobfolder import JOB_SUFFIX  # noqa: E402
from algorithms.errors import EpitomeError  # noqa: E402
from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr  # noqa: E402
from algorithms.lsr.params import LsrParams  # noqa: E402

PARAMS = dict(samples=0.1, em_iterations=5, appearance_iterations=2)


def scene(tmp_path, H=300, W=300):
    """Two kinds of ground in two class blocks, with a patch of the other kind inside each: 3 x 3 tiles of 128."""
    rng = np.random.default_rng(3)
    img = np.empty((3, H, W), np.uint8)
    dark = rng.integers(30, 80, (3, H, W))
    bright = rng.integers(170, 200, (3, H, W))
    yy, xx = np.mgrid[:H, :W]
    kind = (xx < W // 2) ^ ((yy // 40 + xx // 40) % 5 == 0)
    img[:] = np.where(kind[None], dark, bright)
    cls = np.where(xx < W // 2, 41, 82).astype(np.uint8)
    return str(write(tmp_path / "img.tif", img)), str(write(tmp_path / "cls.tif", cls))


def job(img, cls, out, scheduler=""):
    outs = LsrOutputs(str(out), str(out).replace(".tif", "_p.tif"))
    return LsrJob(img, cls, load_composition(None), outs, tile_size=128, params=LsrParams(**PARAMS), device="cpu",
                  scheduler=scheduler)


def read(path):
    return gdal.Open(str(path)).ReadAsArray()


def job_folders(tmp_path):
    return [n for n in os.listdir(tmp_path) if JOB_SUFFIX in n]


def finished_tiles(folder):
    """Tiles in a job folder as a resumed run counts them: not the temporary file of a tile being written when the
    client was killed (jobfolder.save_arrays: '<tile>.npz.<id>.tmp.npz', renamed when complete)."""
    return len([n for n in os.listdir(folder) if n.endswith(".npz") and ".tmp" not in n])


def agreement(a, b):
    return float((a == b).mean())


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The in-process run of the scene (labels, probabilities)."""
    d = tmp_path_factory.mktemp("inprocess")
    img, cls = scene(d)
    stats = run_self_epitomic_lsr(job(img, cls, d / "ref.tif"), Recorder())
    return img, cls, read(d / "ref.tif"), read(d / "ref_p.tif"), stats


def test_local_cluster_equals_in_process(reference, tmp_path):
    img, cls, labels, probs, stats = reference
    fb = Recorder()
    got = run_self_epitomic_lsr(job(img, cls, tmp_path / "c.tif", "local:2"), fb)
    assert got["tiles"] == stats["tiles"] == 9
    assert agreement(read(tmp_path / "c.tif"), labels) >= 0.999
    np.testing.assert_allclose(read(tmp_path / "c_p.tif"), probs, atol=1e-4)
    assert fb.prog[-1] == pytest.approx(100.0)
    assert job_folders(tmp_path) == []  # removed once the outputs are in place
    assert gdal.Open(str(tmp_path / "c.tif")).GetRasterBand(1).GetOverviewCount() == 0  # 300 px: none needed
    assert any("local Dask cluster of 2" in m for m in fb.msgs)


def test_worker_killed_mid_run_same_result(reference, tmp_path):
    img, cls, labels, _, _ = reference
    with DaskCluster(workers=2) as cluster:
        fb, box = Recorder(), {}
        t = threading.Thread(target=lambda: box.update(
            stats=run_self_epitomic_lsr(job(img, cls, tmp_path / "k.tif", cluster.address), fb)))
        t.start()
        end = time.time() + 120
        while time.time() < end and not any(JOB_SUFFIX in n and os.listdir(tmp_path / n)[1:]
                                            for n in os.listdir(tmp_path)):
            time.sleep(0.05)  # until the first tile is written (the manifest plus one file)
        cluster.kill_worker(0)
        t.join(300)
        assert "stats" in box, cluster.logs()
    assert agreement(read(tmp_path / "k.tif"), labels) >= 0.999
    assert job_folders(tmp_path) == []


CLIENT = textwrap.dedent("""
    import sys
    sys.path[:0] = {paths!r}
    from test_cluster import job
    from algorithms.lsr.job import run_self_epitomic_lsr
    run_self_epitomic_lsr(job({img!r}, {cls!r}, {out!r}, "local:1"))
""")


def test_client_killed_then_resumed(reference, tmp_path):
    """The client (and its LocalCluster) killed after some tiles: no output, the job folder kept; the same command
    again reuses the tiles done and gives the in-process result."""
    img, cls, labels, _, _ = reference
    here = os.path.dirname(os.path.abspath(__file__))
    code = CLIENT.format(paths=[here] + worker_pythonpath().split(os.pathsep), img=img, cls=cls,
                         out=str(tmp_path / "r.tif"))
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    end = time.time() + 180
    folder = None
    while time.time() < end and proc.poll() is None:
        names = job_folders(tmp_path)
        if names and finished_tiles(tmp_path / names[0]) >= 3:
            folder = tmp_path / names[0]
            break
        time.sleep(0.05)
    os.killpg(proc.pid, 9)
    proc.wait(30)
    assert folder is not None, "the client finished or wrote no tile before it was killed"
    assert not os.path.exists(tmp_path / "r.tif")
    done = finished_tiles(folder)
    fb = Recorder()
    run_self_epitomic_lsr(job(img, cls, tmp_path / "r.tif", "local:1"), fb)
    assert any(m.startswith(f"Resuming: {done} of 9 tile(s)") for m in fb.msgs), fb.msgs
    assert agreement(read(tmp_path / "r.tif"), labels) >= 0.999
    assert job_folders(tmp_path) == []


def test_unreachable_scheduler_says_so_within_seconds(reference, tmp_path):
    img, cls, _, _, _ = reference
    t0 = time.time()
    with pytest.raises(EpitomeError, match="no Dask scheduler answered"):
        run_self_epitomic_lsr(job(img, cls, tmp_path / "u.tif", f"tcp://127.0.0.1:{free_port()}"), Recorder())
    assert time.time() - t0 < 20
    assert not os.path.exists(tmp_path / "u.tif")


def test_malformed_scheduler(reference, tmp_path):
    img, cls, _, _, _ = reference
    with pytest.raises(EpitomeError, match="not understood.*local:N"):
        run_self_epitomic_lsr(job(img, cls, tmp_path / "m.tif", "locl:2"), Recorder())


def test_baselines_on_a_cluster_equal_in_process(reference, tmp_path):
    from algorithms.evaluate.baselines import BaselineJob, run_baselines

    img, cls, _, _, _ = reference
    comp = load_composition(None)
    here = BaselineJob(img, cls, comp, str(tmp_path / "n.tif"), str(tmp_path / "s.tif"))
    there = BaselineJob(img, cls, comp, str(tmp_path / "nc.tif"), str(tmp_path / "sc.tif"), scheduler="local:2")
    fb = Recorder()
    assert run_baselines(there, fb) == run_baselines(here, Recorder())
    np.testing.assert_array_equal(read(tmp_path / "nc.tif"), read(tmp_path / "n.tif"))
    np.testing.assert_array_equal(read(tmp_path / "sc.tif"), read(tmp_path / "s.tif"))
    assert any("Strip(s) run on a local Dask cluster of 2" in m for m in fb.msgs), fb.msgs
    assert job_folders(tmp_path) == []


def test_predict_on_a_cluster_equals_in_process(tmp_path):
    from test_epitome_apply import FAST, embed, exemplar_model, textures
    from test_epitome_apply import write as write_img

    from algorithms.epitome.apply import ApplyParams
    from algorithms.epitome.predict_job import PredictJob, run_predict
    from algorithms.io.label_rasters import LabelPaths

    img_a, lab_a = textures(60, 64, 0)
    img_b, _ = textures(150, 70, 1, split=30)
    model = str(tmp_path / "model.epitome")
    exemplar_model(img_a).save(model)
    data = dict(model=model, img_a=write_img(tmp_path / "a.tif", img_a), lab_a=write_img(tmp_path / "la.tif", lab_a))
    embed(data, tmp_path / "e.epitome")
    img = str(write_img(tmp_path / "b.tif", img_b))
    outs = {k: LabelPaths(str(tmp_path / f"{k}.tif"), str(tmp_path / f"{k}_p.tif"), novelty=str(tmp_path / f"{k}_n.tif"))
            for k in ("here", "there")}
    run_predict(PredictJob(str(tmp_path / "e.epitome"), img, outs["here"], ApplyParams(**FAST), "cpu",
                           strip_values=20000))
    fb = Recorder()
    run_predict(PredictJob(str(tmp_path / "e.epitome"), img, outs["there"], ApplyParams(**FAST), "cpu",
                           strip_values=20000, scheduler="local:2"), fb)
    assert any("Strip(s) run on a local Dask cluster of 2" in m for m in fb.msgs), fb.msgs
    assert np.mean(read(outs["there"].labels) == read(outs["here"].labels)) >= 0.999
    np.testing.assert_allclose(read(outs["there"].probabilities), read(outs["here"].probabilities), atol=1e-4)
    np.testing.assert_allclose(read(outs["there"].novelty), read(outs["here"].novelty), rtol=1e-4, atol=1e-3)
    assert job_folders(tmp_path) == []


def test_cancel_stops_the_tasks_and_keeps_the_finished_tiles(reference, tmp_path):
    from algorithms.errors import Cancelled

    img, cls, _, _, _ = reference
    fb = Recorder(cancel_after=2)  # Cancel pressed after two tiles came back
    with pytest.raises(Cancelled):
        run_self_epitomic_lsr(job(img, cls, tmp_path / "x.tif", "local:1"), fb)
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tif") or ".partial" in n]
    folders = job_folders(tmp_path)
    assert len(folders) == 1 and 2 <= len(os.listdir(tmp_path / folders[0])) - 1 < 9  # kept to resume from


def test_epitomic_lsr_on_a_cluster_equals_in_process(tmp_path):
    """epitome:epitomiclsr: the class embedding as a map-reduce (strips' partial sums added up here), then the
    prediction's strips, on a LocalCluster; the model's embedding and the labels as in-process."""
    from test_epitome_apply import FAST, exemplar_model, textures
    from test_epitome_apply import write as write_img

    from algorithms.epitome.apply import ApplyParams
    from algorithms.epitome.model_file import load_model
    from algorithms.io.label_rasters import LabelPaths
    from algorithms.lsr.epitomic_job import EpitomicLsrJob, run_epitomic_lsr

    img, _ = textures(90, 90, 6, split=45)
    classes = np.full((90, 90), 82, np.uint8)
    classes[:, :30], classes[:, 30:60] = 41, 21
    exemplar_model(img).save(str(tmp_path / "m.epitome"))
    ip, cp = str(write_img(tmp_path / "i.tif", img)), str(write_img(tmp_path / "c.tif", classes))
    runs = {}
    for name, sched in (("here", ""), ("there", "local:2")):
        fb = Recorder()
        run_epitomic_lsr(EpitomicLsrJob(str(tmp_path / "m.epitome"), [ip], [cp], load_composition(None),
                                        str(tmp_path / f"{name}.epitome"), LabelPaths(str(tmp_path / f"{name}.tif")),
                                        params=ApplyParams(**FAST), device="cpu", scheduler=sched), fb)
        runs[name] = (load_model(str(tmp_path / f"{name}.epitome")).labels.probs, read(tmp_path / f"{name}.tif"), fb)
    np.testing.assert_allclose(runs["there"][0], runs["here"][0], atol=1e-6)
    assert np.mean(runs["there"][1] == runs["here"][1]) >= 0.999
    assert sum("Strip(s) run on a local Dask cluster of 2" in m for m in runs["there"][2].msgs) == 2  # embed, predict
    assert job_folders(tmp_path) == []


def test_a_result_this_machine_cannot_see_is_an_error_not_a_hang(tmp_path):
    """A worker whose files land elsewhere (no shared file system): os.path.basename stands for a task that
    'wrote' its file where the client cannot see it."""
    from algorithms.distributed.cluster import client_for, parse_scheduler
    from algorithms.distributed.jobfolder import JobFolder
    from algorithms.distributed.units import Unit, UnitRunner

    folder = JobFolder(str(tmp_path / "o.tif"), "0" * 24, {})
    folder.open()
    client, close = client_for(parse_scheduler("local:1"))
    try:
        with pytest.raises(EpitomeError, match="cannot be seen here.*share"):
            list(UnitRunner(client, folder, os.path.basename, Recorder()).run([Unit("r00000_c00000", ())]))
    finally:
        close()


def test_calibration_on_reference_samples_as_a_map_reduce(reference, tmp_path):
    """REFERENCE on a cluster: the tiles holding the samples run as tasks, the per-sample values are reduced
    here; the same fusion is chosen and the same accuracy estimated as in-process."""
    from algorithms.lsr.job import ReferenceInput

    img, cls, _, _, _ = reference
    yy, xx = np.mgrid[:300, :300]
    dark = (xx < 150) ^ ((yy // 40 + xx // 40) % 5 == 0)
    truth = str(write(tmp_path / "truth.tif", np.where(dark, 2, 3).astype(np.uint8)))
    stats = {}
    for name, sched in (("here", ""), ("there", "local:2")):
        j = job(img, cls, tmp_path / f"{name}.tif", sched)
        j.reference = ReferenceInput(truth)
        stats[name] = run_self_epitomic_lsr(j, Recorder())
    for key in ("appearance_weight", "fusion_prior", "estimated_accuracy", "samples_used", "naive_estimate"):
        assert stats["there"][key] == pytest.approx(stats["here"][key], abs=1e-9), key
    assert np.mean(read(tmp_path / "there.tif") == read(tmp_path / "here.tif")) >= 0.999
    assert job_folders(tmp_path) == []


def test_a_coarse_map_moved_by_align_reaches_the_workers(reference, tmp_path):
    """ALIGN's moved coarse map as VRT text (portable): the workers open it, the job key follows its source file, and
    the cluster's labels equal the in-process run on the same moved map (an in-memory /vsimem/ VRT lives in one
    process only: a worker could not open it)."""
    from algorithms.distributed.jobfolder import input_identity
    from algorithms.registration.apply import moved_vrt_text
    from algorithms.registration.estimate import Registration

    img, cls, *_ = reference
    text = moved_vrt_text(cls, Registration(applied=True, east_units=20.0, north_units=-10.0), img)
    assert text.lstrip().startswith("<VRTDataset") and "/vsimem/" not in text
    assert input_identity(cls) in input_identity(text)[1:]
    run_self_epitomic_lsr(job(img, text, tmp_path / "in.tif"), Recorder())
    run_self_epitomic_lsr(job(img, text, tmp_path / "c.tif", "local:2"), Recorder())
    moved = read(tmp_path / "in.tif")
    assert agreement(read(tmp_path / "c.tif"), moved) >= 0.999
    assert (moved == 0).any()  # the moved map leaves a strip of the imagery without classes: it was moved
