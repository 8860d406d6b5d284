"""epitome:estimatecomposition through QGIS Processing: the scene's truth under its NLCD layer, errors that
say what to change, cancel, atomic output, and that the CSV is a valid COMPOSITION."""

import os
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingException

from qgis_scenes import FIELD, FOREST, IMG_EPSG, LBL_FIELD, LBL_FOREST, halves, img_gt, write_raster

ALG = "epitome:estimatecomposition"


@pytest.fixture
def run_est(processing_runner, tmp_path):
    return processing_runner(ALG, {"OUTPUT": str(tmp_path / "comp.csv")})


def test_registered_with_help(epitome_provider):
    alg = QgsApplication.processingRegistry().algorithmById(ALG)
    assert alg is not None and alg.displayName() == "Estimate composition from a labelled area"
    assert [p.name() for p in alg.parameterDefinitions()] == [
        "REFERENCE", "REFERENCE_BAND", "CLASSES", "CLASSES_BAND", "ALIGN", "MAX_SHIFT", "MIN_PIXELS", "OUTPUT"]
    assert {"OUTPUT", "CLASS_COUNT", "LABEL_COUNT"} <= {o.name() for o in alg.outputDefinitions()}
    assert len(alg.shortHelpString()) > 200
    for p in alg.parameterDefinitions():
        assert len(p.help().strip()) > 20, p.name()


def test_scene_truth_under_nlcd(run_est, scene, tmp_path):
    """Truth 2 | 3 (forest | field) under NLCD 41 | 82 at 30 m in another CRS: 41 -> label 2, 82 -> label 3."""
    from epitome.algorithms.composition.table import load_composition

    res, fb = run_est(REFERENCE=scene.truth, CLASSES=scene.classes)
    out = res["OUTPUT"]
    assert out == str(tmp_path / "comp.csv") and os.path.isfile(out)
    assert res["CLASS_COUNT"] == 2 and res["LABEL_COUNT"] == 3 and res["PIXELS"] == 96 * 96
    comp = load_composition(out)
    assert comp.class_codes == [FOREST, FIELD] and comp.labels == ["label 1", "label 2", "label 3"]
    m = comp.matrix
    assert m[0, LBL_FOREST - 1] > 0.8 and m[1, LBL_FIELD - 1] > 0.8 and m[:, 0].max() == 0
    # the same counts by hand: the class layer warped onto the truth grid (nearest), pixel pairs counted
    t = gdal.Open(scene.truth).ReadAsArray()
    c = gdal.Warp("", scene.classes, format="MEM", outputBounds=(img_gt()[0], img_gt()[3] - 96, img_gt()[0] + 96,
                  img_gt()[3]), width=96, height=96, dstSRS=f"EPSG:{IMG_EPSG}", resampleAlg="near").ReadAsArray()
    for i, code in enumerate(comp.class_codes):
        n = np.array([np.sum((c == code) & (t == k)) for k in (1, 2, 3)], float)
        np.testing.assert_allclose(m[i], n / n.sum(), atol=1e-6)
    text = Path(out).read_text(encoding="utf-8")
    assert text.startswith("# p(label | class) estimated") and "\ncolour," in text
    assert "pixels per class: 41=" in text
    assert not [n for n in os.listdir(tmp_path) if ".partial" in n]
    assert "class 41" in fb.text()


def test_names_and_colours_from_the_reference(run_est, tmp_path):
    from epitome.algorithms.composition.table import load_composition

    lab = halves(left=1, right=4)
    ref = write_raster(tmp_path / "ref.tif", lab, img_gt(), IMG_EPSG)
    ds = gdal.Open(ref, gdal.GA_Update)
    b = ds.GetRasterBand(1)
    ct = gdal.ColorTable()
    ct.SetColorEntry(1, (10, 20, 30, 255))
    ct.SetColorEntry(4, (200, 100, 50, 255))
    b.SetRasterColorTable(ct)
    b.SetRasterCategoryNames(["nodata", "water", "forest", "field", "built"])
    ds = b = None
    cls = write_raster(tmp_path / "cls.tif", halves(), img_gt(), IMG_EPSG)
    res, _ = run_est(REFERENCE=ref, CLASSES=cls)
    comp = load_composition(res["OUTPUT"])
    assert comp.labels == ["water", "forest", "field", "built"]
    assert comp.colours[0] == (10, 20, 30) and comp.colours[3] == (200, 100, 50)
    np.testing.assert_allclose(comp.matrix, [[1, 0, 0, 0], [0, 0, 0, 1]])


def test_min_pixels_and_bands(run_est, tmp_path):
    lab = halves(left=1, right=2)
    cls = halves()
    cls[0, 0] = 11
    two = np.stack([np.zeros_like(lab), lab])
    ref = write_raster(tmp_path / "ref2.tif", two, img_gt(), IMG_EPSG)
    c = write_raster(tmp_path / "cls.tif", cls, img_gt(), IMG_EPSG)
    res, fb = run_est(REFERENCE=ref, REFERENCE_BAND=2, CLASSES=c, MIN_PIXELS=5)
    assert res["CLASS_COUNT"] == 2
    assert "11 (1 px)" in fb.text()
    with pytest.raises(QgsProcessingException):
        run_est(REFERENCE=ref, REFERENCE_BAND=3, CLASSES=c)
    with pytest.raises(QgsProcessingException):  # band 1 is all zero = nodata
        run_est(REFERENCE=ref, REFERENCE_BAND=1, CLASSES=c)


