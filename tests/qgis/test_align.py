"""Registration of the coarse map through QGIS Processing: epitome:aligncoarse, and ALIGN on the algorithms that
read a coarse map (docs/RELIABILITY.md rows: a map moved into place, a map in place stays, a constant map, imagery
without texture, too little overlap, cancel)."""

import os

import numpy as np
import pytest
from osgeo import gdal
from qgis.core import QgsProcessingException

from synthetic.registration import write_shifted_scene

from qgis_scenes import FAST

ALG = "epitome:aligncoarse"


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """A 360 m scene whose coarse map is moved 15 m east and 15 m north: (imagery, classes)."""
    return write_shifted_scene(str(tmp_path_factory.mktemp("moved")), 15.0, 15.0)


@pytest.fixture
def run_align(processing_runner, moved, tmp_path):
    return processing_runner(ALG, {"IMAGERY": moved[0], "CLASSES": moved[1], "OUTPUT": str(tmp_path / "aligned.tif")})


def test_aligncoarse_moves_the_map_back(run_align, moved):
    res, fb = run_align()
    assert res["SHIFT_APPLIED"] == 1, fb.text()
    assert abs(res["SHIFT_EAST"] - 15) < 5 and abs(res["SHIFT_NORTH"] - 15) < 5
    assert 0 < res["SHIFT_UNCERTAINTY"] < 10 and "east" in res["ALIGN_REPORT"]
    a, b = gdal.Open(res["OUTPUT"]), gdal.Open(moved[1])
    assert (a.ReadAsArray() == b.ReadAsArray()).all()
    assert a.GetGeoTransform()[0] == pytest.approx(b.GetGeoTransform()[0] - res["SHIFT_EAST"])
    assert a.GetGeoTransform()[3] == pytest.approx(b.GetGeoTransform()[3] - res["SHIFT_NORTH"])


def test_estimate_only_writes_the_map_as_given(run_align, moved):
    res, _ = run_align(ALIGN="estimate")
    assert res["SHIFT_APPLIED"] == 0 and abs(res["SHIFT_EAST"] - 15) < 5
    assert gdal.Open(res["OUTPUT"]).GetGeoTransform() == gdal.Open(moved[1]).GetGeoTransform()


def test_a_map_in_place_stays_in_place(run_align, tmp_path):
    img, cls = write_shifted_scene(str(tmp_path / "inplace"))
    res, _ = run_align(IMAGERY=img, CLASSES=cls)
    assert res["SHIFT_APPLIED"] == 0 and np.hypot(res["SHIFT_EAST"], res["SHIFT_NORTH"]) < 5


@pytest.mark.parametrize("kw,words", [(dict(constant=True), "constant map"), (dict(texture=False), "no texture"),
                                      (dict(size=90), "too little")])
def test_unsupported_data_say_why_and_do_not_move(run_align, tmp_path, kw, words):
    img, cls = write_shifted_scene(str(tmp_path / "bad"), 15.0, 15.0, **kw)
    res, fb = run_align(IMAGERY=img, CLASSES=cls)
    assert res["SHIFT_APPLIED"] == 0 and words in res["ALIGN_REPORT"] and words in fb.text()
    assert gdal.Open(res["OUTPUT"]).GetGeoTransform() == gdal.Open(cls).GetGeoTransform()


def test_cancel_leaves_no_output(run_align, cancelling_feedback, tmp_path):
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_align(feedback=cancelling_feedback)
    assert not os.path.exists(tmp_path / "aligned.tif")


def test_a_bad_max_shift_is_refused_early(run_align):
    with pytest.raises(QgsProcessingException, match="MAX_SHIFT"):
        run_align(MAX_SHIFT=50)


