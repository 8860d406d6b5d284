"""Shared fixtures of the core tests (no QGIS)."""

import numpy as np
import pytest
from osgeo import gdal, osr


def write_raster(path, arr, gt=(500000.0, 1.0, 0, 4300000.0, 0, -1.0), epsg=32618, dtype=None, nodata=None):
    """A GeoTIFF of arr [H, W] or [B, H, W] with geotransform gt and CRS epsg (None: no CRS), written and closed;
    returns its path (a str). dtype: a GDAL type, default from arr's dtype."""
    arr = np.asarray(arr)
    bands = arr[None] if arr.ndim == 2 else arr
    if dtype is None:
        dtype = {np.dtype(np.uint8): gdal.GDT_Byte, np.dtype(np.uint16): gdal.GDT_UInt16,
                 np.dtype(np.int32): gdal.GDT_Int32, np.dtype(np.int64): gdal.GDT_Int32,
                 np.dtype(np.float32): gdal.GDT_Float32, np.dtype(np.float64): gdal.GDT_Float32}[bands.dtype]
    ds = gdal.GetDriverByName("GTiff").Create(str(path), bands.shape[2], bands.shape[1], bands.shape[0], dtype)
    if gt is not None:
        ds.SetGeoTransform(gt)
    if epsg is not None:
        s = osr.SpatialReference()
        s.ImportFromEPSG(epsg)
        ds.SetProjection(s.ExportToWkt())
    for i, b in enumerate(bands):
        ds.GetRasterBand(i + 1).WriteArray(b)
        if nodata is not None:
            ds.GetRasterBand(i + 1).SetNoDataValue(nodata)
    ds = None
    return str(path)


@pytest.fixture
def geotiff():
    """write_raster as a fixture: geotiff(path, arr, gt=..., epsg=..., dtype=..., nodata=...) -> path."""
    return write_raster
