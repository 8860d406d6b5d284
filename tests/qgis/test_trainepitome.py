"""epitome:trainepitome through QGIS Processing and qgis_process (small rasters, a few steps)."""

import json
import os
import time

import numpy as np
import pytest
from qgis.core import QgsApplication, QgsProcessingException

from qgis_scenes import FIELD, FOREST, QGIS_PROCESS, qgis_process_runner, read, small_pair

TRAIN = "epitome:trainepitome"
PARAMS = ["IMAGERY", "BANDS", "EXTENT", "GUIDE", "GUIDE_LABELS", "SIZE", "COUNT", "PATCH_MIN", "PATCH_MAX", "STEPS",
          "BATCH_SIZE", "LEARNING_RATE", "TEMPERATURE", "PROMOTION", "PROMOTION_RESET", "DIVERSIFY", "CASCADE",
          "DEVICE", "SEED", "INIT", "BACKEND", "RANKS", "SCHEDULER", "MODEL", "EPITOME_IMAGE", "REPORT_CSV", "REPORT_PNG"]
OUTPUTS = {"MODEL", "EPITOME_IMAGE", "REPORT_CSV", "REPORT_PNG", "STEPS_DONE", "SECONDS", "PATCHES_PER_SECOND",
           "FINAL_LOSS", "FINAL_WORST_LOSS", "DEVICE_USED"}
FAST = {"SIZE": 16, "COUNT": 1, "PATCH_MIN": 3, "PATCH_MAX": 5, "STEPS": 8, "BATCH_SIZE": 16, "SEED": 0,
        "DEVICE": "cpu"}


def load_model(path):
    from epitome.algorithms.epitome.model_file import load_model as _load

    return _load(str(path))


def path_of(value):
    return value if isinstance(value, str) else value.source()


