"""lsr/priors.py: the naive and smooth label priors (the two baselines) on windows of any grid."""

import numpy as np
import pytest
from osgeo import gdal, osr

from algorithms.composition.table import Composition
from algorithms.io.raster import grid_of
from algorithms.lsr.priors import CoarsePrior, prior_labels

from rasters import write_raster

COMP = Composition([1, 2, 3], ["a", "b"], np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]], np.float32),
                   nodata_codes=[0])


def raster(path, arr, gt, epsg=32618, dtype=gdal.GDT_Byte, nodata=None):
    """rasters.write_raster, then opened read-only as the plugin does."""
    return gdal.Open(write_raster(path, arr, gt, epsg, dtype, nodata))


def smooth_prior_of(composition, cells, valid=None, factor=30):
    """Reference smooth prior for pixel-aligned blocks: cells [hc, wc] class rows, each cell
    `factor` x `factor` fine pixels; bilinear between cell centres with edge clamping. [L, hc*f, wc*f]."""
    hc, wc = cells.shape
    valid = (cells >= 0) if valid is None else valid
    p = composition.matrix[np.maximum(cells, 0)].transpose(2, 0, 1) * valid
    m = valid.astype(np.float64)
    fy = (np.arange(hc * factor) + 0.5) / factor - 0.5
    fx = (np.arange(wc * factor) + 0.5) / factor - 0.5

    def interp(a):
        y0 = np.clip(np.floor(fy).astype(int), 0, hc - 1)
        y1 = np.clip(y0 + 1, 0, hc - 1)
        ty = np.clip(fy - np.floor(fy), 0, 1)
        ty = np.where(fy < 0, 0, ty)
        x0 = np.clip(np.floor(fx).astype(int), 0, wc - 1)
        x1 = np.clip(x0 + 1, 0, wc - 1)
        tx = np.clip(fx - np.floor(fx), 0, 1)
        tx = np.where(fx < 0, 0, tx)
        top = a[..., y0, :][..., :, x0] * (1 - tx) + a[..., y0, :][..., :, x1] * tx
        bot = a[..., y1, :][..., :, x0] * (1 - tx) + a[..., y1, :][..., :, x1] * tx
        return top * (1 - ty)[:, None] + bot * ty[:, None]

    num, den = interp(p), interp(m)
    out = num / np.maximum(den, 1e-12)[None]
    return out / np.maximum(out.sum(0, keepdims=True), 1e-12)


@pytest.fixture
def coarse_layers(tmp_path):
    rng = np.random.default_rng(0)
    cells = rng.integers(1, 4, (8, 9)).astype(np.uint8)
    cells[3, 4] = 0  # a no-data cell
    raster(tmp_path / "c.tif", cells, (500000.0, 30.0, 0, 4300000.0, 0, -30.0))
    img = raster(tmp_path / "i.tif", np.zeros((240, 270), np.uint8), (500000.0, 1.0, 0, 4300000.0, 0, -1.0))
    # paths, not datasets: a GDAL dataset kept in pytest's fixture cache crashes at teardown under pytest-qgis
    return cells, str(tmp_path / "c.tif"), grid_of(img)


def test_smooth_equals_bilinear_between_block_centres(coarse_layers):
    cells, cls_path, grid = coarse_layers
    cls = gdal.Open(cls_path)
    prior = CoarsePrior(cls, grid, COMP, [0])
    p, ok = prior.smooth(0, 0, grid.width, grid.height)
    idx = COMP.class_index(cells, unknown_as_nodata=True)
    ref = smooth_prior_of(COMP, idx, factor=30)
    inner = (slice(None), slice(15, 225), slice(15, 255))  # between the outermost block centres
    np.testing.assert_allclose(p[inner], ref[inner], atol=1e-5)
    np.testing.assert_allclose(p[:, ok].sum(0), 1, atol=1e-5)
    # inside the no-data block the neighbours decide (renormalised), nothing is left empty
    assert ok[3 * 30 + 15, 4 * 30 + 15]


def test_windows_agree_with_the_whole(coarse_layers):
    cells, cls_path, grid = coarse_layers
    cls = gdal.Open(cls_path)
    prior = CoarsePrior(cls, grid, COMP, [0])
    whole, _ = prior.smooth(0, 0, grid.width, grid.height)
    part, _ = prior.smooth(37, 51, 100, 90)
    np.testing.assert_allclose(part, whole[:, 51:141, 37:137], atol=1e-6)


def test_naive_is_the_class_row(coarse_layers):
    cells, cls_path, grid = coarse_layers
    cls = gdal.Open(cls_path)
    prior = CoarsePrior(cls, grid, COMP, [0])
    idx = np.array([[0, 1, -1]])
    p = prior.naive(idx)
    np.testing.assert_allclose(p[:, 0, 0], [0.9, 0.1])
    np.testing.assert_allclose(p[:, 0, 2], [0, 0])
    assert prior_labels(p, idx >= 0).tolist() == [[1, 2, 0]]


def test_other_crs_is_warped(tmp_path, coarse_layers):
    """A class layer in another CRS (EPSG:5070, like NLCD) gives distributions on the imagery grid."""
    cells, _, grid = coarse_layers
    src = osr.SpatialReference()
    src.ImportFromEPSG(32618)
    dst = osr.SpatialReference()
    dst.ImportFromEPSG(5070)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    x, y, _ = osr.CoordinateTransformation(src, dst).TransformPoint(500000.0, 4300000.0)
    big = np.full((20, 20), 2, np.uint8)
    big[:, :10] = 1
    cls = raster(tmp_path / "c5070.tif", big, (x - 150, 30.0, 0, y + 150, 0, -30.0), epsg=5070)
    p, ok = CoarsePrior(cls, grid, COMP, [0]).smooth(0, 0, grid.width, grid.height)
    assert ok.all()
    np.testing.assert_allclose(p.sum(0), 1, atol=1e-5)
    assert p[0].max() > 0.85 and p[0].min() < 0.25  # both classes present, blended between them


def test_a_window_outside_the_class_layer_has_no_prior(tmp_path, coarse_layers):
    cells, _, grid = coarse_layers
    far = raster(tmp_path / "far.tif", np.ones((4, 4), np.uint8), (600000.0, 30.0, 0, 4300000.0, 0, -30.0))
    p, ok = CoarsePrior(far, grid, COMP, [0]).smooth(0, 0, 50, 50)
    assert not ok.any() and p.max() == 0
