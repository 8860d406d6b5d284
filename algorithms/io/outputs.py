"""Output files: writability checks, GeoTIFF creation, and atomic writes (a temporary name beside the
target, moved into place only when complete; removed on failure or cancel)."""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import Optional, Sequence

from osgeo import gdal

from ..errors import EpitomeError
from .raster import Grid

gdal.UseExceptions()


def check_writable(path: str, what: str):
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            raise EpitomeError(f"{what}: cannot create folder {folder!r} ({e.strerror}). Choose another output path.")
    try:
        fd, probe = tempfile.mkstemp(prefix=".epitome-probe-", dir=folder)
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        raise EpitomeError(f"{what}: cannot write into {folder!r} ({e.strerror}). Choose a writable output path.")
    if os.path.isdir(path):
        raise EpitomeError(f"{what}: {path!r} is a folder; give a file name.")


def partial_path(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{uuid.uuid4().hex[:8]}.partial.tif")


def create_output(path: str, grid: Grid, bands: int, dtype, nodata=None, descriptions: Sequence[str] = ()):
    drv = gdal.GetDriverByName("GTiff")
    opts = ["COMPRESS=DEFLATE", "TILED=YES", "BIGTIFF=IF_SAFER"]
    if bands > 1 and dtype != gdal.GDT_Byte:
        opts.append("INTERLEAVE=BAND")
    ds = drv.Create(path, grid.width, grid.height, bands, dtype, options=opts)
    if ds is None:
        raise EpitomeError(f"Cannot create output raster {path!r}.")
    ds.SetGeoTransform(grid.geotransform)
    if grid.wkt:
        ds.SetProjection(grid.wkt)
    for i in range(bands):
        b = ds.GetRasterBand(i + 1)
        if nodata is not None:
            b.SetNoDataValue(nodata)
        if i < len(descriptions):
            b.SetDescription(descriptions[i])
    return ds


def remove_quietly(path: Optional[str]):
    if not path:
        return
    for p in (path, path + ".aux.xml"):
        try:
            if os.path.exists(p):
                os.remove(p)
        except OSError:
            pass
