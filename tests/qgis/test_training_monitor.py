"""The training monitor dock follows real epitome:trainepitome runs (background Processing tasks)."""

import os

import pytest

from qgis_scenes import wait_for

pytest.importorskip("torch")

TRAIN = {"SIZE": 16, "COUNT": 1, "PATCH_MIN": 3, "PATCH_MAX": 5, "BATCH_SIZE": 16, "SEED": 0, "DEVICE": "cpu"}


@pytest.fixture
def dock(qgis_app, epitome_provider):
    from epitome.plugin.gui.training_monitor import TrainingMonitorDock

    opened = []
    d = TrainingMonitorDock(open_training_dialog=lambda: opened.append(True))
    d.opened = opened
    d.resize(500, 700)
    yield d
    d.shutdown()
    d.deleteLater()


def test_dock_follows_a_training_live(dock, scene, tmp_path):
    from epitome.plugin.gui.runner import AlgorithmRun

    snaps = []
    dock.hub.snapshot.connect(lambda rid, s: snaps.append(s["step"]))
    run = AlgorithmRun("epitome:trainepitome", dict(TRAIN, IMAGERY=[scene.imagery], STEPS=40,
                                                    MODEL=str(tmp_path / "m.epitome")))
    assert run.start()
    assert wait_for(lambda: run.ok is not None, 300) and run.ok, run.errors
    assert wait_for(lambda: dock.runs and list(dock.runs.values())[-1]["state"] == "finished")
    assert snaps[-1] == 40 and len(snaps) >= 4 and snaps == sorted(snaps)  # several refreshes, in order
    assert dock.run_combo.count() == 1 and dock.run_combo.currentText() == "m.epitome"
    assert len(dock.plot.history["loss"]) == 40 and len(dock.plot.history["usage"]) == 40
    assert dock.preview.pixmap() is not None and not dock.preview.pixmap().isNull()
    assert "Finished" in dock.status.text() and dock.bar.value() == 1000
    assert not dock.cancel_button.isEnabled()
    dock.plot.grab()  # paints the curves without error
    dock.train_button.click()
    assert dock.opened == [True]


def test_cancel_button_stops_training_and_keeps_a_resumable_model(dock, scene, tmp_path):
    from epitome.algorithms.epitome.model_file import load_model
    from epitome.plugin.gui.runner import AlgorithmRun

    model = str(tmp_path / "m.epitome")
    run = AlgorithmRun("epitome:trainepitome", dict(TRAIN, IMAGERY=[scene.imagery], STEPS=100000, MODEL=model,
                                                    EPITOME_IMAGE=str(tmp_path / "e.tif")))
    assert run.start()
    assert wait_for(lambda: any(r["snapshot"] for r in dock.runs.values()), 120)
    assert dock.cancel_button.isEnabled()
    dock.cancel_button.click()
    assert wait_for(lambda: run.ok is not None, 120) and run.ok is False
    assert wait_for(lambda: list(dock.runs.values())[-1]["state"] == "stopped")
    assert "partial model" in dock.status.text() and not dock.cancel_button.isEnabled()
    m = load_model(model)
    assert 0 < m.steps_done < 100000 and m.settings.get("complete") is False
    assert not os.path.exists(tmp_path / "e.tif")


def test_idle_dock_explains_itself(dock):
    assert dock.hub.listening()  # snapshots are made only while a dock listens (none in qgis_process)
    assert "No training running" in dock.status.text()
    assert not dock.cancel_button.isEnabled()
    dock.cancel_current()  # nothing to cancel: no error
    img = dock.plot.grab()
    assert not img.isNull()
