"""epitome:embedlabels, epitome:epitomiclsr and epitome:predict through QGIS Processing and qgis_process:
the public names, a train -> embed -> predict chain, and every reliability row that applies."""

import json
import os
import time

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import QgsApplication, QgsProcessingException

from qgis_scenes import (
    LBL_FIELD,
    LBL_FOREST,
    QGIS_PROCESS,
    img_gt,
    make_imagery,
    qgis_process_runner,
    read,
    write_raster,
)

EMBED, LSR, PREDICT = "epitome:embedlabels", "epitome:epitomiclsr", "epitome:predict"
PUBLIC = {EMBED: {"MODEL", "IMAGERY", "LABELS", "OUTPUT_MODEL"},
          LSR: {"MODEL", "IMAGERY", "CLASSES", "COMPOSITION", "OUTPUT_MODEL", "OUTPUT"},
          PREDICT: {"MODEL", "IMAGERY", "OUTPUT", "PROBABILITIES", "CONFIDENCE", "NOVELTY"}}
FAST = {"PATCH_SIZE": 7, "CENTRE": 3, "DEVICE": "cpu"}


def leftovers(folder):
    return sorted(n for n in os.listdir(folder) if ".partial" in n or n.startswith(".epitome-probe-"))


@pytest.fixture(scope="module")
def trained(tmp_path_factory, epitome_provider, scene):
    """A small model trained on the scene (epitome:trainepitome), and the same with the scene's labels embedded."""
    import processing

    d = tmp_path_factory.mktemp("apply_models")
    model = str(d / "m.epitome")
    processing.run("epitome:trainepitome", {"IMAGERY": [scene.imagery], "SIZE": 24, "PATCH_MIN": 5, "PATCH_MAX": 9,
                                            "STEPS": 20, "BATCH_SIZE": 32, "DEVICE": "cpu", "MODEL": model,
                                            "EPITOME_IMAGE": None})
    embedded = str(d / "e.epitome")
    processing.run(EMBED, dict(FAST, MODEL=model, IMAGERY=[scene.imagery], LABELS=[scene.truth],
                               LABEL_NAMES="water,forest,field,built", OUTPUT_MODEL=embedded))
    return dict(model=model, embedded=embedded)


@pytest.fixture
def predict(processing_runner, trained, scene, tmp_path):
    return processing_runner(PREDICT, dict(FAST, MODEL=trained["embedded"], IMAGERY=scene.imagery,
                                           OUTPUT=str(tmp_path / "labels.tif")))


@pytest.fixture
def embed(processing_runner, trained, scene, tmp_path):
    return processing_runner(EMBED, dict(FAST, MODEL=trained["model"], IMAGERY=[scene.imagery], LABELS=[scene.truth],
                                         LABEL_NAMES="water,forest,field,built",
                                         OUTPUT_MODEL=str(tmp_path / "out.epitome")))


@pytest.fixture
def lsr(processing_runner, trained, scene, tmp_path):
    return processing_runner(LSR, dict(FAST, MODEL=trained["model"], IMAGERY=[scene.imagery], CLASSES=[scene.classes],
                                       OUTPUT_MODEL=str(tmp_path / "lsr.epitome")))


@pytest.mark.parametrize("alg_id", [EMBED, LSR, PREDICT])
def test_registered_with_public_parameters_and_help(epitome_provider, alg_id):
    alg = QgsApplication.processingRegistry().algorithmById(alg_id)
    assert alg is not None and alg.canExecute()[0]
    names = {p.name() for p in alg.parameterDefinitions()}
    assert PUBLIC[alg_id] <= names, PUBLIC[alg_id] - names
    assert len(alg.shortHelpString()) > 300
    for p in alg.parameterDefinitions():
        assert len(p.help().strip()) > 20, (alg_id, p.name())


