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


def test_stop_button_ends_the_training_normally_with_a_resumable_model(dock, scene, tmp_path):
    """Stop in the dock: the run ends as a success (no 'Execution failed'), reports once, keeps the model."""
    from epitome.algorithms.epitome.model_file import load_model
    from epitome.plugin.gui.runner import AlgorithmRun

    model = str(tmp_path / "m.epitome")
    run = AlgorithmRun("epitome:trainepitome", dict(TRAIN, IMAGERY=[scene.imagery], STEPS=100000, MODEL=model,
                                                    EPITOME_IMAGE=str(tmp_path / "e.tif")))
    messages = []
    run.message.connect(lambda level, text: messages.append((level, text)))
    assert run.start()
    assert wait_for(lambda: any(r["snapshot"] for r in dock.runs.values()), 120)
    assert dock.cancel_button.isEnabled() and dock.cancel_button.text() == "Stop training"
    dock.cancel_button.click()
    assert wait_for(lambda: run.ok is not None, 120) and run.ok is True, run.errors
    assert wait_for(lambda: list(dock.runs.values())[-1]["state"] == "stopped")
    assert "Stopped after" in dock.status.text() and "INIT" in dock.status.text()
    assert not dock.cancel_button.isEnabled() and dock.bar.value() < 1000
    ends = [t for lvl, t in messages if "Stopped after" in t or "ancel" in t]
    assert len(ends) == 1 and not [m for m in messages if m[0] in ("warning", "error")], messages
    m = load_model(model)
    assert 0 < m.steps_done < 100000 and m.settings.get("complete") is False
    assert run.results["MODEL"] == model and 0 < run.results["STEPS_DONE"] < 100000
    assert run.results["DEVICE_USED"] == "cpu" and run.results["PATCHES_PER_SECOND"] > 0
    # the EPITOME_IMAGE asked for is written for the model so far, and the end says so
    assert os.path.isfile(tmp_path / "e.tif") and run.results["EPITOME_IMAGE"] == str(tmp_path / "e.tif")
    assert "EPITOME_IMAGE" in ends[0]


def test_processing_cancel_is_reported_once(dock, scene, tmp_path):
    """The Processing dialog's Cancel (the run's feedback): the run fails with one message, model kept."""
    from epitome.plugin.gui.runner import AlgorithmRun

    model = str(tmp_path / "m.epitome")
    run = AlgorithmRun("epitome:trainepitome", dict(TRAIN, IMAGERY=[scene.imagery], STEPS=100000, MODEL=model))
    messages = []
    run.message.connect(lambda level, text: messages.append((level, text)))
    assert run.start()
    assert wait_for(lambda: any(r["snapshot"] for r in dock.runs.values()), 120)
    run.cancel()
    assert wait_for(lambda: run.ok is not None, 120) and run.ok is False
    said = [t for lvl, t in messages if lvl in ("warning", "error")]
    assert len(said) == 1 and "MODEL" in said[0] and "INIT" in said[0], messages
    assert os.path.isfile(model)


def test_dock_fits_a_small_screen_and_stop_is_on_top(dock):
    hint = dock.minimumSizeHint()
    assert hint.height() <= 340 and hint.width() <= 440, hint  # beside the toolbox on a 1000 px tall screen
    dock.resize(300, 400)
    dock.show()
    top = dock.cancel_button.mapTo(dock, dock.cancel_button.rect().topLeft()).y()
    assert top < dock.plot.mapTo(dock, dock.plot.rect().topLeft()).y()
    assert dock.cancel_button.isVisible()
    dock.hide()


def test_curves_start_at_the_first_step_and_stay_inside(qgis_app):
    from qgis.PyQt.QtGui import QColor, QImage, QPainter

    from epitome.plugin.processing.report_plot import _smooth, paint_history

    assert _smooth([1.0, 3.0, 5.0], n=2) == [1.0, 2.0, 4.0]  # same length: the curve starts at step 1
    n = 60
    hist = {"step": list(range(1, n + 1)), "loss": [-0.5 - 0.01 * i for i in range(n)],
            "worst_loss": [5.0] + [-0.2 - 0.01 * i for i in range(n - 1)], "usage": [0.01] * n}
    img = QImage(320, 420, QImage.Format_ARGB32)  # a narrow dock: panels one above the other
    img.fill(QColor("white"))
    p = QPainter(img)
    paint_history(p, 320, 420, hist)
    p.end()
    red = QColor("#d62728")

    def reddish(x, y):
        c = QColor(img.pixel(x, y))
        return abs(c.red() - red.red()) < 40 and c.green() < 90 and c.blue() < 90

    top = 28  # the first panel's frame (paint_history: top margin)
    assert not any(reddish(x, y) for x in range(320) for y in range(0, top - 1))  # nothing above the frame
    assert any(reddish(x, y) for x in range(90, 100) for y in range(top, 210))  # starts at the left edge