def test_selfepitomiclsr_reports_and_corrects_the_offset(processing_runner, moved, tmp_path):
    run = processing_runner("epitome:selfepitomiclsr", dict(
        {"IMAGERY": moved[0], "CLASSES": moved[1], "OUTPUT": str(tmp_path / "labels.tif"),
         "ALIGNED_CLASSES": str(tmp_path / "aligned.tif"), "UNKNOWN_AS_NODATA": True}, **FAST))
    res, fb = run()
    assert res["SHIFT_APPLIED"] == 1 and abs(res["SHIFT_EAST"] - 15) < 5, fb.text()
    assert "Coarse map offset found" in fb.text() and os.path.exists(res["ALIGNED_CLASSES"])
    off, fb2 = run(ALIGN="off", ALIGNED_CLASSES=None)
    assert off["SHIFT_APPLIED"] == 0 and np.isnan(off["SHIFT_EAST"]) and "Coarse map offset" not in fb2.text()


def test_align_corrects_on_a_dask_cluster_too(processing_runner, moved, tmp_path):
    """ALIGN correct with SCHEDULER: the moved map reaches the worker processes (VRT text, not an in-memory file of
    this process) and the labels equal the in-process run's."""
    pytest.importorskip("distributed")  # installed by make test-deps; EPITOME_STRICT fails a skip
    base = dict({"IMAGERY": moved[0], "CLASSES": moved[1], "UNKNOWN_AS_NODATA": True}, **FAST)
    here, _ = processing_runner("epitome:selfepitomiclsr", dict(base, OUTPUT=str(tmp_path / "here.tif")))()
    res, fb = processing_runner("epitome:selfepitomiclsr", dict(base, OUTPUT=str(tmp_path / "cluster.tif"),
                                                                SCHEDULER="local:2"))()
    assert res["SHIFT_APPLIED"] == here["SHIFT_APPLIED"] == 1, fb.text()
    a, b = (gdal.Open(r["OUTPUT"]).ReadAsArray() for r in (here, res))
    assert (a == b).mean() >= 0.999


def test_the_wizard_shows_the_offset(epitome_provider):
    from epitome.plugin.gui.lsr_wizard import shift_html

    html = shift_html({"SHIFT_EAST": 14.6, "SHIFT_NORTH": -3.2, "SHIFT_UNCERTAINTY": 4.1, "SHIFT_APPLIED": 1})
    assert "+14.6 m east" in html and "-3.2 m north" in html and "4.1" in html and "moved back" in html
    nan = float("nan")
    assert "constant" in shift_html({"SHIFT_EAST": nan, "SHIFT_NORTH": nan, "ALIGN_REPORT": "A constant map: its offset cannot be estimated."})
    assert shift_html({"SHIFT_EAST": nan, "SHIFT_NORTH": nan, "ALIGN_REPORT": "ALIGN off: ..."}) == ""
    assert shift_html({}) == ""


def test_baselines_and_estimatecomposition_register_too(processing_runner, moved, tmp_path):
    res, _ = processing_runner("epitome:baselines", {
        "IMAGERY": moved[0], "CLASSES": moved[1], "NAIVE": str(tmp_path / "naive.tif"), "UNKNOWN_AS_NODATA": True})()
    assert res["SHIFT_APPLIED"] == 1 and abs(res["SHIFT_EAST"] - 15) < 5 and abs(res["SHIFT_NORTH"] - 15) < 5
    labels = os.path.join(os.path.dirname(moved[0]), "labels.tif")
    res, fb = processing_runner("epitome:estimatecomposition", {
        "REFERENCE": labels, "CLASSES": moved[1], "OUTPUT": str(tmp_path / "table.csv")})()
    assert res["SHIFT_APPLIED"] == 1 and abs(res["SHIFT_EAST"] - 15) < 5, fb.text()
    res, _ = processing_runner("epitome:estimatecomposition", {
        "REFERENCE": labels, "CLASSES": moved[1], "OUTPUT": str(tmp_path / "table2.csv"), "ALIGN": "off"})()
    assert res["SHIFT_APPLIED"] == 0
