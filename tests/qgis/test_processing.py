"""epitome:selfepitomiclsr and epitome:evaluate through QGIS Processing (docs/RELIABILITY.md rows)."""

import json
import os
import subprocess
import textwrap
import time

import numpy as np
import pytest
from osgeo import gdal, osr
from qgis.core import QgsApplication, QgsProcessingException

from qgis_scenes import (
    FIELD,
    FOREST,
    IMG_EPSG,
    LBL_FIELD,
    LBL_FOREST,
    MALFORMED_COMPOSITIONS,
    MALFORMED_IDS,
    PKGROOT,
    SIZE,
    X0,
    Y0,
    copy_tree_files,
    halves,
    img_gt,
    make_classes_1m,
    make_imagery,
    md5,
    read,
    small_pair,
    write_raster,
)

LSR = "epitome:selfepitomiclsr"
EVAL = "epitome:evaluate"
LSR_PARAMS = ["IMAGERY", "BANDS", "CLASSES", "COMPOSITION", "ALIGN", "MAX_SHIFT", "EXTENT", "TILE_SIZE", "DOWNSAMPLE", "PATCH_SIZE",
              "SAMPLES", "VARIANCE", "EM_ITERATIONS", "EM_TOLERANCE", "KEY_STRIDE", "PATCH_DIMS",
              "TABLE_MODE", "APPEARANCE_ITERATIONS", "FUSION", "APPEARANCE_WEIGHT",
              "FUSION_WEIGHT", "NODATA_CODES", "UNKNOWN_AS_NODATA", "DEVICE", "SEED", "REFERENCE", "REFERENCE_FIELD", "SCHEDULER",
              "OUTPUT", "PROBABILITIES", "CONFIDENCE", "TRUST", "ALIGNED_CLASSES"]


def path_of(value):
    """processing.run may hand back a layer instead of the path."""
    return value if isinstance(value, str) else value.source()


def assert_halves(labels, min_share=0.85, cols=None):
    """Left half mostly forest, right half mostly field (optionally only columns `cols` of each half)."""
    w = labels.shape[1]
    left, right = labels[:, : w // 2], labels[:, w // 2:]
    if cols is not None:
        left, right = left[:, :cols], right[:, -cols:]
    lf = np.mean(left == LBL_FOREST)
    rf = np.mean(right == LBL_FIELD)
    assert lf >= min_share, f"left half: only {lf:.2%} forest"
    assert rf >= min_share, f"right half: only {rf:.2%} field"


def category_names(path):
    """Category names of band 1. GDAL 3.6 loads a GeoTIFF's .aux.xml lazily and GetCategoryNames() does not
    trigger the load (it returns None on a fresh dataset): read the description first."""
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    band.GetDescription()
    return band.GetRasterCategoryNames()


def leftovers(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".partial.tif") or ".partial." in n
                  or n.startswith(".epitome-probe-"))


# --------------------------------------------------------------------------------------------
# Provider, algorithms, parameters
# --------------------------------------------------------------------------------------------

def test_provider_and_algorithm_ids(epitome_provider):
    reg = QgsApplication.processingRegistry()
    assert reg.providerById("epitome") is not None
    ids = {a.id() for a in reg.providerById("epitome").algorithms()}
    assert {LSR, EVAL} <= ids
    assert reg.algorithmById(LSR) is not None and reg.algorithmById(EVAL) is not None
    groups = {a.name(): (a.groupId(), a.group()) for a in reg.providerById("epitome").algorithms()
              if " " not in a.id()}  # the algorithms, not the example models (ids with spaces)
    epitomes = ("epitomes", "Epitomes")
    assert {n for n, g in groups.items() if g == epitomes} == {"trainepitome", "embedlabels", "predict"}, groups
    lsr = ("lsr", "Label super-resolution")
    assert {n for n, g in groups.items() if g == lsr} == {"selfepitomiclsr", "epitomiclsr", "baselines", "evaluate",
                                                          "estimatecomposition", "aligncoarse"}, groups