def test_titles_fit_a_narrow_dock(qgis_app):
    from qgis.PyQt.QtCore import QRectF
    from qgis.PyQt.QtGui import QFontMetricsF, QImage, QPainter

    from epitome.plugin.processing.report_plot import fitted_text

    img = QImage(200, 40, QImage.Format_ARGB32)
    p = QPainter(img)
    rect = QRectF(0, 0, 180, 20)
    fitted_text(p, rect, "Loss (nats per value, lower is better)", 9, bold=True)
    assert QFontMetricsF(p.font()).horizontalAdvance("Loss (nats per value, lower is better)") <= 180 or \
        p.font().pointSize() == 7
    p.end()


def test_idle_dock_explains_itself(dock):
    assert dock.hub.listening()  # snapshots are made only while a dock listens (none in qgis_process)
    assert "No training running" in dock.status.text()
    assert not dock.cancel_button.isEnabled()
    dock.cancel_current()  # nothing to cancel: no error
    img = dock.plot.grab()
    assert not img.isNull()


# ---- what an analyst needs to read the monitor (issue 20, item 6) -------------------------------------

def test_elapsed_time_and_time_left_are_shown(qgis_app, epitome_provider):
    from epitome.plugin.gui.training_monitor import TrainingMonitorDock, duration
    from epitome.plugin.processing.training_hub import TrainingHub

    now = [100.0]
    hub = TrainingHub()
    d = TrainingMonitorDock(hub=hub, clock=lambda: now[0])
    try:
        assert not d.bar.isVisibleTo(d)  # no training: no empty bar that looks like a text box
        rid = hub.begin(None, dict(model="/x/m.epitome", size=64, count=1, batch=256, steps=400))
        now[0] = 160.0  # one minute, 100 of 400 steps: three more minutes at this pace
        hub.post(rid, dict(step=100, total_steps=400, stage=1, stages=1,
                           history={"step": [100], "loss": [-0.42], "worst_loss": [0.3], "usage": [0.037]}))
        text = d.status.text()
        assert "Step 100 of 400" in text and "1 min 00 s so far" in text and "about 3 min 00 s left" in text
        assert "lower is better" in text and "nats" not in text
        # 256 patches per step on 64 x 64 positions: at most 6.25% can be in use at once
        assert "3.7% of the epitome in use (at most 6.2% with 256 patches per step)" in text
        assert d.bar.isVisibleTo(d) and d.bar.text() == "25% of the steps"
        now[0] = 400.0
        hub.end(rid, True, "Finished: 400 steps in 300 s")
        assert "5 min 00 s in all" in d.status.text()
        assert duration(3725) == "1 h 02 min" and duration(42) == "42 s"
    finally:
        d.shutdown()
        d.deleteLater()


def test_the_curves_are_explained_in_plain_words(dock):
    tip = dock.explain.toolTip()
    for words in ("lower is better", "below zero", "nats", "Epitome in use"):
        assert words in tip
    assert "best window" not in tip and "below zero" in dock.explain.text()


def test_a_short_dock_shows_the_loss_alone_not_panels_on_top_of_each_other(qgis_app):
    from qgis.PyQt.QtGui import QColor, QImage, QPainter

    from epitome.plugin.processing.report_plot import MIN_PANEL_HEIGHT, paint_history

    hist = {"step": [1, 2, 3], "loss": [0.5, 0.2, -0.1], "worst_loss": [1.0, 0.8, 0.5], "usage": [0.01] * 3}
    for h, green in ((2 * MIN_PANEL_HEIGHT - 10, False), (2 * MIN_PANEL_HEIGHT + 40, True)):
        img = QImage(300, h, QImage.Format_ARGB32)
        img.fill(QColor("white"))
        p = QPainter(img)
        paint_history(p, 300, h, hist)
        p.end()
        found = any(QColor(img.pixel(x, y)).name() == "#2ca02c" for x in range(0, 300, 2) for y in range(0, h, 2))
        assert found is green, h  # the usage curve (green) only where its panel fits


@pytest.mark.parametrize("size", [(300, 400), (440, 700), (1000, 440)], ids=["narrow-dock", "dock", "report"])
def test_axis_titles_and_legends_never_cover_or_leave_the_panel(qgis_app, size):
    """y-axis titles inside the panel (not clipped at its left edge), legends above the curves (not over them)."""
    from epitome.plugin.processing.report_plot import history_cells, panel_layout, panels

    w, h = size
    for cell, (series, _, _) in zip(history_cells(w, h), panels({})):
        box = panel_layout(cell, len(series))
        for name in ("title", "legend", "ylabel", "ticks", "xlabel", "plot"):
            r = box[name]
            assert cell.contains(r.adjusted(0, 8 if name == "ticks" else 0, 0, -8 if name == "ticks" else 0)), name
        assert not box["legend"].intersects(box["plot"]) and not box["ylabel"].intersects(box["plot"])
        assert not box["ticks"].intersects(box["plot"]) and not box["xlabel"].intersects(box["plot"])
        assert box["ylabel"].left() >= cell.left() and box["plot"].width() > 60
