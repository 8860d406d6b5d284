"""GDAL raster inputs: opening, grids, imagery scaling and windowed reads.

No QGIS here. Everything reads and writes by windows so memory does not depend on raster size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np
from osgeo import gdal, osr

from ..errors import EpitomeError

gdal.UseExceptions()


@dataclass
class Grid:
    width: int
    height: int
    geotransform: Tuple[float, ...]
    wkt: str  # '' when the raster has no CRS

    @property
    def bounds(self):
        gt = self.geotransform
        x0, y0 = gt[0], gt[3]
        x1, y1 = x0 + gt[1] * self.width + gt[2] * self.height, y0 + gt[4] * self.width + gt[5] * self.height
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)

    @property
    def pixel_size(self):
        gt = self.geotransform
        return abs(gt[1]), abs(gt[5])

    def describe(self) -> str:
        xmin, ymin, xmax, ymax = self.bounds
        crs = crs_name(self.wkt) if self.wkt else "no CRS"
        return f"[{xmin:.2f}, {ymin:.2f} : {xmax:.2f}, {ymax:.2f}] ({crs})"


def crs_name(wkt: str) -> str:
    if not wkt:
        return "no CRS"
    srs = osr.SpatialReference()
    try:
        srs.ImportFromWkt(wkt)
    except Exception:
        return "unknown CRS"
    code = srs.GetAuthorityCode(None)
    auth = srs.GetAuthorityName(None)
    return f"{auth}:{code}" if code and auth else (srs.GetName() or "custom CRS")


def open_raster(path: str, what: str) -> gdal.Dataset:
    if not path:
        raise EpitomeError(f"{what}: no raster given.")
    try:
        ds = gdal.Open(path, gdal.GA_ReadOnly)
    except RuntimeError as e:
        raise EpitomeError(f"{what}: cannot open {path!r} as a raster ({e}).")
    if ds is None or ds.RasterCount == 0:
        raise EpitomeError(f"{what}: {path!r} is not a readable raster with at least one band.")
    return ds


def grid_of(ds: gdal.Dataset) -> Grid:
    gt = ds.GetGeoTransform(can_return_null=True)
    wkt = ds.GetProjection() or ""
    if gt is None:
        gt = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0) if not wkt else gt
    return Grid(ds.RasterXSize, ds.RasterYSize, tuple(gt), wkt)


def pixel_size_metres(grid: Grid) -> Optional[float]:
    """The pixel side in metres (mean of x and y): linear units converted, degrees at the grid's centre
    latitude; None without a CRS."""
    if not grid.wkt:
        return None
    srs = osr.SpatialReference()
    srs.ImportFromWkt(grid.wkt)
    px = 0.5 * (grid.pixel_size[0] + grid.pixel_size[1])
    if srs.IsGeographic():
        lat = 0.5 * (grid.bounds[1] + grid.bounds[3])
        return float(px * 111320.0 * max(0.05, np.cos(np.radians(lat))) ** 0.5)
    return float(px * (srs.GetLinearUnits() or 1.0))


def area_km2(grid: Grid) -> float:
    """The grid's area in km^2 from its pixel size in metres (pixel_size_metres); NaN without a CRS."""
    metres = pixel_size_metres(grid)
    return grid.width * grid.height * metres * metres / 1e6 if metres else float("nan")


def window_geotransform(gt, x: int, y: int) -> tuple:
    """The geotransform of a window whose top-left pixel is (x, y) of a raster with geotransform gt."""
    return (gt[0] + x * gt[1] + y * gt[2], gt[1], gt[2], gt[3] + x * gt[4] + y * gt[5], gt[4], gt[5])


def subgrid(grid: Grid, x: int, y: int, w: int, h: int) -> Grid:
    """The grid of the pixel window (x, y, w, h) of `grid`."""
    return Grid(w, h, window_geotransform(grid.geotransform, x, y), grid.wkt)


def extent_window(grid: Grid, extent) -> Optional[Tuple[int, int, int, int]]:
    """The pixel window (x, y, w, h) of `grid` covering extent (xmin, ymin, xmax, ymax in the grid's CRS),
    clipped to the grid; None when they do not intersect (north-up grids)."""
    gt = grid.geotransform
    xs = sorted(((extent[0] - gt[0]) / gt[1], (extent[2] - gt[0]) / gt[1]))
    ys = sorted(((extent[1] - gt[3]) / gt[5], (extent[3] - gt[3]) / gt[5]))
    x0, x1 = max(0, int(np.floor(xs[0] + 1e-9))), min(grid.width, int(np.ceil(xs[1] - 1e-9)))
    y0, y1 = max(0, int(np.floor(ys[0] + 1e-9))), min(grid.height, int(np.ceil(ys[1] - 1e-9)))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1 - x0, y1 - y0


def has_georeference(ds: gdal.Dataset) -> bool:
    return bool(ds.GetProjection()) and ds.GetGeoTransform(can_return_null=True) is not None


# ------------------------------------------------------------------------------------------------
# Imagery scaling and reads
# ------------------------------------------------------------------------------------------------

@dataclass
class Scaling:
    """x_scaled = (x - offset) / scale, per band, then clipped to [-0.5, 1.5]."""

    offset: np.ndarray
    scale: np.ndarray
    method: str

    def describe(self) -> str:
        return "; ".join(f"b{i + 1}: ({o:g}..{o + s:g})" for i, (o, s) in enumerate(zip(self.offset, self.scale)))


