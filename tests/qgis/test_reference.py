"""epitome:selfepitomiclsr with reference samples (REFERENCE, REFERENCE_FIELD) through Processing and qgis_process:
points, polygons and a label raster; codes and names; a memory layer; the estimates as outputs; what is wrong said
before any work (docs/RELIABILITY.md)."""

import json
import os

import numpy as np
import pytest
from osgeo import ogr, osr

from qgis_scenes import FAST, IMG_EPSG, X0, Y0, qgis_process_runner, read

pytest.importorskip("torch")

LSR = "epitome:selfepitomiclsr"


def points_layer(path, truth, n=80, seed=0, names=False, field="label", geom="point"):
    """A GeoPackage of n random truth pixels as points (or 3 x 3 m squares) with the label as a code or a name."""
    rng = np.random.default_rng(seed)
    rows, cols = np.nonzero(truth > 0)
    pick = rng.choice(rows.size, n, replace=False)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(IMG_EPSG)
    lyr = ds.CreateLayer("samples", srs, ogr.wkbPoint if geom == "point" else ogr.wkbPolygon)
    lyr.CreateField(ogr.FieldDefn(field, ogr.OFTString if names else ogr.OFTInteger))
    label_names = ["water", "forest", "field", "built"]
    for i in pick:
        x, y = X0 + cols[i] + 0.5, Y0 - rows[i] - 0.5
        wkt = f"POINT ({x} {y})" if geom == "point" else \
            f"POLYGON (({x - 1.4} {y - 1.4}, {x + 1.4} {y - 1.4}, {x + 1.4} {y + 1.4}, {x - 1.4} {y + 1.4}, {x - 1.4} {y - 1.4}))"
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(wkt))
        value = int(truth[rows[i], cols[i]])
        f.SetField(field, label_names[value - 1] if names else value)
        lyr.CreateFeature(f)
    ds = None
    return str(path)


@pytest.fixture
def lsr(processing_runner, scene):
    return processing_runner(LSR, dict(dict(IMAGERY=scene.imagery, CLASSES=scene.classes, DEVICE="cpu"), **FAST))


@pytest.mark.parametrize("kind", ["codes", "names", "polygons"])
def test_samples_give_estimates_beside_both_baselines(lsr, scene, tmp_path, kind):
    truth = read(scene.truth)
    ref = points_layer(tmp_path / "ref.gpkg", truth, names=kind == "names",
                       geom="polygon" if kind == "polygons" else "point")
    res, fb = lsr(REFERENCE=ref, REFERENCE_FIELD="label", OUTPUT=str(tmp_path / "o.tif"),
                  TRUST=str(tmp_path / "t.tif"))
    lab = read(res["OUTPUT"])
    m = truth > 0
    true_acc = (lab[m] == truth[m]).mean()
    assert res["ESTIMATED_ACCURACY_LOW"] <= true_acc <= res["ESTIMATED_ACCURACY_HIGH"], (res, true_acc)
    assert 0 <= res["NAIVE_ACCURACY_ESTIMATE"] <= 1 and 0 <= res["SMOOTH_ACCURACY_ESTIMATE"] <= 1
    assert res["FUSION_USED"] in ("smooth", "naive")
    assert any("Estimated accuracy of the result" in m for m in fb.infos)
    trust = read(res["TRUST"])
    assert trust[m].min() >= 0 and trust[m].max() <= 1
    ev = json.loads(res["EVIDENCE"])
    assert set(ev) == {"41", "82"} and 0 <= res["CHANGED_SHARE"] <= 1


def test_a_label_raster_and_a_memory_layer_are_samples_too(lsr, scene, tmp_path, qgis_app):
    from qgis.core import QgsProject, QgsVectorLayer

    res, _ = lsr(REFERENCE=scene.truth, OUTPUT=str(tmp_path / "r.tif"))
    assert res["ESTIMATED_ACCURACY"] > 0.8  # the truth raster itself: thousands of samples
    mem = QgsVectorLayer(f"Point?crs=EPSG:{IMG_EPSG}&field=label:integer", "samples", "memory")
    feats = []
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY

    truth = read(scene.truth)
    for r, c in ((5, 5), (10, 80), (50, 20), (60, 90), (90, 10), (30, 70)):
        f = QgsFeature(mem.fields())
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(X0 + c + 0.5, Y0 - r - 0.5)))
        f.setAttribute("label", int(truth[r, c]))
        feats.append(f)
    mem.dataProvider().addFeatures(feats)
    QgsProject.instance().addMapLayer(mem)
    try:
        res, fb = lsr(REFERENCE=mem, REFERENCE_FIELD="label", OUTPUT=str(tmp_path / "m.tif"))
        assert res["ESTIMATED_ACCURACY"] is not None and any("not a file layer" in m for m in fb.infos)
    finally:
        QgsProject.instance().removeMapLayer(mem.id())


@pytest.mark.parametrize("case,message", [
    ("no field", "choose its label field"),
    ("wrong field", "REFERENCE_FIELD 'landcover' is not a field"),
    ("not labels", "holds values that are not labels"),
    ("elsewhere", "no labelled sample inside"),
    ("imagery", "has 4 bands"),
])
def test_what_is_wrong_with_the_samples_is_said(lsr, scene, tmp_path, case, message):
    from qgis.core import QgsProcessingException

    truth = read(scene.truth)
    ref, field = points_layer(tmp_path / "ref.gpkg", truth), "label"
    if case == "no field":
        field = None
    elif case == "wrong field":
        field = "landcover"
    elif case == "not labels":
        ref = points_layer(tmp_path / "bad.gpkg", truth + 10)
    elif case == "elsewhere":
        ref = points_layer(tmp_path / "far.gpkg", np.pad(truth, ((0, 0), (5000, 0)))[:, :5096], n=20)
    elif case == "imagery":
        ref, field = scene.imagery, None
    out = tmp_path / "o.tif"
    with pytest.raises(QgsProcessingException, match=message):
        lsr(REFERENCE=ref, REFERENCE_FIELD=field, OUTPUT=str(out))
    assert not out.exists()


def test_qgis_process_with_100_reference_points(scene, tmp_path):
    """The issue's form: a GeoPackage point layer, integer field 'label', in the imagery's CRS."""
    run = qgis_process_runner(tmp_path / "qp")
    enabled = run("plugins", "enable", "epitome")
    assert enabled.returncode == 0 or "already" in (enabled.stdout + enabled.stderr).lower(), enabled.stderr
    ref = points_layer(tmp_path / "ref.gpkg", read(scene.truth), n=100)
    out = tmp_path / "o.tif"
    args = ["run", LSR, "--json", "--", f"IMAGERY={scene.imagery}", f"CLASSES={scene.classes}", f"REFERENCE={ref}",
            "REFERENCE_FIELD=label", f"OUTPUT={out}"] + [f"{k}={v}" for k, v in dict(FAST, DEVICE="cpu").items()]
    p = run(*args)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    res = json.loads(p.stdout[p.stdout.index("{"):])["results"]
    assert res["ESTIMATED_ACCURACY_LOW"] <= res["ESTIMATED_ACCURACY"] <= res["ESTIMATED_ACCURACY_HIGH"]
    assert os.path.isfile(out)
