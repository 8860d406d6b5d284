"""plugin.gui.runner.AlgorithmRun: the one way dialogs run Processing algorithms in the background."""

import os

import pytest

from qgis_scenes import FAST, LBL_FIELD, LBL_FOREST, read, wait_for

pytest.importorskip("torch")


def test_background_run_reports_progress_and_results(epitome_provider, scene, tmp_path):
    from epitome.plugin.gui.runner import AlgorithmRun

    out = str(tmp_path / "labels.tif")
    run = AlgorithmRun("epitome:selfepitomiclsr", dict(FAST, IMAGERY=scene.imagery, CLASSES=scene.classes, OUTPUT=out))
    seen, done = [], []
    run.progress.connect(seen.append)
    run.finished.connect(lambda ok, res: done.append((ok, res)))
    assert run.start()
    assert wait_for(lambda: run.ok is not None, 300)
    assert done and done[0][0] is True
    assert done[0][1]["OUTPUT"] == out and os.path.isfile(out)
    assert seen and max(seen) == pytest.approx(100, abs=1) and seen == sorted(seen)
    lab = read(out)
    assert (lab[:, :40] == LBL_FOREST).mean() > 0.9 and (lab[:, 56:] == LBL_FIELD).mean() > 0.9


def test_background_run_cancel_leaves_no_output(epitome_provider, scene, tmp_path):
    from epitome.plugin.gui.runner import AlgorithmRun

    out = str(tmp_path / "labels.tif")
    run = AlgorithmRun("epitome:selfepitomiclsr", dict(FAST, IMAGERY=scene.imagery, CLASSES=scene.classes, OUTPUT=out,
                                                       TILE_SIZE=32))
    done = []
    run.finished.connect(lambda ok, res: done.append(ok))
    run.progress.connect(lambda p: run.cancel() if p > 0 else None)
    run.start()
    assert wait_for(lambda: run.ok is not None, 300)
    assert done == [False] and not os.path.exists(out)
    assert not [f for f in os.listdir(tmp_path) if f.startswith("labels")]


def test_invalid_parameters_fail_before_running(epitome_provider, tmp_path):
    from epitome.plugin.gui.runner import AlgorithmRun

    run = AlgorithmRun("epitome:selfepitomiclsr", {"IMAGERY": str(tmp_path / "missing.tif"),
                                                   "CLASSES": str(tmp_path / "missing2.tif"),
                                                   "OUTPUT": str(tmp_path / "o.tif")})
    done = []
    run.finished.connect(lambda ok, res: done.append(ok))
    assert run.start() is False
    assert done == [False] and run.errors


def test_unknown_algorithm_is_a_clear_error(epitome_provider):
    from epitome.plugin.gui.runner import AlgorithmRun

    with pytest.raises(ValueError, match="not registered"):
        AlgorithmRun("epitome:nosuchthing", {})