def test_lsr_parameter_names_exact(epitome_provider):
    alg = QgsApplication.processingRegistry().algorithmById(LSR)
    assert [p.name() for p in alg.parameterDefinitions()] == LSR_PARAMS
    outs = {o.name() for o in alg.outputDefinitions()}
    assert {"OUTPUT", "PROBABILITIES", "CONFIDENCE", "TILES", "SECONDS", "LABEL_COUNTS", "DEVICE_USED",
            "APPEARANCE_WEIGHT_USED", "CHANGED_FROM_SMOOTH", "FUSION_USED", "CHANGED_SHARE", "EVIDENCE",
            "ESTIMATED_ACCURACY", "ESTIMATED_ACCURACY_LOW", "ESTIMATED_ACCURACY_HIGH", "NAIVE_ACCURACY_ESTIMATE",
            "SMOOTH_ACCURACY_ESTIMATE"} <= outs


@pytest.mark.parametrize("alg_id", [LSR, EVAL])
def test_every_parameter_has_help(epitome_provider, alg_id):
    alg = QgsApplication.processingRegistry().algorithmById(alg_id)
    assert len(alg.shortHelpString()) > 200
    for p in alg.parameterDefinitions():
        assert len(p.help().strip()) > 20, f"{alg_id} {p.name()} has no help text"


# --------------------------------------------------------------------------------------------
# Correct output (class layer in EPSG:5070 at 30 m = another CRS / resolution / grid)
# --------------------------------------------------------------------------------------------

