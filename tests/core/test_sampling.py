"""Training patches: every patch of a batch from its own random place; validity and guides respected."""

import numpy as np
import pytest
from osgeo import gdal

torch = pytest.importorskip("torch")

from algorithms.epitome.sampling import RasterPatchSampler, box_sums, integral_image  # noqa: E402

from rasters import write_raster  # noqa: E402


def coordinates_raster(path, H=120, W=150, nodata_box=None):
    """Band 1 = row, band 2 = column (uint16): a patch's top-left pixel tells where it was cut."""
    rows, cols = np.mgrid[1:H + 1, 1:W + 1].astype(np.uint16)
    if nodata_box is not None:
        rows[nodata_box] = 0
    return write_raster(path, np.stack([rows, cols]), epsg=26917, dtype=gdal.GDT_UInt16, nodata=0)


def origins(sampler, batch, k, seed=0):
    x = sampler.sample(batch, k, torch.Generator().manual_seed(seed))
    y0 = np.rint(x[:, 0, 0, 0].numpy() * sampler.scaling.scale[0] + sampler.scaling.offset[0]).astype(int)
    x0 = np.rint(x[:, 1, 0, 0].numpy() * sampler.scaling.scale[1] + sampler.scaling.offset[1]).astype(int)
    return x, set(zip(y0.tolist(), x0.tolist()))


@pytest.mark.parametrize("cached", [True, False])
def test_batches_come_from_many_places(tmp_path, cached):
    path = coordinates_raster(tmp_path / "c.tif")
    s = RasterPatchSampler([path], patch_max=11, cache_values=(1 << 30) if cached else 0)
    assert s.cached is cached
    x, places = origins(s, 256, 11)
    assert x.shape == (256, 2, 11, 11)
    # every patch from its own place when the raster is kept in memory; 8 patches per block read otherwise
    assert len(places) >= (230 if cached else 100), len(places)
    rows = [r for r, _ in places]
    assert max(rows) - min(rows) > 80  # spread over the raster, not a few blocks


def test_patches_avoid_nodata_and_are_deterministic(tmp_path):
    box = (slice(0, 120), slice(0, 100))  # the left 100 columns are nodata
    path = coordinates_raster(tmp_path / "c.tif", nodata_box=box)
    s = RasterPatchSampler([path], patch_max=9)
    x, places = origins(s, 64, 9)
    assert all(c > 100 for _, c in places)
    x2, _ = origins(s, 64, 9)
    assert torch.equal(x, x2)


def test_integral_image_box_sums():
    a = np.random.default_rng(0).integers(0, 3, (7, 9))
    ii = integral_image(a)
    for y, x, k in ((0, 0, 3), (2, 5, 4), (4, 6, 3)):
        assert box_sums(ii, y, x, k) == a[y:y + k, x:x + k].sum()