def test_train_embed_predict_chain(trained, predict, scene, tmp_path):
    from epitome.algorithms.epitome.model_file import load_model

    m = load_model(trained["embedded"])
    assert m.labels.names == ["water", "forest", "field", "built"] and m.labels.method == "labels"
    res, fb = predict(PROBABILITIES=str(tmp_path / "p.tif"), CONFIDENCE=str(tmp_path / "c.tif"),
                      NOVELTY=str(tmp_path / "n.tif"))
    lab, truth = read(res["OUTPUT"]), read(scene.truth)
    assert lab.shape == truth.shape and np.mean(lab == truth) > 0.9, np.mean(lab == truth)
    assert res["DEVICE_USED"] == "cpu" and res["KM2_PER_MINUTE"] > 0
    assert json.loads(res["LABEL_COUNTS"])["forest"] > 0
    assert read(res["PROBABILITIES"]).shape == (4, 96, 96) and np.isfinite(read(res["NOVELTY"])).all()
    assert (tmp_path / "labels.qml").is_file() and not leftovers(tmp_path)
    assert "exact posterior" in fb.text()


def test_epitomic_lsr_with_classes_in_another_crs(lsr, scene, tmp_path):
    """CLASSES: NLCD-like 30 m in EPSG:5070 for imagery in EPSG:26917 (aligned by nearest neighbour)."""
    res, _ = lsr(OUTPUT=str(tmp_path / "l.tif"), EMBEDDING_IMAGE=str(tmp_path / "emb.tif"))
    lab, truth = read(res["OUTPUT"]), read(scene.truth)
    inside = truth > 0
    assert np.mean(lab[inside] == truth[inside]) > 0.85
    assert set(json.loads(res["CLASS_SHARES"])) <= {"41", "82"}
    assert read(res["EMBEDDING_IMAGE"]).shape[0] == 3 and os.path.isfile(res["OUTPUT_MODEL"])


def test_embed_labels_outputs(embed, tmp_path):
    res, fb = embed(EMBEDDING_IMAGE=str(tmp_path / "emb.tif"))
    assert res["PATCHES"] > 0 and 0 < res["REACHED"] <= 1
    counts = json.loads(res["PIXELS_PER_LABEL"])
    assert counts["forest"] > 0 and counts["field"] > 0 and counts["water"] == 0
    pic = read(res["EMBEDDING_IMAGE"])
    assert pic.dtype == np.uint8 and pic.shape[0] == 3


