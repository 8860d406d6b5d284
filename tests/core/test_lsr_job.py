"""The whole-raster LSR job: issue 9's defects (each fails on the code before its fix), settings in ground units,
EXTENT, footprint-only class reads, baselines and their evaluation."""

import numpy as np
import pytest
from osgeo import gdal

torch = pytest.importorskip("torch")

from test_pipeline import Recorder, scene, write  # noqa: E402

from algorithms.composition.table import load_composition, parse_composition  # noqa: E402
from algorithms.errors import EpitomeError  # noqa: E402
from algorithms.evaluate.accuracy import evaluate_rasters  # noqa: E402
from algorithms.evaluate.baselines import BaselineJob, run_baselines  # noqa: E402
from algorithms.evaluate.metrics import confusion_matrix, scores  # noqa: E402
from algorithms.lsr.job import LsrJob, LsrOutputs, ReferenceInput, run_self_epitomic_lsr  # noqa: E402
from algorithms.lsr.params import LsrParams, ground_settings  # noqa: E402
from algorithms.lsr.resolution import upsample_probs  # noqa: E402
from algorithms.lsr.tile import sample_queries  # noqa: E402
from algorithms.lsr.trust import DEFAULT_WEIGHT  # noqa: E402


def run(img, cls, tmp_path, name="o", comp=None, **kw):
    out = LsrOutputs(str(tmp_path / f"{name}.tif"), str(tmp_path / f"{name}_p.tif"), str(tmp_path / f"{name}_c.tif"))
    params = kw.pop("params", LsrParams(samples=0.2))
    fb = Recorder()
    stats = run_self_epitomic_lsr(LsrJob(img, cls, comp or load_composition(None), out, params=params, **kw), fb)
    read = lambda p: gdal.Open(p).ReadAsArray()  # noqa: E731
    return stats, read(out.labels), read(out.probabilities), read(out.confidence), fb