def _error_text(run_est, recording_feedback, **params):
    fb = recording_feedback()
    with pytest.raises(QgsProcessingException) as e:
        run_est(feedback=fb, **params)
    return str(e.value) + "\n" + fb.text()


def test_errors_say_what_to_change(run_est, recording_feedback, tmp_path):
    lab = write_raster(tmp_path / "lab.tif", halves(left=1, right=2), img_gt(), IMG_EPSG)
    far = write_raster(tmp_path / "far.tif", halves(), img_gt(x0=100000.0), IMG_EPSG)
    msg = _error_text(run_est, recording_feedback, REFERENCE=lab, CLASSES=far)
    assert "do not overlap" in msg and "Extent of REFERENCE" in msg
    nocrs = write_raster(tmp_path / "nocrs.tif", halves(10, 10), None, None)
    msg = _error_text(run_est, recording_feedback, REFERENCE=lab, CLASSES=nocrs)
    assert "CLASSES has no CRS" in msg and "Assign" in msg
    zeros = write_raster(tmp_path / "zeros.tif", np.zeros((96, 96), np.uint8), img_gt(), IMG_EPSG)
    msg = _error_text(run_est, recording_feedback, REFERENCE=zeros, CLASSES=lab)
    assert "share no pixel" in msg
    frac = write_raster(tmp_path / "frac.tif", np.full((96, 96), 0.3, np.float32), img_gt(), IMG_EPSG)
    msg = _error_text(run_est, recording_feedback, REFERENCE=frac, CLASSES=lab)
    assert "non-integer" in msg and "label" in msg
    out = tmp_path / "no_such_dir_file"
    out.mkdir()
    msg = _error_text(run_est, recording_feedback, REFERENCE=lab, CLASSES=lab, OUTPUT=str(out))
    assert "folder" in msg


def test_output_not_writable_leaves_inputs(run_est, recording_feedback, tmp_path):
    lab = write_raster(tmp_path / "lab.tif", halves(left=1, right=2), img_gt(), IMG_EPSG)
    before = sorted(os.listdir(tmp_path))
    (tmp_path / "afile").write_text("x")  # a file where the output folder should be (root can write anywhere else)
    msg = _error_text(run_est, recording_feedback, REFERENCE=lab, CLASSES=lab, OUTPUT=str(tmp_path / "afile" / "c.csv"))
    assert "OUTPUT" in msg and "cannot" in msg and "Traceback" not in msg, msg
    assert sorted(os.listdir(tmp_path)) == sorted(before + ["afile"])


def test_cancel_leaves_no_output(run_est, cancelling_feedback, tmp_path):
    big = np.tile(halves(left=1, right=2), (12, 1))  # 1152 rows: three blocks
    gt = img_gt()
    lab = write_raster(tmp_path / "lab.tif", big, gt, IMG_EPSG)
    out = tmp_path / "cancelled.csv"
    with pytest.raises(QgsProcessingException, match="Cancel"):
        run_est(feedback=cancelling_feedback, REFERENCE=lab, CLASSES=lab, OUTPUT=str(out))
    assert not out.exists() and not [n for n in os.listdir(tmp_path) if ".partial" in n]


def test_existing_output_replaced_atomically(run_est, tmp_path):
    lab = write_raster(tmp_path / "lab.tif", halves(left=1, right=2), img_gt(), IMG_EPSG)
    out = tmp_path / "c.csv"
    out.write_text("old")
    res, _ = run_est(REFERENCE=lab, CLASSES=lab, OUTPUT=str(out))
    assert out.read_text().startswith("#") and res["LABEL_COUNT"] == 2


def test_csv_colours_style_the_lsr_labels(tmp_path):
    """A composition CSV's colour row reaches the label style (styling uses composition.colours)."""
    from qgis.core import QgsProcessingFeedback, QgsProject, QgsRasterLayer

    from epitome.algorithms.composition.table import parse_composition
    from epitome.plugin.processing.styling import style_label_output

    comp = parse_composition("class,water,forest\ncolour,#112233,#445566\n1,1,0\n2,0,1\n")
    path = write_raster(tmp_path / "labels.tif", halves(left=1, right=2), img_gt(), IMG_EPSG)
    ctx = QgsProcessingContext()
    ctx.addLayerToLoadOnCompletion(path, QgsProcessingContext.LayerDetails("x", QgsProject.instance(), "x"))
    style_label_output(ctx, path, comp, "Labels")
    layer = QgsRasterLayer(path, "raw")
    ctx.layerToLoadOnCompletionDetails(path).postProcessor().postProcessLayer(layer, ctx, QgsProcessingFeedback())
    assert [(c.value, c.label, c.color.name()) for c in layer.renderer().classes()] == [
        (1, "water", "#112233"), (2, "forest", "#445566")]