def test_output_on_imagery_grid_and_correct(run_lsr, scene, tmp_path):
    res, fb = run_lsr(PROBABILITIES=str(tmp_path / "prob.tif"), CONFIDENCE=str(tmp_path / "conf.tif"))
    out = path_of(res["OUTPUT"])
    assert out == str(tmp_path / "labels.tif") and os.path.isfile(out)
    ds, img = gdal.Open(out), gdal.Open(scene.imagery)
    assert (ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (SIZE, SIZE, 1)
    assert ds.GetGeoTransform() == pytest.approx(img.GetGeoTransform())
    s1, s2 = osr.SpatialReference(ds.GetProjection()), osr.SpatialReference(img.GetProjection())
    assert s1.IsSame(s2)
    band = ds.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Byte and band.GetNoDataValue() == 0
    ct = band.GetRasterColorTable()
    assert ct is not None and ct.GetCount() >= 5
    assert category_names(out)[:5] == ["nodata", "water", "forest", "field", "built"]
    lab = band.ReadAsArray()
    assert lab.min() >= 0 and lab.max() <= 4
    assert (lab > 0).all(), "every pixel has imagery and a class: no nodata expected"
    assert_halves(lab, 0.8)
    assert_halves(lab, 0.97, cols=24)  # far from the 30 m class boundary: all but certain
    qml = str(tmp_path / "labels.qml")
    assert os.path.isfile(qml)
    with open(qml, encoding="utf-8") as fh:
        text = fh.read()
    assert "paletted" in text and "forest" in text
    counts = json.loads(res["LABEL_COUNTS"])
    assert counts["forest"] == int((lab == 2).sum()) and counts["field"] == int((lab == 3).sum())
    assert res["TILES"] == 4 and res["DEVICE_USED"] == "cpu"
    assert not leftovers(tmp_path)

    prob = read(path_of(res["PROBABILITIES"])).astype(np.float64)
    assert prob.shape == (4, SIZE, SIZE)
    valid = lab > 0
    assert np.allclose(prob[:, valid].sum(0), 1.0, atol=1e-3)
    assert (prob[:, valid] >= 0).all()
    assert np.array_equal(prob.argmax(0)[valid] + 1, lab[valid])
    conf = read(path_of(res["CONFIDENCE"]))
    assert conf.shape == (SIZE, SIZE)
    assert (conf[valid] >= 0.25 - 1e-5).all() and (conf[valid] <= 1 + 1e-5).all()
    assert np.allclose(conf[valid], prob.max(0)[valid], atol=1e-5)


def test_evaluate_lsr_output_against_truth(run_lsr, scene, tmp_path, epitome_provider):
    import processing

    res, _ = run_lsr()
    ev = processing.run(EVAL, {"PREDICTION": path_of(res["OUTPUT"]), "REFERENCE": scene.truth,
                               "REPORT": str(tmp_path / "r.html")})
    assert ev["OVERALL_ACCURACY"] > 0.85
    assert ev["PIXELS"] == SIZE * SIZE
    iou = json.loads(ev["PER_CLASS_IOU"])  # names come from the label raster's categories
    assert iou["forest"] > 0.7 and iou["field"] > 0.7


def test_class_layer_on_offset_grid(run_lsr, tmp_path):
    cls = make_classes_1m(tmp_path / "cls_offset.tif", pad=3, dx=0.5, dy=-0.5)
    res, _ = run_lsr(CLASSES=cls)
    lab = read(path_of(res["OUTPUT"]))
    assert lab.shape == (SIZE, SIZE) and (lab > 0).all()
    assert_halves(lab, 0.9)


# --------------------------------------------------------------------------------------------
# Overlap
# --------------------------------------------------------------------------------------------

def test_layers_not_overlapping(run_lsr, tmp_path):
    far = write_raster(tmp_path / "far.tif", halves(), img_gt(X0 + 10000, Y0 + 10000))
    with pytest.raises(QgsProcessingException) as e:
        run_lsr(CLASSES=far)
    msg = str(e.value)
    assert "do not overlap" in msg
    assert "560000.00" in msg and "570000.00" in msg, msg  # both extents named (x min of each)
    assert "4390000.00" in msg and "4400000.00" in msg, msg
    assert not os.path.exists(tmp_path / "labels.tif") and not leftovers(tmp_path)


def test_layers_overlapping_partly(run_lsr, tmp_path):
    # class layer covers imagery columns 0..63 and rows 32..95 only
    a = np.full((SIZE, 128), FIELD, np.uint8)
    a[:, :112] = FOREST  # class column c is imagery column c - 64: forest | field at imagery column 48
    cls = write_raster(tmp_path / "part.tif", a, img_gt(X0 - 64, Y0 - 32))  # cols -64..63, rows 32..127
    res, _ = run_lsr(CLASSES=cls)
    lab = read(path_of(res["OUTPUT"]))
    assert lab.shape == (SIZE, SIZE)
    assert (lab[:32, :] == 0).all(), "no class above row 32: nodata"
    assert (lab[:, 64:] == 0).all(), "no class right of column 64: nodata"
    inside = lab[32:, :64]
    assert (inside > 0).mean() > 0.99
    assert np.mean(inside[:, :40] == LBL_FOREST) > 0.9
    assert np.mean(inside[:, 52:] == LBL_FIELD) > 0.6


# --------------------------------------------------------------------------------------------
# Nodata
# --------------------------------------------------------------------------------------------

def test_imagery_nodata_gives_zero(run_lsr, tmp_path):
    img = make_imagery(64, 64)
    img[:, 10:30, 5:25] = 0  # a block of nodata (all bands)
    img[:, 50, 60] = 0  # and a single pixel
    ipath = write_raster(tmp_path / "img_nd.tif", img, img_gt(), nodata=0)
    cls = write_raster(tmp_path / "cls.tif", halves(64, 64), img_gt())
    res, _ = run_lsr(IMAGERY=ipath, CLASSES=cls)
    lab = read(path_of(res["OUTPUT"]))
    nod = np.zeros((64, 64), bool)
    nod[10:30, 5:25] = True
    nod[50, 60] = True
    assert (lab[nod] == 0).all()
    assert (lab[~nod] > 0).all()
    assert_halves(np.where(nod, LBL_FOREST, lab), 0.85)


def test_class_nodata_gives_zero(run_lsr, tmp_path):
    ipath, _ = small_pair(tmp_path)
    c = halves(64, 64)
    c[40:60, 40:64] = 200  # declared nodata value, not an NLCD code
    cls = write_raster(tmp_path / "cls_nd.tif", c, img_gt(), nodata=200)
    res, _ = run_lsr(IMAGERY=ipath, CLASSES=cls)
    lab = read(path_of(res["OUTPUT"]))
    assert (lab[40:60, 40:64] == 0).all()
    rest = np.ones((64, 64), bool)
    rest[40:60, 40:64] = False
    assert (lab[rest] > 0).all()


# --------------------------------------------------------------------------------------------
# Composition table
# --------------------------------------------------------------------------------------------

def test_class_codes_missing_from_composition(run_lsr, tmp_path):
    ipath, _ = small_pair(tmp_path)
    c = halves(64, 64)
    c[:8, :] = 99  # not an NLCD code
    c[56:, :8] = 77
    cls = write_raster(tmp_path / "cls_unknown.tif", c, img_gt())
    with pytest.raises(QgsProcessingException) as e:
        run_lsr(IMAGERY=ipath, CLASSES=cls)
    msg = str(e.value)
    assert "77" in msg and "99" in msg and "composition" in msg
    assert not os.path.exists(tmp_path / "labels.tif") and not leftovers(tmp_path)

    res, fb = run_lsr(IMAGERY=ipath, CLASSES=cls, UNKNOWN_AS_NODATA=True)
    lab = read(path_of(res["OUTPUT"]))
    assert (lab[:8, :] == 0).all() and (lab[56:, :8] == 0).all()
    assert (lab[8:56, :] > 0).all()
    assert any("99" in w for w in fb.warnings)


def test_custom_composition(run_lsr, tmp_path):
    ipath, cpath = small_pair(tmp_path)
    csv = tmp_path / "comp.csv"
    csv.write_text("class,trees,crops\n41,0.9,0.1\n82,0.05,0.95\n")
    res, _ = run_lsr(IMAGERY=ipath, CLASSES=cpath, COMPOSITION=str(csv))
    assert category_names(path_of(res["OUTPUT"]))[:3] == ["nodata", "trees", "crops"]
    lab = read(path_of(res["OUTPUT"]))
    assert set(np.unique(lab)) <= {1, 2}
    assert np.mean(lab[:, :32] == 1) > 0.85 and np.mean(lab[:, 32:] == 2) > 0.85


@pytest.mark.parametrize("text, line, words", MALFORMED_COMPOSITIONS, ids=MALFORMED_IDS)
def test_malformed_composition(run_lsr, tmp_path, text, line, words):
    csv = tmp_path / "bad.csv"
    csv.write_text(text)
    with pytest.raises(QgsProcessingException) as e:
        run_lsr(COMPOSITION=str(csv))
    msg = str(e.value)
    assert f"line {line}" in msg and words in msg, msg
    assert not os.path.exists(tmp_path / "labels.tif")


# --------------------------------------------------------------------------------------------
# Bands and data types
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bands", [1, 3, 5])
def test_band_counts(run_lsr, tmp_path, bands):
    ipath, cpath = small_pair(tmp_path, bands=bands)
    res, fb = run_lsr(IMAGERY=ipath, CLASSES=cpath)
    lab = read(path_of(res["OUTPUT"]))
    assert lab.shape == (64, 64) and (lab > 0).all()
    assert_halves(lab, 0.85)
    assert f"bands {list(range(1, bands + 1))}" in fb.text()


def test_band_subset(run_lsr, tmp_path):
    ipath, cpath = small_pair(tmp_path, bands=5)
    res, fb = run_lsr(IMAGERY=ipath, CLASSES=cpath, BANDS=[2, 4])
    assert "bands [2, 4]" in fb.text()
    assert_halves(read(path_of(res["OUTPUT"])), 0.85)


@pytest.mark.parametrize("dtype, scaling", [("uint8", "uint8 / 255"), ("uint16", "percentile"),
                                            ("float32", "percentile")])
def test_data_types(run_lsr, tmp_path, dtype, scaling):
    ipath, cpath = small_pair(tmp_path, dtype=dtype)
    ds = gdal.Open(ipath)
    assert ds.GetRasterBand(1).DataType == {"uint8": gdal.GDT_Byte, "uint16": gdal.GDT_UInt16,
                                            "float32": gdal.GDT_Float32}[dtype]
    ds = None
    res, fb = run_lsr(IMAGERY=ipath, CLASSES=cpath)
    lab = read(path_of(res["OUTPUT"]))
    assert (lab > 0).all()
    assert_halves(lab, 0.85)
    assert f"scaling {scaling}" in fb.text()


# --------------------------------------------------------------------------------------------
# No CRS, tiny rasters
# --------------------------------------------------------------------------------------------

def test_rasters_without_crs(run_lsr, tmp_path):
    ipath, cpath = small_pair(tmp_path, georef=False)
    assert gdal.Open(ipath).GetProjection() == ""
    res, fb = run_lsr(IMAGERY=ipath, CLASSES=cpath)
    lab = read(path_of(res["OUTPUT"]))
    assert lab.shape == (64, 64) and (lab > 0).all()
    assert_halves(lab, 0.85)
    assert any("no CRS" in w for w in fb.warnings), fb.warnings


def test_rasters_without_crs_of_different_size(run_lsr, tmp_path):
    ipath, _ = small_pair(tmp_path, georef=False)
    cls = write_raster(tmp_path / "cls_small.tif", halves(32, 32), None, None)
    with pytest.raises(QgsProcessingException) as e:
        run_lsr(IMAGERY=ipath, CLASSES=cls)
    assert "no CRS" in str(e.value) and "32 x 32" in str(e.value)


@pytest.mark.parametrize("n", [1, 3, 10])
def test_tiny_raster(run_lsr, tmp_path, n):
    """n x n px: smaller than a tile and, at working resolution, than a 7 x 7 patch. Works (no error):
    the labels follow the class layer."""
    ipath = write_raster(tmp_path / "tiny.tif", make_imagery(n, n), img_gt())
    cpath = write_raster(tmp_path / "tiny_cls.tif", halves(n, n), img_gt())
    res, _ = run_lsr(IMAGERY=ipath, CLASSES=cpath, PATCH_SIZE=7)
    lab = read(path_of(res["OUTPUT"]))
    assert lab.shape == (n, n)
    expected = np.where(np.arange(n)[None, :] < n // 2, LBL_FOREST, LBL_FIELD)
    assert np.mean(lab == expected) >= 0.9, lab
    assert res["TILES"] == 1 and not leftovers(tmp_path)


# --------------------------------------------------------------------------------------------
# Cancel, unwritable output
# --------------------------------------------------------------------------------------------

def test_cancel_leaves_nothing(run_lsr, tmp_path, cancelling_feedback):
    fb = cancelling_feedback
    cancelled_at = fb.cancelled_at
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(QgsProcessingException) as e:
        run_lsr(feedback=fb, OUTPUT=str(out / "labels.tif"), PROBABILITIES=str(out / "p.tif"),
                CONFIDENCE=str(out / "c.tif"))
    assert cancelled_at, "progress was never reported"
    assert time.time() - cancelled_at[0] < 10, "did not stop within seconds"
    assert "ancel" in str(e.value)
    assert os.listdir(out) == [], os.listdir(out)  # no output, no .partial.tif, no .qml


@pytest.mark.parametrize("where", ["proc", "parent-is-file"])
def test_output_not_writable(run_lsr, scene, tmp_path, where):
    before = {p: md5(p) for p in (scene.imagery, scene.classes)}
    listing = copy_tree_files(scene.folder)
    if where == "proc":
        target = "/proc/epitome-test/labels.tif"
    else:
        (tmp_path / "afile").write_text("x")
        target = str(tmp_path / "afile" / "labels.tif")
    with pytest.raises(QgsProcessingException) as e:
        run_lsr(OUTPUT=target)
    msg = str(e.value)
    assert "OUTPUT" in msg and ("cannot" in msg.lower()) and "Traceback" not in msg, msg
    assert {p: md5(p) for p in before} == before
    assert copy_tree_files(scene.folder) == listing
    assert not os.path.exists(target)


def test_probabilities_not_writable_leaves_no_labels(run_lsr, tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(QgsProcessingException) as e:
        run_lsr(PROBABILITIES=str(tmp_path / "afile" / "p.tif"))
    assert "PROBABILITIES" in str(e.value)
    assert not os.path.exists(tmp_path / "labels.tif") and not leftovers(tmp_path)


# --------------------------------------------------------------------------------------------
# Determinism, device, torch missing
# --------------------------------------------------------------------------------------------

def test_same_seed_identical_output(run_lsr, tmp_path):
    ipath, cpath = small_pair(tmp_path)
    a, _ = run_lsr(IMAGERY=ipath, CLASSES=cpath, OUTPUT=str(tmp_path / "a.tif"), SEED=7,
                   PROBABILITIES=str(tmp_path / "pa.tif"))
    b, _ = run_lsr(IMAGERY=ipath, CLASSES=cpath, OUTPUT=str(tmp_path / "b.tif"), SEED=7,
                   PROBABILITIES=str(tmp_path / "pb.tif"))
    la, lb = read(path_of(a["OUTPUT"])), read(path_of(b["OUTPUT"]))
    assert la.tobytes() == lb.tobytes()
    assert read(path_of(a["PROBABILITIES"])).tobytes() == read(path_of(b["PROBABILITIES"])).tobytes()


def test_cuda_requested_without_gpu(run_lsr, tmp_path):
    import torch

    ipath, cpath = small_pair(tmp_path)
    res, fb = run_lsr(IMAGERY=ipath, CLASSES=cpath, DEVICE="cuda")
    assert os.path.isfile(path_of(res["OUTPUT"]))
    if torch.cuda.is_available():
        assert res["DEVICE_USED"].startswith("cuda")
    else:
        assert res["DEVICE_USED"] == "cpu"
        assert any("CUDA is not available" in w for w in fb.warnings), fb.warnings


def test_bad_device_name(run_lsr, tmp_path):
    ipath, cpath = small_pair(tmp_path)
    with pytest.raises(QgsProcessingException) as e:
        run_lsr(IMAGERY=ipath, CLASSES=cpath, DEVICE="tpu")
    assert "DEVICE" in str(e.value) and "cuda" in str(e.value)


TORCH_MISSING_SCRIPT = textwrap.dedent("""
    import json, os, sys
    sys.path.insert(0, {pkgroot!r})
    from qgis.core import QgsApplication, QgsProcessingException
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append('/usr/share/qgis/python/plugins')
    from processing.core.Processing import Processing
    Processing.initialize()
    out = {{}}
    try:
        import torch
        out["torch"] = torch.__file__
    except ImportError:
        out["torch"] = None
    import epitome
    plugin = epitome.classFactory(None)
    plugin.initProcessing()
    reg = QgsApplication.processingRegistry()
    alg = reg.algorithmById("epitome:selfepitomiclsr")
    out["ids"] = sorted(a.id() for a in reg.providerById("epitome").algorithms())
    out["can_execute"] = list(alg.canExecute())
    out["train_can_execute"] = list(reg.algorithmById("epitome:trainepitome").canExecute())
    out["estimate_can_execute"] = list(reg.algorithmById("epitome:estimatecomposition").canExecute())
    out["baselines_can_execute"] = list(reg.algorithmById("epitome:baselines").canExecute())
    out["apply_can_execute"] = [list(reg.algorithmById("epitome:" + n).canExecute())
                                for n in ("embedlabels", "epitomiclsr", "predict")]
    import processing
    try:
        processing.run("epitome:selfepitomiclsr", {{"IMAGERY": {img!r}, "CLASSES": {cls!r},
                       "TILE_SIZE": 64, "OUTPUT": {out!r}}})
        out["error"] = None
    except QgsProcessingException as e:
        out["error"] = str(e)
    out["output_exists"] = os.path.exists({out!r})
    res = processing.run("epitome:baselines", {{"IMAGERY": {img!r}, "CLASSES": {cls!r},
                                               "NAIVE": {out!r} + ".naive.tif"}})
    out["baselines_written"] = os.path.exists(res["NAIVE"])
    plugin.unload()
    out["unloaded"] = reg.providerById("epitome") is None
    print("RESULT " + json.dumps(out))
    app.exitQgis()
""")


def test_torch_missing(tmp_path):
    ipath, cpath = small_pair(tmp_path)
    (tmp_path / "empty-deps").mkdir()
    (tmp_path / "home").mkdir()
    script = TORCH_MISSING_SCRIPT.format(pkgroot=PKGROOT, img=ipath, cls=cpath, out=str(tmp_path / "o.tif"))
    env = dict(os.environ, EPITOME_DEPS=str(tmp_path / "empty-deps"), HOME=str(tmp_path / "home"),
               QT_QPA_PLATFORM="offscreen", PYTHONPATH="")
    env.pop("PYTHONHOME", None)
    p = subprocess.run(["/usr/bin/python3", "-c", script], env=env, capture_output=True, text=True, timeout=120,
                       cwd=str(tmp_path))
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"rc={p.returncode}\nstdout:{p.stdout}\nstderr:{p.stderr}"
    r = json.loads(lines[-1][7:])
    assert r["torch"] is None, "torch importable: the simulation is not valid"
    # the plugin loads without torch
    assert r["ids"] == ["epitome:aligncoarse", "epitome:baselines", "epitome:embedlabels", "epitome:epitomiclsr",
                        "epitome:estimatecomposition", "epitome:evaluate", "epitome:lsr_and_evaluate",
                        "epitome:lsr_with_estimated_composition", "epitome:predict", "epitome:selfepitomiclsr",
                        "epitome:train_embed_predict", "epitome:trainepitome"]  # the algorithms and example models
    assert r["estimate_can_execute"][0] is True  # no PyTorch needed to estimate a composition
    assert r["baselines_can_execute"][0] is True and r["baselines_written"] is True  # nor for the baselines
    for ok, msg in [r["can_execute"], r["train_can_execute"]] + r["apply_can_execute"]:
        assert ok is False
        # the plugin's installer first, on every platform; the exact command of this one as the fallback
        assert "Raster > Epitome > Install or update PyTorch" in msg and "-m pip install --target" in msg, msg
        assert str(tmp_path / "empty-deps") in msg and "download.pytorch.org/whl/cpu" in msg
    assert r["error"] and "PyTorch" in r["error"] and "pip install" in r["error"]
    assert r["output_exists"] is False
    assert r["unloaded"] is True


# --------------------------------------------------------------------------------------------
# epitome:evaluate
# --------------------------------------------------------------------------------------------

# rows = reference, columns = prediction; 0 = nodata (ignored)
REF = np.array([[1, 1, 2, 2],
                [1, 1, 2, 2],
                [1, 1, 2, 2],
                [3, 3, 3, 3]], np.uint8)
PRED = np.array([[1, 1, 1, 2],
                 [1, 1, 2, 2],
                 [1, 2, 2, 2],
                 [3, 3, 0, 2]], np.uint8)
# By hand: ref 1 (6 px) -> pred 1 x5, pred 2 x1; ref 2 (6 px) -> pred 1 x1, pred 2 x5;
# ref 3 (4 px) -> pred 3 x2, pred 2 x1, nodata x1 (ignored). 15 pixels compared, 12 correct.
CM = [[5, 1, 0], [1, 5, 0], [0, 1, 2]]
OA = 12 / 15
IOU = {"water": 5 / (6 + 6 - 5), "forest": 5 / (6 + 7 - 5), "field": 2 / (3 + 2 - 2)}


def test_evaluate_known_confusion(epitome_provider, tmp_path):
    import processing

    scale = 5  # 20 x 20 px rasters at 1 m, every cell 5 x 5 px
    up = np.ones((scale, scale), np.uint8)
    pred = write_raster(tmp_path / "pred.tif", np.kron(PRED, up), img_gt(), nodata=0)
    ref = write_raster(tmp_path / "ref.tif", np.kron(REF, up), img_gt())
    res = processing.run(EVAL, {"PREDICTION": pred, "REFERENCE": ref, "LABEL_NAMES": "water, forest,field",
                                "REPORT": str(tmp_path / "report.html"), "CSV": str(tmp_path / "report.csv")})
    assert res["OVERALL_ACCURACY"] == pytest.approx(OA)
    assert res["PIXELS"] == 15 * scale * scale
    iou = json.loads(res["PER_CLASS_IOU"])
    assert iou == pytest.approx(IOU)
    assert res["MEAN_IOU"] == pytest.approx(sum(IOU.values()) / 3)
    cm = json.loads(res["CONFUSION_MATRIX"])
    assert cm["labels"] == ["water", "forest", "field"]
    assert cm["rows_reference"] == [[v * scale * scale for v in row] for row in CM]
    with open(path_of(res["REPORT"]), encoding="utf-8") as fh:
        html = fh.read()
    assert "<table" in html and "forest" in html
    with open(path_of(res["CSV"]), encoding="utf-8") as fh:
        csv_text = fh.read()
    assert "forest" in csv_text and str(5 * scale * scale) in csv_text


def test_evaluate_reference_other_crs(epitome_provider, scene, tmp_path):
    """Reference warped to EPSG:5070 at 2 m: resampled back by nearest, equal to GDAL's nearest warp."""
    import processing

    truth = np.kron(REF, np.ones((24, 24), np.uint8))  # 96 x 96, 1 m
    pred_arr = np.kron(PRED, np.ones((24, 24), np.uint8))
    pred = write_raster(tmp_path / "pred.tif", pred_arr, img_gt(), nodata=0)
    t1 = write_raster(tmp_path / "truth_1m.tif", truth, img_gt())
    ref = str(tmp_path / "truth_5070_2m.tif")
    gdal.Warp(ref, t1, options=gdal.WarpOptions(dstSRS="EPSG:5070", xRes=2.0, yRes=2.0, resampleAlg="near",
                                                dstNodata=0))
    res = processing.run(EVAL, {"PREDICTION": pred, "REFERENCE": ref, "LABEL_NAMES": "water,forest,field",
                                "REPORT": str(tmp_path / "report.html")})
    # expected: the reference brought back onto the prediction grid by nearest neighbour
    back = gdal.Warp("", ref, options=gdal.WarpOptions(
        format="MEM", dstSRS=f"EPSG:{IMG_EPSG}", outputBounds=(X0, Y0 - SIZE, X0 + SIZE, Y0), width=SIZE,
        height=SIZE, resampleAlg="near", srcNodata=0, dstNodata=0)).ReadAsArray()
    ok = (pred_arr > 0) & (back > 0)
    expected_oa = np.mean(pred_arr[ok] == back[ok])
    assert res["PIXELS"] == int(ok.sum())
    assert res["OVERALL_ACCURACY"] == pytest.approx(expected_oa, abs=1e-9)
    assert res["OVERALL_ACCURACY"] == pytest.approx(OA, abs=0.03)  # and close to the exact 1 m answer
    assert os.path.isfile(path_of(res["REPORT"]))


def test_evaluate_no_overlap(epitome_provider, tmp_path):
    import processing

    pred = write_raster(tmp_path / "pred.tif", np.kron(PRED, np.ones((5, 5), np.uint8)), img_gt())
    ref = write_raster(tmp_path / "ref.tif", np.kron(REF, np.ones((5, 5), np.uint8)), img_gt(X0 + 5000))
    with pytest.raises(QgsProcessingException) as e:
        processing.run(EVAL, {"PREDICTION": pred, "REFERENCE": ref})
    assert "do not overlap" in str(e.value)


def test_a_batch_run_with_empty_optional_outputs_reports_success(epitome_provider, scene, tmp_path):
    """Batch mode gives every output as QgsProcessingOutputLayerDefinition(text, project), '' for the optional
    ones left empty; QGIS's result handling (the batch dialog's) must then load the label map and report no
    'layers not correctly generated'."""
    from processing.gui.Postprocessing import handleAlgorithmResults
    from qgis.core import (
        QgsApplication,
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingOutputLayerDefinition,
        QgsProject,
    )

    from qgis_scenes import FAST

    prj = QgsProject.instance()
    alg = QgsApplication.processingRegistry().createAlgorithmById("epitome:selfepitomiclsr")
    params = dict(FAST, IMAGERY=scene.imagery, CLASSES=scene.classes,
                  OUTPUT=QgsProcessingOutputLayerDefinition(str(tmp_path / "batch.tif"), prj),
                  PROBABILITIES=QgsProcessingOutputLayerDefinition("", prj),
                  CONFIDENCE=QgsProcessingOutputLayerDefinition("", prj))

    class Feedback(QgsProcessingFeedback):
        errors = []

        def reportError(self, error, fatalError=False):  # noqa: N802,N803
            self.errors.append(error)

    fb = Feedback()
    ctx = QgsProcessingContext()
    ctx.setProject(prj)
    try:
        results, ok = alg.run(params, ctx, fb)
        assert ok and results["OUTPUT"] == str(tmp_path / "batch.tif")
        assert handleAlgorithmResults(alg, ctx, fb, False, params) is True
        assert not fb.errors, fb.errors
        assert [lyr.name() for lyr in prj.mapLayers().values()] == ["batch labels"]
    finally:
        prj.removeAllMapLayers()
        prj.layerTreeRoot().removeAllChildren()