def compute_scaling(ds: gdal.Dataset, bands: Sequence[int], sample_side: int = 1024) -> Scaling:
    """Per-band scaling to about [0, 1].

    uint8 imagery: divided by 255 (the paper's setting for NAIP). Other types (uint16, int16, float):
    the 0.5 and 99.5 percentiles of valid pixels of a decimated read (at most sample_side^2 pixels)
    map to 0 and 1, one pair per band, computed once for the whole raster so tiles agree.
    """
    dtype = ds.GetRasterBand(bands[0]).DataType
    if all(ds.GetRasterBand(b).DataType == gdal.GDT_Byte for b in bands):
        n = len(bands)
        return Scaling(np.zeros(n, np.float32), np.full(n, 255.0, np.float32), "uint8 / 255")
    W, H = ds.RasterXSize, ds.RasterYSize
    f = max(1, int(np.ceil(max(W, H) / sample_side)))
    bw, bh = max(1, W // f), max(1, H // f)
    offs, scales = [], []
    for b in bands:
        band = ds.GetRasterBand(b)
        a = band.ReadAsArray(0, 0, W, H, buf_xsize=bw, buf_ysize=bh, resample_alg=gdal.GRIORA_NearestNeighbour)
        m = band.GetMaskBand().ReadAsArray(0, 0, W, H, buf_xsize=bw, buf_ysize=bh) > 0
        a = a.astype(np.float64)
        m &= np.isfinite(a)
        v = a[m]
        if v.size == 0:
            offs.append(0.0)
            scales.append(1.0)
            continue
        lo, hi = np.percentile(v, [0.5, 99.5])
        if hi <= lo:
            hi = lo + 1.0
        offs.append(lo)
        scales.append(hi - lo)
    return Scaling(np.array(offs, np.float32), np.array(scales, np.float32),
                   f"percentile 0.5-99.5 ({gdal.GetDataTypeName(dtype)})")


def band_valid(band: gdal.Band, a: np.ndarray, alpha_is_data: bool, x: int, y: int, w: int, h: int) -> np.ndarray:
    """Valid pixels [h, w] bool of one band's window `a` (its mask band, or only its declared nodata value when an
    alpha-tagged band is used as data: NAIP files tag NIR as alpha, and its zeros are reflectance)."""
    if alpha_is_data and band.GetMaskFlags() & gdal.GMF_ALPHA:
        nd = band.GetNoDataValue()
        ok = a != nd if nd is not None else np.ones((h, w), dtype=bool)
    else:
        ok = band.GetMaskBand().ReadAsArray(x, y, w, h) > 0
    return ok & np.isfinite(a)


def alpha_used_as_data(ds: gdal.Dataset, bands: Sequence[int]) -> bool:
    """True when one of `bands` is tagged as alpha: it is read as data, not as transparency."""
    return any(ds.GetRasterBand(b).GetColorInterpretation() == gdal.GCI_AlphaBand for b in bands)


def read_valid(ds: gdal.Dataset, bands: Sequence[int], x: int, y: int, w: int, h: int) -> np.ndarray:
    """Window read of validity only: [h, w] bool, True where every band has data (as read_imagery decides)."""
    valid = np.ones((h, w), dtype=bool)
    alpha_is_data = alpha_used_as_data(ds, bands)
    for b in bands:
        band = ds.GetRasterBand(b)
        valid &= band_valid(band, band.ReadAsArray(x, y, w, h).astype(np.float32), alpha_is_data, x, y, w, h)
    return valid


def read_imagery(ds: gdal.Dataset, bands: Sequence[int], scaling: Scaling, x: int, y: int, w: int, h: int):
    """Window read: (image [C, h, w] float32 scaled, valid [h, w] bool)."""
    img = np.empty((len(bands), h, w), dtype=np.float32)
    valid = np.ones((h, w), dtype=bool)
    alpha_is_data = alpha_used_as_data(ds, bands)
    for i, b in enumerate(bands):
        band = ds.GetRasterBand(b)
        a = band.ReadAsArray(x, y, w, h).astype(np.float32)
        valid &= band_valid(band, a, alpha_is_data, x, y, w, h)
        img[i] = (a - scaling.offset[i]) / scaling.scale[i]
    np.clip(img, -0.5, 1.5, out=img)
    img[:, ~valid] = 0
    return img, valid


# ------------------------------------------------------------------------------------------------
# Nothing written beside the inputs
# ------------------------------------------------------------------------------------------------

class no_sidecars:  # noqa: N801 (a context manager used like a function)
    """GDAL's auxiliary files (.aux.xml: statistics, histograms) are not written for the datasets opened in this
    block, on this thread: QGIS computes statistics when it loads a raster as a layer (its default renderer),
    and GDAL would save them beside the user's inputs at close (a warning in read-only folders).

        with no_sidecars():
            layer = <load the input as a QGIS layer>

    Thread-local (GDAL_PAM_ENABLED=NO for this thread only), restored on leaving; nestable. Datasets opened
    inside do not read an existing .aux.xml either: open the inputs whose category names matter (label
    rasters) outside it, as the core does."""

    def __enter__(self):
        self._prev = gdal.GetThreadLocalConfigOption("GDAL_PAM_ENABLED", None)
        gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO")
        return self

    def __exit__(self, *exc):
        gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", self._prev)
        return False


_PAM_OFF_FOR_RUN = [False]


def sidecars_off_until_run():
    """Process-wide: GDAL writes no .aux.xml for the datasets opened from now until sidecars_on() - for a command
    line run (qgis_process), which loads every raster input as a layer itself, before any code of the algorithm
    runs (plugin/processing/base.py decides when)."""
    gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")
    _PAM_OFF_FOR_RUN[0] = True


def sidecars_on():
    """Undo sidecars_off_until_run() (the inputs opened meanwhile keep theirs off; outputs get their .aux.xml,
    which holds the category names of label rasters)."""
    if _PAM_OFF_FOR_RUN[0]:
        gdal.SetConfigOption("GDAL_PAM_ENABLED", None)
        _PAM_OFF_FOR_RUN[0] = False