def leftovers(folder):
    return sorted(n for n in os.listdir(folder) if ".partial" in n or n.startswith(".epitome-probe-"))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(imagery, classes): 48 x 48 4-band uint8, left half dark/noisy (class 41), right half bright (82)."""
    return small_pair(tmp_path_factory.mktemp("train_scene"), size=48)


@pytest.fixture
def train(processing_runner, pair, tmp_path):
    """train(**params) -> (results, feedback); defaults: the small pair, FAST, MODEL in tmp_path, no image."""
    return processing_runner(TRAIN, dict({"IMAGERY": [pair[0]], "MODEL": str(tmp_path / "model.epitome"),
                                          "EPITOME_IMAGE": None}, **FAST))


# --------------------------------------------------------------------------------------------

def test_registered_with_exact_parameters_and_help(epitome_provider):
    alg = QgsApplication.processingRegistry().algorithmById(TRAIN)
    assert alg is not None
    assert [p.name() for p in alg.parameterDefinitions()] == PARAMS
    assert {o.name() for o in alg.outputDefinitions()} >= OUTPUTS
    assert len(alg.shortHelpString()) > 200
    for p in alg.parameterDefinitions():
        assert len(p.help().strip()) > 20, f"{p.name()} has no help text"
    image_help = alg.parameterDefinition("EPITOME_IMAGE").help()
    assert "log prior" in image_help and "usage" in image_help and "stacked vertically" in image_help
    assert "256" in alg.parameterDefinition("SIZE").help() and "512" in alg.parameterDefinition("SIZE").help()
    assert alg.canExecute()[0] is True


def test_run_writes_model_image_and_reports(train, pair, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    res, fb = train(COUNT=2, STEPS=10, MODEL=str(out / "m.epitome"), EPITOME_IMAGE=str(out / "epi.tif"),
                    REPORT_CSV=str(out / "r.csv"), REPORT_PNG=str(out / "r.png"))
    m = load_model(res["MODEL"])
    assert m.mu.shape == (2, 4, 16, 16) and m.var.shape == (2, 4, 16, 16)
    assert m.steps_done == 10 and m.settings["complete"] is True
    assert res["STEPS_DONE"] == 10 and res["DEVICE_USED"] == "cpu"
    assert res["PATCHES_PER_SECOND"] > 0 and np.isfinite(res["FINAL_LOSS"]) and np.isfinite(res["FINAL_WORST_LOSS"])
    img = read(path_of(res["EPITOME_IMAGE"]))
    C = 4
    assert img.shape == (2 * C + 2, 2 * 16, 16)
    lp = img[2 * C].astype(np.float64)
    assert abs(np.log(np.exp(lp - lp.max()).sum()) + lp.max()) < 1e-3
    from qgis.PyQt.QtGui import QImage

    png = QImage(str(out / "r.png"))  # drawn with QPainter in-process (no matplotlib inside QGIS)
    assert not png.isNull() and png.width() == 1000
    assert len({png.pixel(x, 200) for x in range(90, 450, 3)}) > 2  # curves drawn, not a blank panel
    src = read(pair[0])
    for b in range(C):
        # means in the imagery's units (about its range; SGD steps may overshoot it a little)
        assert src[b].min() - 30 <= img[b].min() and img[b].max() <= src[b].max() + 30, f"band {b + 1} means out of range"
        assert abs(img[b].mean() - src[b].mean()) < 40, f"band {b + 1} means not in the imagery's units"
    # variances in the imagery's units too (uint8: scale 255): within [0.01, 1] x 255^2
    assert np.all(img[C:2 * C] >= 0.01 * 255 ** 2 * (1 - 1e-5)) and np.all(img[C:2 * C] <= 255 ** 2 * (1 + 1e-5))
    m1 = load_model(res["MODEL"])
    np.testing.assert_allclose(img[C:2 * C, :16], m1.var[0] * 255.0 ** 2, rtol=1e-5)
    usage = img[2 * C + 1]
    assert np.all(usage >= 0) and usage.max() > 0
    rows = (out / "r.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + 10 and rows[0].startswith("step,")
    assert not leftovers(out)


@pytest.mark.parametrize("label, dark", [(FOREST, True), (FIELD, False)])
def test_guide_labels_restrict_sampling(train, pair, label, dark):
    res, _ = train(GUIDE=pair[1], GUIDE_LABELS=str(label), STEPS=6)
    m = load_model(res["MODEL"])
    mean_b1 = float((m.mu[:, 0] * m.scaling_scale[0] + m.scaling_offset[0]).mean())
    # forest (left) is around 45 in band 1, field (right) around 175; unrestricted training gives ~100
    assert (mean_b1 < 70) if dark else (mean_b1 > 140), mean_b1


def test_extent_restricts_sampling(train, pair):
    # the left 20 columns (forest, dark) given in WGS 84: transformed into the imagery's CRS
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject, QgsRectangle

    from qgis_scenes import X0, Y0

    tr = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:26917"), QgsCoordinateReferenceSystem("EPSG:4326"),
                                QgsProject.instance())
    r = tr.transformBoundingBox(QgsRectangle(X0 + 1, Y0 - 47, X0 + 19, Y0 - 1))
    res, _ = train(EXTENT=f"{r.xMinimum()},{r.xMaximum()},{r.yMinimum()},{r.yMaximum()} [EPSG:4326]", STEPS=6)
    m = load_model(res["MODEL"])
    assert float((m.mu[:, 0] * m.scaling_scale[0] + m.scaling_offset[0]).mean()) < 70  # whole image: ~100
    with pytest.raises(QgsProcessingException) as e:
        train(EXTENT=f"{X0 + 1000},{X0 + 1100},{Y0},{Y0 + 100} [EPSG:26917]")
    assert "EXTENT" in str(e.value)


def test_several_rasters(train, pair, tmp_path):
    from qgis_scenes import img_gt, make_imagery, write_raster

    other = write_raster(tmp_path / "other.tif", make_imagery(40, 40, 4, seed=1), img_gt(561000.0))
    res, fb = train(IMAGERY=[pair[0], other], STEPS=4)
    assert load_model(res["MODEL"]).n_bands == 4 and "2 raster(s)" in fb.text()
    three = write_raster(tmp_path / "three.tif", make_imagery(40, 40, 3), img_gt(561000.0))
    with pytest.raises(QgsProcessingException) as e:
        train(IMAGERY=[pair[0], three])
    assert "same number of bands" in str(e.value)


def test_guide_labels_absent_from_guide(train, pair, tmp_path):
    with pytest.raises(QgsProcessingException) as e:
        train(GUIDE=pair[1], GUIDE_LABELS="99")
    assert "GUIDE_LABELS" in str(e.value) and "Traceback" not in str(e.value)
    assert "99" in str(e.value) and "codes are" in str(e.value)  # names the codes that do occur
    assert not (tmp_path / "model.epitome").exists()


def test_guide_without_labels_rejected(train, pair, tmp_path):
    with pytest.raises(QgsProcessingException) as e:
        train(GUIDE=pair[1])
    assert "GUIDE_LABELS" in str(e.value)


def test_cascade_keeps_e1_and_e2(train, tmp_path):
    res, _ = train(CASCADE=2, STEPS=3, BACKEND=2, REPORT_CSV=str(tmp_path / "r.csv"))
    m = load_model(res["MODEL"])
    assert m.count == 2 and res["STEPS_DONE"] == 9 and m.settings["backend"] == "fft"
    assert len((tmp_path / "r.csv").read_text().strip().splitlines()) == 1 + 9


def test_init_continues_training(train, tmp_path):
    a, _ = train(STEPS=5, MODEL=str(tmp_path / "a.epitome"))
    b, fb = train(STEPS=7, MODEL=str(tmp_path / "b.epitome"), INIT=str(tmp_path / "a.epitome"))
    ma, mb = load_model(a["MODEL"]), load_model(b["MODEL"])
    assert ma.steps_done == 5 and mb.steps_done == 12
    assert mb.mu.shape == ma.mu.shape and not np.array_equal(ma.mu, mb.mu)
    assert mb.history["step"] == list(range(1, 13))  # the curves continue the earlier run's
    assert mb.history["loss"][:5] == ma.history["loss"]
    # Adam's moments and the promotion counters go on: Adam's step count and the samples counted continue
    assert ma.optimizer_steps == 5 and mb.optimizer_steps == 12
    assert set(ma.optimizer_state) == {"m_mu", "v_mu", "m_log_var", "v_log_var", "m_prior_logits", "v_prior_logits"}
    assert ma.samples_seen == 5 * 16 and mb.samples_seen == 12 * 16
    assert ma.counters.sum() == ma.samples_since_reset > 0
    assert mb.samples_since_reset == ma.samples_since_reset + 7 * 16 or mb.resets > ma.resets
    assert "Adam starts afresh" not in fb.text()


def test_init_overrides_size_and_checks_patches(train, tmp_path):
    train(STEPS=2, MODEL=str(tmp_path / "a.epitome"))  # SIZE 16
    with pytest.raises(QgsProcessingException) as e:  # SIZE 256 and PATCH_MAX 31 asked: 31 > 16
        train(INIT=str(tmp_path / "a.epitome"), SIZE=256, PATCH_MIN=11, PATCH_MAX=31, MODEL=str(tmp_path / "b.epitome"))
    assert "INIT" in str(e.value) and "PATCH_MAX" in str(e.value), str(e.value)
    res, fb = train(INIT=str(tmp_path / "a.epitome"), SIZE=32, STEPS=2, MODEL=str(tmp_path / "c.epitome"))
    assert load_model(res["MODEL"]).size == 16 and any("SIZE and COUNT follow it" in w for w in fb.warnings)


@pytest.mark.parametrize("how", ["truncated", "garbage"])
def test_bad_init_file(train, tmp_path, how):
    bad = tmp_path / "bad.epitome"
    if how == "truncated":
        train(STEPS=3, MODEL=str(tmp_path / "good.epitome"))
        data = (tmp_path / "good.epitome").read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    else:
        bad.write_text("this is not a model")
    t0 = time.time()
    with pytest.raises(QgsProcessingException) as e:
        train(INIT=str(bad))
    assert "INIT" in str(e.value) and str(bad) in str(e.value), str(e.value)
    assert time.time() - t0 < 10
    assert not (tmp_path / "model.epitome").exists()


@pytest.mark.parametrize("params, words", [
    ({"PATCH_MIN": 4}, ["PATCH_MIN", "odd"]),
    ({"PATCH_MIN": 7, "PATCH_MAX": 5}, ["PATCH_MIN", "PATCH_MAX"]),
    ({"PATCH_MAX": 33, "SIZE": 16}, ["PATCH_MAX", "SIZE"]),
    ({"CASCADE": 1}, ["CASCADE", "0", "2"]),
    ({"DEVICE": "tpu"}, ["DEVICE", "cuda"]),
    ({"BANDS": "1,x"}, ["BANDS"]),
    ({"BANDS": "9"}, ["BANDS", "9"]),
    ({"RANKS": 3}, ["BATCH_SIZE", "RANKS", "multiple of 3"]),
    ({"RANKS": 2, "SCHEDULER": "local:x"}, ["SCHEDULER", "local:x"]),
], ids=["even-patch", "min-gt-max", "patch-gt-size", "cascade-1", "device", "bands-text", "band-missing", "ranks-batch",
        "scheduler"])
def test_bad_parameters_rejected_early(train, tmp_path, params, words):
    t0 = time.time()
    with pytest.raises(QgsProcessingException) as e:
        train(STEPS=100000, **params)
    msg = str(e.value)
    assert all(w in msg for w in words) and "Traceback" not in msg, msg
    assert time.time() - t0 < 10, "the parameters were not checked before training"
    assert not (tmp_path / "model.epitome").exists()


def test_cancel_saves_partial_model_only(train, tmp_path, cancelling_feedback):
    fb = cancelling_feedback
    cancelled_at = fb.cancelled_at
    out = tmp_path / "out"
    out.mkdir()
    model = out / "m.epitome"
    with pytest.raises(QgsProcessingException) as e:
        train(feedback=fb, STEPS=500, MODEL=str(model), EPITOME_IMAGE=str(out / "epi.tif"),
              REPORT_CSV=str(out / "r.csv"), REPORT_PNG=str(out / "r.png"))
    assert cancelled_at, "progress was never reported"
    assert time.time() - cancelled_at[0] < 10, "did not stop within seconds"
    msg = str(e.value)
    assert "ancel" in msg and "MODEL" in msg and "INIT" in msg, msg
    m = load_model(model)
    assert m.settings["complete"] is False and 1 <= m.steps_done < 500
    assert os.listdir(out) == ["m.epitome"], os.listdir(out)


def test_two_ranks_train_one_model(train, tmp_path):
    """RANKS 2: two local gloo rank processes; one model (rank 0's) with the settings of the whole batch, the
    image and report of it; nothing else left in the folder."""
    out = tmp_path / "ranks"
    out.mkdir()
    res, fb = train(RANKS=2, STEPS=6, MODEL=str(out / "m.epitome"), EPITOME_IMAGE=str(out / "epi.tif"),
                    REPORT_CSV=str(out / "r.csv"))
    m = load_model(res["MODEL"])
    assert m.settings["ranks"] == 2 and m.settings["batch_size"] == 16 and m.settings["complete"] is True
    assert m.steps_done == 6 and res["STEPS_DONE"] == 6 and res["PATCHES_PER_SECOND"] > 0
    assert read(path_of(res["EPITOME_IMAGE"])).shape == (10, 16, 16)
    assert len((out / "r.csv").read_text().strip().splitlines()) == 7
    assert sorted(os.listdir(out)) == ["epi.tif", "m.epitome", "r.csv"] and not leftovers(out)


def test_two_ranks_cancel_saves_partial_model_only(train, tmp_path, cancelling_feedback):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(QgsProcessingException) as e:
        train(feedback=cancelling_feedback, RANKS=2, STEPS=100000, MODEL=str(out / "m.epitome"),
              EPITOME_IMAGE=str(out / "epi.tif"))
    assert "ancel" in str(e.value)
    assert time.time() - cancelling_feedback.cancelled_at[0] < 30, "the ranks did not stop within seconds"
    m = load_model(out / "m.epitome")
    assert m.settings["complete"] is False and m.settings["ranks"] == 2 and 1 <= m.steps_done < 100000
    assert os.listdir(out) == ["m.epitome"], os.listdir(out)


def test_cuda_falls_back_to_cpu(train):
    import torch

    res, fb = train(DEVICE="cuda", STEPS=3)
    if torch.cuda.is_available():
        assert res["DEVICE_USED"].startswith("cuda")
    else:
        assert res["DEVICE_USED"] == "cpu"
        assert any("CUDA is not available" in w for w in fb.warnings), fb.warnings


def test_same_seed_identical_model(train, tmp_path):
    runs = [train(SEED=s, STEPS=6, MODEL=str(tmp_path / f"{i}.epitome"))[0]
            for i, s in enumerate((3, 3, 4))]
    a, b, c = (load_model(r["MODEL"]) for r in runs)
    for key in ("mu", "var", "log_prior"):
        assert np.array_equal(getattr(a, key), getattr(b, key)), key
    assert not np.array_equal(a.mu, c.mu)


@pytest.mark.parametrize("where", ["proc", "parent-is-file"])
def test_model_not_writable(train, tmp_path, where):
    if where == "proc":
        target = "/proc/epitome-test/model.epitome"
    else:
        (tmp_path / "afile").write_text("x")
        target = str(tmp_path / "afile" / "model.epitome")
    with pytest.raises(QgsProcessingException) as e:
        train(MODEL=target)
    msg = str(e.value)
    assert "MODEL" in msg and "cannot" in msg.lower() and "Traceback" not in msg, msg
    assert not os.path.exists(target)


def test_epitome_image_is_styled_rgb(train, tmp_path):
    from qgis.core import QgsRasterLayer

    from epitome.plugin.processing.styling import epitome_image_renderer

    res, _ = train(EPITOME_IMAGE=str(tmp_path / "e.tif"), STEPS=3)
    lyr = QgsRasterLayer(path_of(res["EPITOME_IMAGE"]), "e")
    lyr.setRenderer(epitome_image_renderer(lyr))  # the layer owns the renderer
    r = lyr.renderer()
    assert r.type() == "multibandcolor" and (r.redBand(), r.greenBand(), r.blueBand()) == (1, 2, 3)
    ce = r.redContrastEnhancement()
    assert ce.minimumValue() < ce.maximumValue()
    res, _ = train(EPITOME_IMAGE=str(tmp_path / "g.tif"), STEPS=3, BANDS="1,2", MODEL=str(tmp_path / "g.epitome"))
    g = QgsRasterLayer(path_of(res["EPITOME_IMAGE"]), "g")
    g.setRenderer(epitome_image_renderer(g))
    assert g.renderer().type() == "singlebandgray" and g.renderer().grayBand() == 1
    del r, ce, lyr, g


# --------------------------------------------------------------------------------------------
# qgis_process
# --------------------------------------------------------------------------------------------



@pytest.mark.timeout(300)
@pytest.mark.skipif(not os.path.exists(QGIS_PROCESS), reason="qgis_process.bin not installed")
def test_qgis_process_run_json(epitome_provider, pair, tmp_path):
    qp = qgis_process_runner(tmp_path)

    qp("plugins", "enable", "epitome")
    model, image, png = tmp_path / "m.epitome", tmp_path / "epi.tif", tmp_path / "r.png"
    # REPORT_PNG is tested here, out of pytest's process: matplotlib loaded into the pytest-qgis session
    # made the interpreter crash at exit (after every test passed) - see the report of this change.
    p = qp("run", TRAIN, "--json", "--", f"IMAGERY={pair[0]}", "SIZE=16", "PATCH_MIN=3", "PATCH_MAX=5", "STEPS=5",
           "BATCH_SIZE=16", "DEVICE=cpu", f"MODEL={model}", f"EPITOME_IMAGE={image}", f"REPORT_PNG={png}")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    res = json.loads(p.stdout[p.stdout.index("{"):])["results"]
    assert res["MODEL"] == str(model) and int(res["STEPS_DONE"]) == 5 and res["DEVICE_USED"] == "cpu"
    assert load_model(model).mu.shape == (1, 4, 16, 16)
    assert read(image).shape == (10, 16, 16)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and res["REPORT_PNG"] == str(png)


@pytest.mark.timeout(300)
@pytest.mark.skipif(not os.path.exists(QGIS_PROCESS), reason="qgis_process.bin not installed")
def test_qgis_process_two_ranks(epitome_provider, pair, tmp_path):
    """RANKS=2 from qgis_process: the rank processes run on QGIS's own Python (not the qgis_process program),
    with PyTorch and the plugin found as in QGIS."""
    qp = qgis_process_runner(tmp_path)
    qp("plugins", "enable", "epitome")
    model = tmp_path / "m.epitome"
    p = qp("run", TRAIN, "--json", "--", f"IMAGERY={pair[0]}", "SIZE=16", "PATCH_MIN=3", "PATCH_MAX=5", "STEPS=5",
           "BATCH_SIZE=16", "DEVICE=cpu", "RANKS=2", f"MODEL={model}", "EPITOME_IMAGE=")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    res = json.loads(p.stdout[p.stdout.index("{"):])["results"]
    assert int(res["STEPS_DONE"]) == 5
    m = load_model(model)
    assert m.settings["ranks"] == 2 and m.settings["batch_size"] == 16 and m.steps_done == 5
