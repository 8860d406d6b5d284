"""epitome:baselines through QGIS Processing: the naive and smooth label-only maps, and the rows of
docs/RELIABILITY.md that apply to an algorithm reading a class layer on a target grid (no PyTorch)."""

import os
import time

import numpy as np
import pytest
from qgis.core import QgsProcessingException

from qgis_scenes import (
    FIELD,
    FOREST,
    LBL_FIELD,
    LBL_FOREST,
    MALFORMED_COMPOSITIONS,
    MALFORMED_IDS,
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

ALG = "epitome:baselines"


@pytest.fixture
def run_baselines(processing_runner, scene, tmp_path):
    """run_baselines(**params) -> (results, feedback); defaults: the scene, NAIVE and SMOOTH in tmp_path."""
    return processing_runner(ALG, {"IMAGERY": scene.imagery, "CLASSES": scene.classes,
                                   "NAIVE": str(tmp_path / "naive.tif"), "SMOOTH": str(tmp_path / "smooth.tif")})


def maps(res):
    return read(res["NAIVE"]), read(res["SMOOTH"])


def partials(folder):
    return sorted(n for n in os.listdir(folder) if ".partial" in n)


def test_naive_is_the_class_argmax_and_smooth_differs_only_at_the_boundary(run_baselines, tmp_path):
    """Classes on the imagery grid (1 m): naive = argmax p(label | class) pixel by pixel (forest 41 -> forest,
    crops 82 -> field in the built-in table); smooth = the same away from the class boundary."""
    img, cls = small_pair(tmp_path)
    naive, smooth = maps(run_baselines(IMAGERY=img, CLASSES=cls)[0])
    expected = np.where(halves(64, 64) == FOREST, LBL_FOREST, LBL_FIELD)
    assert (naive == expected).all()
    differs = np.nonzero((smooth != expected).any(axis=0))[0]
    assert len(differs) <= 2 and all(abs(c - 32) <= 1 for c in differs), differs


def test_classes_in_another_crs_at_30_m(run_baselines, scene):
    """The scene's NLCD-like layer (30 m, EPSG:5070) on the 1 m imagery grid: both maps cover the grid and follow
    the classes away from the boundary; smooth is not blocky (it changes inside 30 m cells)."""
    res, _ = run_baselines()
    naive, smooth = maps(res)
    assert naive.shape == smooth.shape == (SIZE, SIZE)
    assert (naive > 0).all() and (smooth > 0).all()
    for lab in (naive, smooth):
        assert (lab[:, :20] == LBL_FOREST).mean() > 0.95 and (lab[:, -20:] == LBL_FIELD).mean() > 0.95


def test_class_layer_on_offset_grid(run_baselines, tmp_path):
    img, _ = small_pair(tmp_path)
    cls = make_classes_1m(tmp_path / "offset.tif", pad=3, dx=0.5, dy=-0.5, h=64, w=64)
    naive, smooth = maps(run_baselines(IMAGERY=img, CLASSES=cls)[0])
    assert (naive > 0).all() and (smooth > 0).all()
    assert (naive[:, :28] == LBL_FOREST).all() and (naive[:, 36:] == LBL_FIELD).all()


def test_layers_not_overlapping(run_baselines, tmp_path):
    far = write_raster(tmp_path / "far.tif", halves(), img_gt(X0 + 10000, Y0 + 10000))
    with pytest.raises(QgsProcessingException) as e:
        run_baselines(CLASSES=far)
    msg = str(e.value)
    assert "do not overlap" in msg and "560000.00" in msg and "570000.00" in msg, msg
    assert not os.path.exists(tmp_path / "naive.tif") and not partials(tmp_path)


def test_layers_overlapping_partly(run_baselines, scene, tmp_path):
    a = np.full((SIZE, 128), FIELD, np.uint8)
    a[:, :112] = FOREST
    cls = write_raster(tmp_path / "part.tif", a, img_gt(X0 - 64, Y0 - 32))  # imagery cols 0..63, rows 32..95
    for lab in maps(run_baselines(CLASSES=cls)[0]):
        assert (lab[:32, :] == 0).all() and (lab[:, 64:] == 0).all()
        assert (lab[32:, :64] > 0).all()


def test_imagery_nodata_gives_zero(run_baselines, tmp_path):
    """Where the grid raster (the imagery) has no data, both maps are 0, as a super-resolution result is."""
    img = make_imagery(64, 64)
    img[:, 10:30, 5:25] = 0
    img[:, 50, 60] = 0
    ipath = write_raster(tmp_path / "img_nd.tif", img, img_gt(), nodata=0)
    cls = write_raster(tmp_path / "cls.tif", halves(64, 64), img_gt())
    nod = np.zeros((64, 64), bool)
    nod[10:30, 5:25] = True
    nod[50, 60] = True
    for lab in maps(run_baselines(IMAGERY=ipath, CLASSES=cls)[0]):
        assert (lab[nod] == 0).all() and (lab[~nod] > 0).all()


def test_class_nodata_gives_zero(run_baselines, tmp_path):
    img, _ = small_pair(tmp_path)
    c = halves(64, 64)
    c[40:60, 40:64] = 200
    cls = write_raster(tmp_path / "cls_nd.tif", c, img_gt(), nodata=200)
    naive, smooth = maps(run_baselines(IMAGERY=img, CLASSES=cls)[0])
    rest = np.ones((64, 64), bool)
    rest[40:60, 40:64] = False
    for lab in (naive, smooth):
        assert (lab[40:60, 40:64] == 0).all()
    assert (naive[rest] > 0).all()


def test_codes_missing_from_the_table(run_baselines, tmp_path):
    img, _ = small_pair(tmp_path)
    c = halves(64, 64)
    c[:8, :] = 99
    c[56:, :8] = 77
    cls = write_raster(tmp_path / "cls_unknown.tif", c, img_gt())
    with pytest.raises(QgsProcessingException) as e:
        run_baselines(IMAGERY=img, CLASSES=cls)
    msg = str(e.value)
    assert "77" in msg and "99" in msg and "composition" in msg, msg
    assert not os.path.exists(tmp_path / "naive.tif") and not partials(tmp_path)
    naive, _ = maps(run_baselines(IMAGERY=img, CLASSES=cls, UNKNOWN_AS_NODATA=True)[0])
    assert (naive[:8, :] == 0).all() and (naive[56:, :8] == 0).all() and (naive[8:56, :] > 0).all()
    naive, _ = maps(run_baselines(IMAGERY=img, CLASSES=cls, NODATA_CODES="77, 99")[0])
    assert (naive[:8, :] == 0).all() and (naive[56:, :8] == 0).all() and (naive[8:56, :] > 0).all()


def test_custom_composition_columns_and_names(run_baselines, tmp_path):
    img, cls = small_pair(tmp_path)
    csv = tmp_path / "comp.csv"
    csv.write_text("class,grass,trees\n41,0.2,0.8\n82,0.7,0.3\n")
    naive, _ = maps(run_baselines(IMAGERY=img, CLASSES=cls, COMPOSITION=str(csv))[0])
    assert (naive[:, :32] == 2).all() and (naive[:, 32:] == 1).all()  # codes follow the CSV's column order


@pytest.mark.parametrize("text, line, words", MALFORMED_COMPOSITIONS, ids=MALFORMED_IDS)
def test_malformed_composition(run_baselines, tmp_path, text, line, words):
    csv = tmp_path / "bad.csv"
    csv.write_text(text)
    with pytest.raises(QgsProcessingException) as e:
        run_baselines(COMPOSITION=str(csv))
    assert f"line {line}" in str(e.value) and words in str(e.value), str(e.value)
    assert not os.path.exists(tmp_path / "naive.tif")


def test_no_output_asked(run_baselines):
    with pytest.raises(QgsProcessingException) as e:
        run_baselines(NAIVE=None, SMOOTH=None)
    assert "NAIVE or SMOOTH" in str(e.value)


@pytest.mark.parametrize("bands, dtype", [(1, "uint16"), (3, "float32"), (5, "uint8")])
def test_grid_rasters_of_any_bands_and_type(run_baselines, tmp_path, bands, dtype):
    img, cls = small_pair(tmp_path, bands=bands, dtype=dtype)
    naive, smooth = maps(run_baselines(IMAGERY=img, CLASSES=cls)[0])
    assert naive.shape == (64, 64) and (naive > 0).all() and (smooth > 0).all()


def test_rasters_without_crs(run_baselines, tmp_path):
    img, cls = small_pair(tmp_path, georef=False)
    res, fb = run_baselines(IMAGERY=img, CLASSES=cls)
    naive, _ = maps(res)
    assert (naive == np.where(halves(64, 64) == FOREST, LBL_FOREST, LBL_FIELD)).all()
    assert any("no CRS" in w for w in fb.warnings), fb.warnings
    other = write_raster(tmp_path / "cls_small.tif", halves(32, 32), None, None)
    with pytest.raises(QgsProcessingException) as e:
        run_baselines(IMAGERY=img, CLASSES=other)
    assert "no CRS" in str(e.value) and "32 x 32" in str(e.value)


@pytest.mark.parametrize("n", [1, 3])
def test_tiny_grid(run_baselines, tmp_path, n):
    img = write_raster(tmp_path / "tiny.tif", make_imagery(n, n), img_gt())
    cls = write_raster(tmp_path / "tiny_cls.tif", halves(n, n), img_gt())
    naive, smooth = maps(run_baselines(IMAGERY=img, CLASSES=cls)[0])
    assert naive.shape == smooth.shape == (n, n) and (naive > 0).all() and (smooth > 0).all()


def test_cancel_leaves_nothing(run_baselines, tmp_path, cancelling_feedback):
    out = tmp_path / "out"
    out.mkdir()
    big = make_imagery(1024, 1024, bands=1)  # several strips, so progress is reported before the end
    img = write_raster(tmp_path / "big.tif", big, img_gt())
    cls = write_raster(tmp_path / "big_cls.tif", halves(1024, 1024), img_gt())
    fb = cancelling_feedback
    with pytest.raises(QgsProcessingException) as e:
        run_baselines(feedback=fb, IMAGERY=img, CLASSES=cls, NAIVE=str(out / "n.tif"), SMOOTH=str(out / "s.tif"))
    assert fb.cancelled_at and time.time() - fb.cancelled_at[0] < 10
    assert "ancel" in str(e.value)
    assert os.listdir(out) == [], os.listdir(out)


def test_output_not_writable(run_baselines, scene, tmp_path):
    before = {p: md5(p) for p in (scene.imagery, scene.classes)}
    listing = copy_tree_files(scene.folder)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(QgsProcessingException) as e:
        run_baselines(SMOOTH=str(tmp_path / "afile" / "s.tif"))
    msg = str(e.value)
    assert "SMOOTH" in msg and "cannot" in msg.lower() and "Traceback" not in msg, msg
    assert {p: md5(p) for p in before} == before and copy_tree_files(scene.folder) == listing
    assert not os.path.exists(tmp_path / "naive.tif") and not partials(tmp_path)  # nothing half-written


def test_same_inputs_identical_maps(run_baselines, tmp_path):
    a = maps(run_baselines()[0])
    b = maps(run_baselines(NAIVE=str(tmp_path / "n2.tif"), SMOOTH=str(tmp_path / "s2.tif"))[0])
    assert all((x == y).all() for x, y in zip(a, b))
