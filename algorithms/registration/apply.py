"""The coarse map moved back by the offset found: only its geotransform origin changes (a VRT or a GeoTIFF copy),
so everything downstream (io/align.py's warp onto the imagery grid) is unchanged (docs/METHOD.md, "Registration of
the coarse map")."""

from __future__ import annotations

import contextlib
import os
import uuid
from typing import Optional, Sequence, Tuple

from osgeo import gdal, osr

from ..feedback import Feedback
from ..io.outputs import atomic_output
from ..io.raster import grid_of, open_raster
from .estimate import ALIGN_MODES, AlignParams, Registration, estimate_offset

gdal.UseExceptions()


def offset_in_crs(east: float, north: float, at: Tuple[float, float], src_wkt: str, dst_wkt: str
                  ) -> Tuple[float, float]:
    """An offset (east, north) in the units of src_wkt, at the point `at`, expressed in the units of dst_wkt
    (the difference of the two transformed points)."""
    if not src_wkt or not dst_wkt:
        return east, north
    a, b = osr.SpatialReference(), osr.SpatialReference()
    a.ImportFromWkt(src_wkt)
    b.ImportFromWkt(dst_wkt)
    if a.IsSame(b):
        return east, north
    for s in (a, b):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(a, b)
    p0 = ct.TransformPoint(float(at[0]), float(at[1]))
    p1 = ct.TransformPoint(float(at[0] + east), float(at[1] + north))
    return p1[0] - p0[0], p1[1] - p0[1]


def moved_geotransform(classes: gdal.Dataset, reg: Registration, imagery_wkt: str, imagery_centre) -> tuple:
    """The class raster's geotransform with its origin moved back by the offset (in the class raster's CRS)."""
    de, dn = offset_in_crs(reg.east_units, reg.north_units, imagery_centre, imagery_wkt, classes.GetProjection())
    gt = list(classes.GetGeoTransform())
    gt[0] -= de
    gt[3] -= dn
    return tuple(gt)


def write_moved(classes_path: str, reg: Registration, imagery_path: str, out_path: str, fmt: str = "GTiff") -> str:
    """A copy of the class raster (all bands, colour table, nodata) moved back by reg (as it is when not applied),
    written to out_path (VRT or GeoTIFF; a VRT names its source by its absolute path)."""
    cls = open_raster(os.path.abspath(classes_path) if os.path.exists(classes_path) else classes_path, "CLASSES")
    img_grid = grid_of(open_raster(imagery_path, "IMAGERY"))
    b = img_grid.bounds
    opts = ["COMPRESS=DEFLATE", "TILED=YES"] if fmt == "GTiff" else []
    out = gdal.Translate(out_path, cls, options=gdal.TranslateOptions(format=fmt, creationOptions=opts))
    if reg.applied:
        out.SetGeoTransform(moved_geotransform(cls, reg, img_grid.wkt, (0.5 * (b[0] + b[2]), 0.5 * (b[1] + b[3]))))
    out.FlushCache()
    out = None
    return out_path


def write_corrected(classes_path: str, reg: Registration, imagery_path: str, out_path: str) -> str:
    """The corrected coarse map as a GeoTIFF output, written atomically (io/outputs.py)."""
    with atomic_output(out_path, "the corrected coarse map") as tmp:
        write_moved(classes_path, reg, imagery_path, tmp)
    return out_path


class _NoProgress(Feedback):
    """The caller's feedback without progress: inside a job the estimate is a short first step, and the job's own
    progress (0 to 100) must not run backwards after it."""

    def __init__(self, fb: Feedback):
        self.fb = fb

    def info(self, msg: str):
        self.fb.info(msg)

    def warn(self, msg: str):
        self.fb.warn(msg)

    def is_canceled(self) -> bool:
        return self.fb.is_canceled()


