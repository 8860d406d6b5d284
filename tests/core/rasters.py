"""The GeoTIFF writer of the core tests (one for every test file: `from rasters import write_raster`, or the
`geotiff` fixture of conftest.py). Imports GDAL: only test files that need GDAL use it."""

import numpy as np
from osgeo import gdal, osr

UTM = (500000.0, 4300000.0)  # the top-left corner the tests' rasters usually share


def north_up(origin=UTM, px=1.0):
    """The geotransform of a north-up grid with square pixels of px units and its top-left corner at origin."""
    return (origin[0], px, 0, origin[1], 0, -px)


def write_raster(path, arr, gt=north_up(), epsg=32618, dtype=None, nodata=None, names=None, colours=None,
                 options=()):
    """A GeoTIFF of arr [H, W] or [B, H, W] with geotransform gt (None: none) and CRS epsg (None: no CRS), written
    and closed; returns its path (a str). dtype: a GDAL type, default from arr's dtype; nodata on every band;
    band 1 gets category names `names` and a colour table {code: (r, g, b)} `colours`; options: creation options."""
    arr = np.asarray(arr)
    bands = arr[None] if arr.ndim == 2 else arr
    if dtype is None:
        dtype = {np.dtype(np.uint8): gdal.GDT_Byte, np.dtype(np.uint16): gdal.GDT_UInt16,
                 np.dtype(np.int32): gdal.GDT_Int32, np.dtype(np.int64): gdal.GDT_Int32,
                 np.dtype(np.float32): gdal.GDT_Float32, np.dtype(np.float64): gdal.GDT_Float32}[bands.dtype]
    ds = gdal.GetDriverByName("GTiff").Create(str(path), bands.shape[2], bands.shape[1], bands.shape[0], dtype,
                                              options=list(options))
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
    first = ds.GetRasterBand(1)
    if colours:
        ct = gdal.ColorTable()
        for code, rgb in colours.items():
            ct.SetColorEntry(code, tuple(rgb)[:3] + (255,) if len(tuple(rgb)) == 3 else tuple(rgb))
        first.SetRasterColorTable(ct)
    if names:
        first.SetRasterCategoryNames(names)
    first = ds = None
    return str(path)