def test_pixels_next_to_nodata_get_a_label_and_a_real_confidence(tmp_path):
    """Valid pixels around a 60 x 60 hole, where no fully valid window covers them: labelled from the coarse
    prior, confidence >= 1/L, probabilities summing to 1 (before: nodata, or label 1 with confidence 0)."""
    rng = np.random.default_rng(0)
    H, W = 200, 230
    img = 40 + rng.integers(1, 40, (3, H, W)).astype(np.uint8)
    img[:, :, W // 2:] += 140
    img[:, 70:130, 60:120] = 0  # the hole (nodata 0 on every band)
    cls = np.where(np.arange(W)[None, :].repeat(H, 0) < W // 2, 41, 82).astype(np.uint8)
    i, c = write(tmp_path / "img.tif", img, nodata=0), write(tmp_path / "cls.tif", cls)
    stats, lab, prob, conf, _ = run(i, c, tmp_path, tile_size=96)
    hole = np.zeros((H, W), bool)
    hole[70:130, 60:120] = True
    assert (lab[hole] == 0).all() and (conf[hole] == -1).all()
    assert (lab[~hole] > 0).all(), "every valid pixel gets a label"
    assert conf[~hole].min() >= 0.25 - 1e-6, "a real confidence (at least 1/L) everywhere"
    np.testing.assert_allclose(prob[:, ~hole].sum(0), 1, atol=1e-4)  # blending never pulls below a sum of 1
    ring = np.zeros((H, W), bool)
    ring[66:134, 56:124] = True
    ring &= ~hole
    assert ((lab[ring] == 2) == (np.arange(W)[None, :].repeat(H, 0)[ring] < W // 2)).mean() > 0.9


def test_all_queries_are_shuffled():
    """With SAMPLES near 1 every candidate is a query: the order is still random (the appearance refinement
    keeps the first ones; before, they were the tile's top rows)."""
    cand = torch.arange(1000)
    q = sample_queries(cand, 5000, seed=1)
    assert sorted(q.tolist()) == list(range(1000)) and q.tolist() != list(range(1000))
    assert q[:100].max() > 500
    assert torch.equal(q, sample_queries(cand, 5000, seed=1))


def test_a_copy_of_the_nlcd_table_keeps_its_nodata_codes(tmp_path):
    """Nodata codes are data (a CSV row), not a rule about the built-in file's path."""
    comp = load_composition(None)
    assert comp.nodata_codes == [0, 255]
    copy = tmp_path / "copy.csv"
    copy.write_text(comp.to_csv())
    again = load_composition(str(copy))
    assert again.nodata_codes == [0, 255] and again.class_codes == comp.class_codes
    img, _ = scene(tmp_path)
    cls = np.where(np.arange(230)[None, :].repeat(200, 0) < 115, 41, 82).astype(np.uint8)
    cls[:10] = 0
    cls[-10:] = 255
    c = write(tmp_path / "cls0255.tif", cls)
    stats, lab, _, _, _ = run(img, c, tmp_path, comp=again, tile_size=96)
    assert (lab[:10] == 0).all() and (lab[-10:] == 0).all() and (lab[10:-10] > 0).all()


def test_nodata_row_is_checked():
    with pytest.raises(EpitomeError, match="line 2"):
        parse_composition("class,a,b\nnodata,zero\n1,1,0\n")
    with pytest.raises(EpitomeError, match="both a class row"):
        parse_composition("class,a,b\nnodata,1\n1,1,0\n")


def test_only_the_footprint_of_the_class_layer_is_read(tmp_path):
    """A class layer much larger than the imagery, with a code absent from the table far away: the run works
    (before: the whole layer was read and the far code stopped it)."""
    img, _ = scene(tmp_path)
    big = np.full((400, 400), 82, np.uint8)
    big[:, :200] = 41
    big[350:, 350:] = 77  # far from the imagery
    c = write(tmp_path / "big.tif", big, origin=(500000.0 - 3000, 4300000.0 + 3000), px=30.0)
    stats, lab, _, _, _ = run(img, c, tmp_path, tile_size=96)
    assert (lab > 0).all()
    big[105, 105] = 77  # under the imagery: still stops, naming it
    c2 = write(tmp_path / "big2.tif", big, origin=(500000.0 - 3000, 4300000.0 + 3000), px=30.0)
    with pytest.raises(EpitomeError, match="77"):
        run(img, c2, tmp_path, name="o2", tile_size=96)


def test_upsampling_scales_by_exactly_the_factor():
    """A tile side that is not a multiple of DOWNSAMPLE (101 = 2 x 51 - 1): working pixel j covers full pixels 2j
    and 2j + 1, so a label edge between working pixels 24 and 25 falls between full pixels 49 and 50
    (before: the scale was 51/101, which moved it)."""
    p = torch.zeros(2, 51, 51)
    p[0, :, :25] = 1
    p[1, :, 25:] = 1
    up = upsample_probs(p, 2, (101, 101))
    lab = up.argmax(0)[0]
    assert lab[49] == 0 and lab[50] == 1 and up.shape == (2, 101, 101)


def test_settings_follow_the_pixel_size(tmp_path):
    assert ground_settings(1.0) == (2, 512) and ground_settings(0.5) == (4, 1024) and ground_settings(0.3) == (7, 1707)
    rng = np.random.default_rng(0)
    img = (40 + rng.integers(0, 40, (3, 240, 240))).astype(np.uint8)
    img[:, :, 120:] += 140
    cls = np.where(np.arange(240)[None, :].repeat(240, 0) < 120, 41, 82).astype(np.uint8)
    i = write(tmp_path / "half_metre.tif", img, px=0.5)
    c = write(tmp_path / "c.tif", cls, px=0.5)
    stats, lab, _, _, fb = run(i, c, tmp_path)
    assert stats["downsample"] == 4 and stats["tile_size"] == 1024
    stats, _, _, _, _ = run(i, c, tmp_path, name="manual", params=LsrParams(samples=0.2, downsample=3), tile_size=64)
    assert stats["downsample"] == 3 and stats["tile_size"] == 64  # overridable


def test_extent_limits_the_run(tmp_path):
    img, cls = scene(tmp_path)
    extent = (500000.0 + 50, 4300000.0 - 150, 500000.0 + 180, 4300000.0 - 20)  # x 50..180, rows 20..150
    stats, lab, _, _, _ = run(img, cls, tmp_path, tile_size=96, extent=extent)
    assert lab.shape == (130, 130)
    gt = gdal.Open(str(tmp_path / "o.tif")).GetGeoTransform()
    assert gt[0] == pytest.approx(500050.0) and gt[3] == pytest.approx(4300000.0 - 20)
    with pytest.raises(EpitomeError, match="EXTENT"):
        run(img, cls, tmp_path, name="far", tile_size=96, extent=(0, 0, 10, 10))


def test_default_or_given_weight_and_what_appearance_changed_are_logged(tmp_path):
    img, cls = scene(tmp_path)
    stats, _, _, _, fb = run(img, cls, tmp_path, tile_size=96)
    assert stats["appearance_weight"] == DEFAULT_WEIGHT and stats["fusion_prior"] == "smooth"
    assert any(m.startswith("Fusion: smooth prior, appearance weight") and "the default" in m for m in fb.msgs)
    assert any(m.startswith("Appearance changed") for m in fb.msgs)
    assert "estimated_accuracy" not in stats  # no reference samples: no estimate
    assert set(stats["evidence"]) == {"41", "82"}
    stats0, lab0, _, _, _ = run(img, cls, tmp_path, name="w0", tile_size=96, params=LsrParams(appearance_weight=0.0))
    assert stats0["appearance_weight"] == 0
    assert stats0["changed_from_smooth"] == 0  # w = 0 is the smooth baseline itself


def reference_points(path, truth, n, seed=0, origin=(500000.0, 4300000.0), epsg=26917):
    """A GeoPackage of n random truth pixels (centres) with an integer field 'label'."""
    from osgeo import ogr, osr

    rng = np.random.default_rng(seed)
    rows, cols = np.nonzero(truth > 0)
    pick = rng.choice(rows.size, n, replace=False)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    lyr = ds.CreateLayer("points", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("label", ogr.OFTInteger))
    for i in pick:
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({origin[0] + cols[i] + 0.5} {origin[1] - rows[i] - 0.5})"))
        f.SetField("label", int(truth[rows[i], cols[i]]))
        lyr.CreateFeature(f)
    ds = None
    return str(path)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from synthetic.scene import write_scene

    return write_scene(str(tmp_path_factory.mktemp("gen") / "s"), size=384, seed=3)


def test_reference_samples_choose_the_fusion_and_estimate_the_accuracy(generated, tmp_path):
    """100 truth points: the fusion is chosen among the candidates, the estimated accuracy's 95% interval holds the
    map's true accuracy, both baselines are estimated on the same samples, and the log says all of it."""
    truth = gdal.Open(generated["truth"]).ReadAsArray()
    ref = ReferenceInput(reference_points(tmp_path / "ref.gpkg", truth, 100), "label")
    stats, lab, prob, conf, fb = run(generated["imagery"], generated["classes_30m"], tmp_path, reference=ref,
                                     params=LsrParams())
    m = truth > 0
    true_acc = (lab[m] == truth[m]).mean()
    assert stats["samples_used"] == 100
    assert stats["estimated_accuracy_low"] <= true_acc <= stats["estimated_accuracy_high"]
    assert stats["estimated_accuracy_high"] - stats["estimated_accuracy_low"] < 0.25
    assert 0 <= stats["naive_estimate"] <= 1 and 0 <= stats["smooth_estimate"] <= 1
    assert any(m.startswith("Estimated accuracy of the result") for m in fb.msgs)
    assert any(m.startswith("Reference samples: 100 used") for m in fb.msgs)
    again, lab2, _, _, _ = run(generated["imagery"], generated["classes_30m"], tmp_path, name="again", reference=ref,
                               params=LsrParams())
    assert np.array_equal(lab, lab2) and again["estimated_accuracy"] == stats["estimated_accuracy"]


def test_samples_that_contradict_appearance_bring_the_baseline_back(generated, tmp_path):
    """When the reference says the coarse map is right (truth = the smooth baseline itself), the samples choose a
    setting that agrees with it at least as well as the default (the paired sign test never switches to a worse
    one), and the estimate says so."""
    from algorithms.evaluate.baselines import BaselineJob, run_baselines

    comp = load_composition(None)
    naive, smooth = str(tmp_path / "n.tif"), str(tmp_path / "s.tif")
    run_baselines(BaselineJob(generated["imagery"], generated["classes_30m"], comp, naive, smooth))
    sm = gdal.Open(smooth).ReadAsArray()
    ref = ReferenceInput(reference_points(tmp_path / "ref.gpkg", sm, 300, seed=1), "label")
    default, lab_d, _, _, _ = run(generated["imagery"], generated["classes_30m"], tmp_path, name="d", params=LsrParams())
    stats, lab, _, _, fb = run(generated["imagery"], generated["classes_30m"], tmp_path, reference=ref,
                               params=LsrParams())
    m = sm > 0
    assert (lab[m] == sm[m]).mean() >= (lab_d[m] == sm[m]).mean()
    assert stats["smooth_estimate"] == 1.0 and stats["estimated_accuracy"] >= 0.97


def test_baselines_algorithm_and_evaluation_agree_with_a_hand_count(tmp_path):
    img, cls = scene(tmp_path)
    comp = load_composition(None)
    naive, smooth = str(tmp_path / "naive.tif"), str(tmp_path / "smooth.tif")
    run_baselines(BaselineJob(img, cls, comp, naive, smooth))
    n = gdal.Open(naive).ReadAsArray()
    # NLCD 41 -> forest (2), 82 -> field (3): the naive map is the class map's argmax rows
    assert (n[:, :115] == 2).all() and (n[:, 115:] == 3).all()
    s = gdal.Open(smooth).ReadAsArray()
    assert (s > 0).all() and set(np.unique(s)) <= {2, 3}
    truth = np.where(np.arange(230)[None, :].repeat(200, 0) < 110, 2, 3).astype(np.uint8)
    ref = write(tmp_path / "truth.tif", truth)
    res = evaluate_rasters(smooth, ref, classes=cls, composition=comp)
    for key, lab in (("naive", n), ("smooth", s)):
        want = scores(confusion_matrix(lab, truth, 4))
        assert res["baselines"][key]["scores"]["overall_accuracy"] == pytest.approx(want["overall_accuracy"])
    assert res["scores"]["overall_accuracy"] == pytest.approx(res["baselines"]["smooth"]["scores"]["overall_accuracy"])


def test_samples_beyond_the_tiles_computed_ahead_are_left_out_with_a_warning(generated, tmp_path, monkeypatch):
    import algorithms.lsr.job as job_module

    monkeypatch.setattr(job_module, "MAX_SAMPLE_TILES", 1)
    truth = gdal.Open(generated["truth"]).ReadAsArray()
    ref = ReferenceInput(reference_points(tmp_path / "ref.gpkg", truth, 100), "label")
    stats, _, _, _, fb = run(generated["imagery"], generated["classes_30m"], tmp_path, reference=ref, tile_size=128,
                             params=LsrParams())
    assert any("left out of the calibration" in w for w in fb.warns)
    assert 0 < stats["samples_used"] < 100
