"""The live training monitor hook of run_training (what the desktop's training monitor dock shows)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from algorithms.epitome.model_outputs import preview_rgb  # noqa: E402
from algorithms.epitome.train_job import TrainJob, run_training  # noqa: E402
from algorithms.epitome.training import TrainParams  # noqa: E402
from algorithms.feedback import Feedback  # noqa: E402
from synthetic.scene import write_scene  # noqa: E402


class Warnings(Feedback):
    def __init__(self):
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)


@pytest.fixture(scope="module")
def imagery(tmp_path_factory):
    return write_scene(str(tmp_path_factory.mktemp("mon") / "s"), size=96, seed=0)["imagery"]


def small(**kw):
    base = dict(size=16, count=1, patch_min=3, patch_max=5, steps=12, batch_size=16, seed=0)
    base.update(kw)
    return TrainParams(**base)


def test_monitor_gets_snapshots_every_n_steps_and_at_the_end(imagery, tmp_path):
    snaps = []
    job = TrainJob(imagery=[imagery], model_path=str(tmp_path / "m.epitome"), params=small(steps=12),
                   device="cpu", monitor=snaps.append, monitor_every=5)
    run_training(job)
    assert [s["step"] for s in snaps] == [5, 10, 12]
    last = snaps[-1]
    assert last["total_steps"] == 12 and last["stage"] == 1 and last["stages"] == 1
    assert len(last["history"]["loss"]) == 12 and len(snaps[0]["history"]["loss"]) == 5
    assert last["preview"].shape == (16, 16, 3) and last["preview"].dtype == np.uint8
    assert last["preview"].std() > 0  # a picture, not a flat colour


def test_monitor_curves_go_on_across_cascade_stages(imagery, tmp_path):
    snaps = []
    job = TrainJob(imagery=[imagery], model_path=str(tmp_path / "m.epitome"), params=small(steps=4, cascade=2),
                   device="cpu", monitor=snaps.append, monitor_every=2)
    run_training(job)
    assert [s["step"] for s in snaps] == [2, 4, 6, 8, 10, 12]
    assert [s["stage"] for s in snaps] == [1, 1, 2, 2, 3, 3]
    assert [len(s["history"]["loss"]) for s in snaps] == [2, 4, 6, 8, 10, 12]


def test_a_failing_monitor_never_stops_training(imagery, tmp_path):
    def broken(snapshot):
        raise RuntimeError("window closed")

    fb = Warnings()
    job = TrainJob(imagery=[imagery], model_path=str(tmp_path / "m.epitome"), params=small(steps=6), device="cpu",
                   monitor=broken, monitor_every=1)
    stats = run_training(job, fb)
    assert stats["steps"] == 6 and (tmp_path / "m.epitome").exists()
    assert any("monitor" in w for w in fb.warnings)


def test_preview_rgb_stretches_each_band():
    mu = np.zeros((4, 8, 8), np.float32)
    mu[0] = np.linspace(0, 1, 64).reshape(8, 8)
    mu[1] = 0.3  # flat band: no division by zero
    mu[2] = -mu[0]
    img = preview_rgb(mu)
    assert img.shape == (8, 8, 3)
    assert img[..., 0].min() == 0 and img[..., 0].max() == 255
    assert (img[..., 1] == img[0, 0, 1]).all()
    assert img[0, 0, 2] == 255 and img[-1, -1, 2] == 0
    assert (preview_rgb(mu[:1])[..., 0] == preview_rgb(mu[:1])[..., 2]).all()  # one band: grey