@contextlib.contextmanager
def registered(imagery: str, classes: str, mode: str = None, fb: Feedback = None, params: AlignParams = None,
               corrected: Optional[str] = None, bands: Sequence[int] = (), nodata_codes: Sequence[int] = (),
               categorical: bool = False, class_band: int = 1, portable: bool = False):
    """ALIGN for a job: yields (the class raster path the job should read, Registration or None when off).

    'off': the path as given. 'estimate': the offset estimated and reported, the path as given. 'correct': the
    offset applied when the data support it (an in-memory VRT with the origin moved, removed afterwards).
    corrected: also write the coarse map as the job used it (GeoTIFF). portable: the moved map as VRT XML text that
    other processes can open (SCHEDULER: Dask workers), not an in-memory VRT of this process."""
    fb, params = _NoProgress(fb or Feedback()), params or AlignParams()
    mode = mode or params.mode
    if mode not in ALIGN_MODES:
        raise ValueError(f"ALIGN must be one of {ALIGN_MODES}, not {mode!r}")
    if mode == "off":
        yield classes, None
        return
    reg = estimate_offset(imagery, classes, fb, params, bands=bands, nodata_codes=nodata_codes,
                          categorical=categorical, class_band=class_band)
    if mode == "estimate" and reg.applied:
        reg.applied = False
        reg.message = "Estimate only (ALIGN): the coarse map is used where it lies."
    (fb.warn if reg.applied else fb.info)(reg.describe())
    if corrected:
        write_corrected(classes, reg, imagery, corrected)
    if not reg.applied:
        yield classes, reg
        return
    if portable:
        yield moved_vrt_text(classes, reg, imagery), reg
        return
    path = f"/vsimem/epitome_registered_{uuid.uuid4().hex}.vrt"
    write_moved(classes, reg, imagery, path, fmt="VRT")
    try:
        yield path, reg
    finally:
        gdal.Unlink(path)


def moved_vrt_text(classes: str, reg: Registration, imagery: str) -> str:
    """The class raster moved back by reg as VRT XML text: GDAL opens the text like a file name, on any machine that
    sees the source file (Dask workers get it as the CLASSES path; an in-memory /vsimem/ file lives in one process)."""
    path = f"/vsimem/epitome_registered_{uuid.uuid4().hex}.vrt"
    write_moved(classes, reg, imagery, path, fmt="VRT")
    try:
        f = gdal.VSIFOpenL(path, "rb")
        gdal.VSIFSeekL(f, 0, 2)
        size = gdal.VSIFTellL(f)
        gdal.VSIFSeekL(f, 0, 0)
        text = gdal.VSIFReadL(1, size, f).decode("utf-8")
        gdal.VSIFCloseL(f)
    finally:
        gdal.Unlink(path)
    return text


@contextlib.contextmanager
def registered_pairs(imagery: Sequence[str], classes: Sequence[str], fb: Feedback = None, params: AlignParams = None,
                     **kw):
    """registered() for every (imagery, classes) pair (epitomiclsr): yields (the class paths to read, the
    Registrations, None each with ALIGN off)."""
    with contextlib.ExitStack() as stack:
        pairs = [stack.enter_context(registered(i, c, None, fb, params, **kw)) for i, c in zip(imagery, classes)]
        yield [p for p, _ in pairs], [r for _, r in pairs]


def align_coarse(imagery: str, classes: str, out_path: str, fb: Feedback = None, params: AlignParams = None,
                 bands: Sequence[int] = (), nodata_codes: Sequence[int] = ()) -> Registration:
    """epitome:aligncoarse: the offset estimated and the coarse map written moved back to out_path (GeoTIFF) when
    the data support it (params.mode 'correct'), as given otherwise; the reason is in the Registration."""
    fb, params = fb or Feedback(), params or AlignParams()
    reg = estimate_offset(imagery, classes, fb, params, bands=bands, nodata_codes=nodata_codes)
    if params.mode != "correct" and reg.applied:
        reg.applied = False
        reg.message = "Estimate only: the coarse map is written where it lies."
    (fb.warn if reg.applied or not reg.estimated else fb.info)(reg.describe())
    write_corrected(classes, reg, imagery, out_path)
    return reg