@pytest.mark.parametrize("how", ["missing", "truncated", "newer", "not-a-model"])
@pytest.mark.parametrize("alg", ["predict", "embed", "lsr"])
def test_bad_model_files(request, tmp_path, trained, how, alg):
    run = request.getfixturevalue(alg)
    bad = tmp_path / "bad.epitome"
    if how == "truncated":
        with open(trained["embedded"], "rb") as fh:
            data = fh.read()
        bad.write_bytes(data[: len(data) // 2])
    elif how == "newer":
        meta = json.dumps({"format": "epitome-model", "version": 99}).encode()
        with open(bad, "wb") as fh:
            np.savez(fh, meta=np.frombuffer(meta, np.uint8), mu=np.zeros(1), var=np.zeros(1), log_prior=np.zeros(1))
    elif how == "not-a-model":
        bad.write_text("not a model")
    t0 = time.time()
    with pytest.raises(QgsProcessingException) as e:
        run(MODEL=str(bad))
    msg = str(e.value)
    assert "MODEL" in msg and "Traceback" not in msg, msg
    assert {"missing": "does not exist", "truncated": "truncated or corrupt", "newer": "newer Epitome",
            "not-a-model": "not"}[how] in msg, msg
    assert time.time() - t0 < 10 and not leftovers(tmp_path)
    assert not [n for n in os.listdir(tmp_path) if n.endswith((".tif", ".epitome")) and n != "bad.epitome"]


def test_predict_needs_an_embedding(predict, trained, tmp_path):
    with pytest.raises(QgsProcessingException) as e:
        predict(MODEL=trained["model"])
    assert "no label embedding" in str(e.value) and "epitome:embedlabels" in str(e.value)
    assert not (tmp_path / "labels.tif").exists()


def test_predict_nodata_and_tiny_rasters(predict, tmp_path):
    img = make_imagery(40, 40)
    img[:, 10:14, 10:14] = 0
    res, _ = predict(IMAGERY=write_raster(tmp_path / "nd.tif", img, img_gt(), nodata=0))
    lab = read(res["OUTPUT"])
    assert (lab[10:14, 10:14] == 0).all() and (lab[20:, :] > 0).all()
    tiny = write_raster(tmp_path / "tiny.tif", make_imagery(2, 3), img_gt())
    res, _ = predict(IMAGERY=tiny, OUTPUT=str(tmp_path / "tiny_labels.tif"))
    assert read(res["OUTPUT"]).shape == (2, 3) and (read(res["OUTPUT"]) == LBL_FOREST).any()


def test_predict_cancel_leaves_no_output(predict, tmp_path, cancelling_feedback):
    big = write_raster(tmp_path / "big.tif", make_imagery(400, 400), img_gt())
    out = tmp_path / "o"
    out.mkdir()
    with pytest.raises(QgsProcessingException) as e:
        predict(feedback=cancelling_feedback, IMAGERY=big, OUTPUT=str(out / "l.tif"),
                PROBABILITIES=str(out / "p.tif"), NOVELTY=str(out / "n.tif"))
    assert "ancel" in str(e.value)
    assert time.time() - cancelling_feedback.cancelled_at[0] < 10
    assert os.listdir(out) == []


@pytest.mark.parametrize("alg, raster", [("embed", "LABELS"), ("lsr", "CLASSES")])
def test_embed_and_lsr_cancel_leave_no_model(request, tmp_path, cancelling_feedback, alg, raster):
    big = write_raster(tmp_path / "big.tif", make_imagery(400, 400), img_gt())
    codes = np.full((400, 400), 41, np.uint8) if raster == "CLASSES" else np.full((400, 400), LBL_FOREST, np.uint8)
    other = write_raster(tmp_path / "big_other.tif", codes, img_gt())
    out = tmp_path / "o"
    out.mkdir()
    with pytest.raises(QgsProcessingException) as e:
        request.getfixturevalue(alg)(feedback=cancelling_feedback, IMAGERY=[big], **{raster: [other]},
                                     OUTPUT_MODEL=str(out / "m.epitome"))
    assert "ancel" in str(e.value)
    assert time.time() - cancelling_feedback.cancelled_at[0] < 10
    assert os.listdir(out) == []


@pytest.mark.parametrize("alg, raster", [("embed", "LABELS"), ("lsr", "CLASSES")])
def test_embed_and_lsr_layers_not_overlapping(request, tmp_path, alg, raster):
    codes = np.full((96, 96), 41 if raster == "CLASSES" else LBL_FOREST, np.uint8)
    far = write_raster(tmp_path / "far.tif", codes, img_gt(560000.0 + 10000, 4390000.0 + 10000))
    with pytest.raises(QgsProcessingException) as e:
        request.getfixturevalue(alg)(**{raster: [far]})
    assert "overlap" in str(e.value) and "Traceback" not in str(e.value), str(e.value)
    assert not list(tmp_path.glob("*.epitome")) and not leftovers(tmp_path)


def test_embed_labels_with_nodata_and_without_crs(embed, tmp_path):
    """Label nodata (0 and a declared nodata value) is left out of the embedding; rasters without a CRS of the
    same size work on the pixel grid."""
    img = make_imagery(96, 96)
    lab = np.where(np.arange(96)[None, :] < 48, LBL_FOREST, LBL_FIELD).repeat(96, 0).astype(np.uint8)
    lab[:30] = 0
    lab[60:, :20] = 200
    ipath = write_raster(tmp_path / "i.tif", img, None, None)
    lpath = write_raster(tmp_path / "l.tif", lab, None, None, nodata=200)
    res, fb = embed(IMAGERY=[ipath], LABELS=[lpath])
    pixels = json.loads(res["PIXELS_PER_LABEL"])
    assert pixels.get("water", 0) == 0 and pixels["forest"] > 0 and pixels["field"] > 0
    assert sum(pixels.values()) <= 96 * 96 - 30 * 96 - 36 * 20  # nodata rows and the 200 block left out
    assert any("CRS" in w for w in fb.warnings), fb.warnings


@pytest.mark.parametrize("alg, name", [("predict", "OUTPUT"), ("embed", "OUTPUT_MODEL"), ("lsr", "OUTPUT_MODEL")])
def test_unwritable_outputs(request, tmp_path, alg, name):
    (tmp_path / "afile").write_text("x")
    target = str(tmp_path / "afile" / ("x.tif" if name == "OUTPUT" else "x.epitome"))
    with pytest.raises(QgsProcessingException) as e:
        request.getfixturevalue(alg)(**{name: target})
    assert name in str(e.value) and "Traceback" not in str(e.value), str(e.value)


def test_same_seed_same_output(embed, tmp_path):
    from epitome.algorithms.epitome.model_file import load_model

    runs = [load_model(embed(SAMPLES=0.5, SEED=s, OUTPUT_MODEL=str(tmp_path / f"{i}.epitome"))[0]["OUTPUT_MODEL"])
            for i, s in enumerate((3, 3, 4))]
    assert np.array_equal(runs[0].labels.probs, runs[1].labels.probs)
    assert not np.array_equal(runs[0].labels.probs, runs[2].labels.probs)


def test_checked_before_running(embed, lsr, scene, tmp_path):
    t0 = time.time()
    with pytest.raises(QgsProcessingException) as e:
        embed(LABELS=[scene.truth, scene.truth])
    assert "one raster per IMAGERY" in str(e.value)
    with pytest.raises(QgsProcessingException) as e:
        embed(PATCH_SIZE=7, CENTRE=9)
    assert "CENTRE" in str(e.value) and "PATCH_SIZE" in str(e.value)
    with pytest.raises(QgsProcessingException) as e:
        embed(PATCH_SIZE=31)
    assert "PATCH_SIZE" in str(e.value) and "epitome size" in str(e.value)
    bad = tmp_path / "bad.csv"
    bad.write_text("class,a,b\n41,x,1\n")
    with pytest.raises(QgsProcessingException) as e:
        lsr(COMPOSITION=str(bad))
    assert "line" in str(e.value).lower()
    assert time.time() - t0 < 20 and not list(tmp_path.glob("*.epitome"))


def test_lsr_unknown_class_codes_are_named(lsr, scene, tmp_path):
    cls = np.full((96, 96), 41, np.uint8)
    cls[:10] = 77
    path = write_raster(tmp_path / "c77.tif", cls, img_gt())
    with pytest.raises(QgsProcessingException) as e:
        lsr(CLASSES=[path])
    assert "77" in str(e.value) and "composition" in str(e.value)
    res, _ = lsr(CLASSES=[path], UNKNOWN_AS_NODATA=True)
    assert json.loads(res["CLASS_SHARES"]) == {"41": 1.0}


@pytest.mark.timeout(300)
@pytest.mark.skipif(not os.path.exists(QGIS_PROCESS), reason="qgis_process.bin not installed")
def test_qgis_process_smoke(epitome_provider, trained, scene, tmp_path):
    """The three algorithms headless: listed, predict's help, and each one run with --json."""
    qp = qgis_process_runner(tmp_path)

    qp("plugins", "enable", "epitome")
    listing = qp("list").stdout
    assert all(a in listing for a in (EMBED, LSR, PREDICT)), listing
    helptext = qp("help", PREDICT).stdout  # (the others' parameters: test_registered_with_public_parameters_and_help)
    assert all(f"\n{n}: " in helptext for n in PUBLIC[PREDICT]), helptext[-2000:]
    fast = [f"{k}={v}" for k, v in FAST.items()]

    def run(alg_id, *args):
        p = qp("run", alg_id, "--json", "--", *fast, *args)
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
        return json.loads(p.stdout[p.stdout.index("{"):])["results"]

    emb = run(EMBED, f"MODEL={trained['model']}", f"IMAGERY={scene.imagery}", f"LABELS={scene.truth}",
              "LABEL_NAMES=water,forest,field,built", f"OUTPUT_MODEL={tmp_path / 'e.epitome'}")
    pred = run(PREDICT, f"MODEL={emb['OUTPUT_MODEL']}", f"IMAGERY={scene.imagery}", f"OUTPUT={tmp_path / 'p.tif'}",
               f"NOVELTY={tmp_path / 'n.tif'}")
    assert np.mean(read(pred["OUTPUT"]) == read(scene.truth)) > 0.9 and pred["DEVICE_USED"] == "cpu"
    lsr = run(LSR, f"MODEL={trained['model']}", f"IMAGERY={scene.imagery}", f"CLASSES={scene.classes}",
              f"OUTPUT_MODEL={tmp_path / 'l.epitome'}", f"OUTPUT={tmp_path / 'l.tif'}")
    assert read(lsr["OUTPUT"]).shape == (96, 96) and set(np.unique(read(lsr["OUTPUT"]))) <= {0, 1, 2, 3, 4}
    assert LBL_FIELD in np.unique(read(lsr["OUTPUT"]))
    assert gdal.Open(str(tmp_path / "p.tif")) is not None and not leftovers(tmp_path)
