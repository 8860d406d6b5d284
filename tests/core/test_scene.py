"""Synthetic scene generator (algorithms/scene.py), no QGIS."""

import math

import numpy as np
import pytest

from synthetic.scene import BUILT, FIELD, FOREST, WATER, generate_scene, nlcd_from_truth, write_scene


@pytest.fixture(scope="module")
def scene256():
    return generate_scene(256, seed=0)


def test_shapes_and_dtypes(scene256):
    assert scene256["imagery"].shape == (4, 256, 256) and scene256["imagery"].dtype == np.uint8
    assert scene256["truth"].shape == (256, 256) and scene256["truth"].dtype == np.uint8
    assert set(np.unique(scene256["truth"])) <= {WATER, FOREST, FIELD, BUILT}


def test_deterministic():
    a = generate_scene(160, seed=5)
    b = generate_scene(160, seed=5)
    c = generate_scene(160, seed=6)
    np.testing.assert_array_equal(a["imagery"], b["imagery"])
    np.testing.assert_array_equal(a["truth"], b["truth"])
    assert not np.array_equal(a["imagery"], c["imagery"])
    assert not np.array_equal(a["truth"], c["truth"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_all_classes_with_sensible_shares(seed):
    truth = generate_scene(256, seed=seed)["truth"]
    share = np.bincount(truth.ravel(), minlength=5)[1:] / truth.size
    assert np.all(share > 0.02), share
    assert share[WATER - 1] < 0.25 and share[BUILT - 1] < 0.35
    assert share[FOREST - 1] > 0.1 and share[FIELD - 1] > 0.2


def test_classes_differ_in_colour_but_overlap(scene256):
    img = scene256["imagery"].astype(float)
    truth = scene256["truth"]
    nir = {k: img[3][truth == k].mean() for k in (WATER, FOREST, FIELD, BUILT)}
    assert nir[WATER] < 50 < nir[BUILT] < nir[FOREST]        # water dark in NIR, vegetation bright
    # not trivially separable pixel by pixel: the nearest class mean misclassifies a fair share
    x = img.reshape(4, -1).T
    t = truth.ravel()
    means = np.stack([x[t == k].mean(0) for k in (1, 2, 3, 4)])
    pred = np.argmin(((x[:, None, :] - means[None]) ** 2).sum(-1), axis=1) + 1
    acc = (pred == t).mean()
    assert 0.5 < acc < 0.95, acc


def test_smooth_labels():
    fine = generate_scene(256, seed=3)
    smooth = generate_scene(256, seed=3, smooth_labels=True)
    np.testing.assert_array_equal(fine["imagery"], smooth["imagery"])    # same picture
    np.testing.assert_array_equal(fine["truth"], smooth["truth_detailed"])
    assert not np.array_equal(smooth["truth"], smooth["truth_detailed"])

    def edges(t):
        return int((t[1:] != t[:-1]).sum() + (t[:, 1:] != t[:, :-1]).sum())
    assert edges(smooth["truth"]) < 0.5 * edges(fine["truth"])


def _block_truth(shares, block=30):
    """A block x block truth patch with the given label counts (water, forest, field, built)."""
    flat = np.concatenate([np.full(n, k + 1, np.uint8) for k, n in enumerate(shares)])
    assert flat.size == block * block
    return flat.reshape(block, block)


def test_nlcd_codes_on_hand_made_truth():
    n = 900
    cases = [
        ((n, 0, 0, 0), {11}),                          # all water
        ((500, 0, 400, 0), {11}),                      # water 0.56 > 0.5
        ((0, 0, 270, 630), {24}),                      # built 0.7
        ((0, 0, 450, 450), {23}),                      # built 0.5
        ((0, 0, 630, 270), {22}),                      # built 0.3
        ((0, 0, 810, 90), {21}),                       # built 0.1
        ((0, 0, 846, 54), {81, 82}),                   # built 0.06, field 0.94
        ((0, n, 0, 0), {41, 42, 43}),                  # all forest
        ((0, 360, 540, 0), {81, 82}),                  # field 0.6
        ((0, 450, 270, 180), {21}),                    # built exactly 0.2: not > 0.2, but > 0.08
        ((0, 500, 400, 0), {52}),                      # mixed, forest ahead -> shrub
        ((200, 300, 400, 0), {71}),                    # mixed, field ahead -> grassland
    ]
    blocks = [_block_truth(s) for s, _ in cases]
    truth = np.concatenate([np.concatenate(blocks[i:i + 4], axis=1) for i in (0, 4, 8)], axis=0)
    out = nlcd_from_truth(truth, block=30, seed=0, noise=0.0)
    assert out.shape == (3, 4) and out.dtype == np.uint8
    for i, (_, allowed) in enumerate(cases):
        assert int(out.ravel()[i]) in allowed, (i, out.ravel()[i], allowed)


def test_nlcd_partial_blocks_and_nodata():
    truth = np.zeros((65, 95), np.uint8)
    truth[:30, :30] = WATER
    truth[:, 90:] = BUILT          # a 5 px wide edge column of blocks: all built where valid
    out = nlcd_from_truth(truth, block=30, noise=0.0)
    assert out.shape == (math.ceil(65 / 30), math.ceil(95 / 30))
    assert out[0, 0] == 11
    assert out[1, 1] == 0          # all nodata
    assert np.all(out[:, 3] == 24)


def test_nlcd_noise_deterministic():
    truth = generate_scene(300, seed=1)["truth"]
    a = nlcd_from_truth(truth, seed=4)
    b = nlcd_from_truth(truth, seed=4)
    clean = nlcd_from_truth(truth, seed=4, noise=0.0)
    np.testing.assert_array_equal(a, b)
    changed = (a != clean).mean()
    assert changed < 0.15
    assert set(np.unique(a)) <= {11, 21, 22, 23, 24, 41, 42, 43, 52, 71, 81, 82}


def test_write_scene(tmp_path):
    from osgeo import gdal, osr

    gdal.UseExceptions()
    size = 200
    paths = write_scene(str(tmp_path / "s"), size=size, seed=2)
    assert paths["size"] == size
    img = gdal.Open(paths["imagery"])
    assert (img.RasterXSize, img.RasterYSize, img.RasterCount) == (size, size, 4)
    assert img.GetRasterBand(1).DataType == gdal.GDT_Byte
    assert img.GetGeoTransform() == (500000.0, 1.0, 0.0, 4300000.0, 0.0, -1.0)
    srs = osr.SpatialReference(wkt=img.GetProjection())
    assert srs.GetAuthorityCode(None) == "26917"

    scene = generate_scene(size, seed=2)
    np.testing.assert_array_equal(img.ReadAsArray(), scene["imagery"])

    tr = gdal.Open(paths["truth"])
    band = tr.GetRasterBand(1)
    assert band.GetNoDataValue() == 0
    assert tr.GetGeoTransform() == img.GetGeoTransform()
    ct = band.GetColorTable()
    assert ct is not None and ct.GetColorEntry(1)[:3] == (0, 112, 255) and ct.GetColorEntry(4)[:3] == (230, 0, 0)
    np.testing.assert_array_equal(band.ReadAsArray(), scene["truth"])

    c1 = gdal.Open(paths["classes_1m"])
    assert (c1.RasterXSize, c1.RasterYSize) == (size, size)
    assert c1.GetGeoTransform() == img.GetGeoTransform()
    blocks = nlcd_from_truth(scene["truth"], block=30, seed=2)
    up = np.repeat(np.repeat(blocks, 30, 0), 30, 1)[:size, :size]
    np.testing.assert_array_equal(c1.ReadAsArray(), up)

    c30 = gdal.Open(paths["classes_30m"])
    gt = c30.GetGeoTransform()
    assert gt[1] == 30.0 and gt[5] == -30.0 and gt[2] == 0.0 and gt[4] == 0.0
    srs30 = osr.SpatialReference(wkt=c30.GetProjection())
    assert srs30.GetAuthorityCode(None) == "5070"
    assert c30.GetRasterBand(1).GetNoDataValue() == 0
    arr = c30.ReadAsArray()
    assert set(np.unique(arr)) - {0} <= set(np.unique(blocks))
    # the 30 m raster covers the imagery: every imagery corner falls inside it, on a class
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    srs30.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct_ = osr.CoordinateTransformation(srs, srs30)
    for x, y in [(500000.5, 4299999.5), (500000.5 + size - 1, 4299999.5),
                 (500000.5, 4300000 - size + 0.5), (500000.5 + size - 1, 4300000 - size + 0.5)]:
        X, Y, _ = ct_.TransformPoint(x, y)
        col = int((X - gt[0]) / gt[1])
        row = int((Y - gt[3]) / gt[5])
        assert 0 <= col < c30.RasterXSize and 0 <= row < c30.RasterYSize
        assert arr[row, col] != 0
