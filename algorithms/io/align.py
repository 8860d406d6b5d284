"""Coarse class layers on the imagery grid: CRS transform, overlap check, nearest/mode warping (lazy VRTs).

Class layers are never interpolated (docs/METHOD.md, "Whole rasters"). No QGIS here."""

from __future__ import annotations

from typing import List, Tuple

import numpy as np
from osgeo import gdal, osr

from ..errors import EpitomeError
from .raster import Grid, crs_name, grid_of, has_georeference

gdal.UseExceptions()


CLASS_NODATA = -2147483648  # fill value of the aligned class grid (Int32)


def _transform_bounds(bounds, src_wkt, dst_wkt):
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromWkt(src_wkt)
    dst.ImportFromWkt(dst_wkt)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(src, dst)
    xmin, ymin, xmax, ymax = bounds
    xs = np.linspace(xmin, xmax, 21)
    ys = np.linspace(ymin, ymax, 21)
    pts = [(x, ymin) for x in xs] + [(x, ymax) for x in xs] + [(xmin, y) for y in ys] + [(xmax, y) for y in ys]
    out = []
    for x, y in pts:
        try:
            p = ct.TransformPoint(float(x), float(y))
        except Exception:  # noqa: BLE001 (PROJ refuses points outside its domain, e.g. latitudes beyond 90)
            continue
        if np.isfinite(p[0]) and np.isfinite(p[1]):
            out.append(p[:2])
    if not out:
        raise NoTransform()
    ox, oy = [p[0] for p in out], [p[1] for p in out]
    return min(ox), min(oy), max(ox), max(oy)


class NoTransform(ValueError):
    """No point of an extent can be expressed in the other CRS (a wrong CRS on one layer, typically)."""


def check_integer_codes(ds: gdal.Dataset, band_index: int, what: str, window=None, rows_per_block: int = 512):
    """EpitomeError when a floating-point class or label raster holds a value that is not a whole number (41.5):
    the aligned grid is Int32 and would silently read it as 41. Integer rasters pass at once; float ones are read
    by row blocks (only `window` (x0, y0, w, h) when given); nodata and non-finite values are skipped."""
    band = ds.GetRasterBand(band_index)
    if band.DataType not in (gdal.GDT_Float32, gdal.GDT_Float64):
        return
    nd = band.GetNoDataValue()
    x0, y0, w, h = window if window is not None else (0, 0, ds.RasterXSize, ds.RasterYSize)
    for y in range(y0, y0 + h, rows_per_block):
        a = band.ReadAsArray(x0, y, w, min(rows_per_block, y0 + h - y))
        ok = np.isfinite(a)
        if nd is not None:
            ok &= a != nd
        v = a[ok]
        bad = v[v != np.round(v)]
        if bad.size:
            raise EpitomeError(
                f"{what[0].upper() + what[1:]} holds non-integer values (e.g. {float(bad[0]):g}, which would be read "
                f"as {int(bad[0])}); a class or label raster must hold whole-number codes. Choose the classified "
                "raster, or round it first (Raster calculator).")


def align_classes(classes: gdal.Dataset, target: Grid, warnings: List[str], class_band: int = 1,
                  resampling: str = "auto", roles: Tuple[str, str] = ("the imagery", "the class layer")
                  ) -> gdal.Dataset:
    """The class raster on the imagery grid (a lazily evaluated warped VRT, Int32, CLASS_NODATA outside).

    Resampling is nearest neighbour, or mode when the class raster is finer than the imagery (never
    interpolated). Raises when the layers do not overlap, naming both extents. roles: how the
    messages name the target and the class raster (e.g. the algorithm's parameter names).
    """
    if not has_georeference(classes) or not target.wkt:
        return _pixel_matched(classes, target, warnings, class_band, roles)
    cb = _overlapping_bounds(grid_of(classes), target, roles)
    check_integer_codes(classes, class_band, roles[1], window=class_window(classes, target, margin=0))
    # Approximate class pixel size in imagery units, to choose nearest or mode.
    cw = (cb[2] - cb[0]) / max(classes.RasterXSize, 1)
    if resampling == "auto":
        resampling = "mode" if cw < 0.75 * target.pixel_size[0] else "near"
    src_nd = classes.GetRasterBand(class_band).GetNoDataValue()
    xmin, ymin, xmax, ymax = target.bounds
    opts = gdal.WarpOptions(
        format="VRT", outputBounds=(xmin, ymin, xmax, ymax), width=target.width, height=target.height,
        dstSRS=target.wkt, resampleAlg=resampling, outputType=gdal.GDT_Int32,
        srcNodata=src_nd, dstNodata=CLASS_NODATA, multithread=False)
    one_band = classes if classes.RasterCount == 1 else gdal.Translate(
        "", classes, options=gdal.TranslateOptions(format="VRT", bandList=[class_band]))
    vrt = gdal.Warp("", one_band, options=opts)
    if vrt is None:
        raise EpitomeError("GDAL could not warp the class layer onto the imagery grid.")
    vrt._epitome_sources = (classes, one_band)  # a VRT must not outlive its sources (GDAL would crash)
    return vrt


def _pixel_matched(classes: gdal.Dataset, target: Grid, warnings: List[str], class_band: int,
                   roles: Tuple[str, str]) -> gdal.Dataset:
    """align_classes when a layer has no CRS: the class band as it is (VRT, Int32), if the sizes are the same."""
    tgt_name, cls_name = roles
    src_grid = grid_of(classes)
    src_has, tgt_has = has_georeference(classes), bool(target.wkt)
    if (src_grid.width, src_grid.height) != (target.width, target.height):
        which = "neither has" if not (src_has or tgt_has) else (cls_name if not src_has else tgt_name) + " has"
        raise EpitomeError(
            "{} and {} cannot be aligned: {} no CRS/georeference and the sizes differ ({} is {} x {} px, {} is "
            "{} x {} px; width x height). Assign a CRS to both layers (Raster > Projections > Assign Projection) "
            "or give rasters of identical size to work on the pixel grid.".format(
                tgt_name[0].upper() + tgt_name[1:], cls_name, which, tgt_name, target.width, target.height,
                cls_name, src_grid.width, src_grid.height))
    warnings.append("A layer has no CRS: {} and {} are matched pixel by pixel (same size).".format(tgt_name, cls_name))
    check_integer_codes(classes, class_band, cls_name)
    nd = classes.GetRasterBand(class_band).GetNoDataValue()
    opts = gdal.TranslateOptions(format="VRT", bandList=[class_band], outputType=gdal.GDT_Int32)
    vrt = gdal.Translate("", classes, options=opts)
    if nd is not None:
        vrt.GetRasterBand(1).SetNoDataValue(nd)
    vrt._epitome_sources = (classes,)  # a VRT must not outlive its source (GDAL would crash)
    return vrt


def _overlapping_bounds(src_grid: Grid, target: Grid, roles: Tuple[str, str]):
    """The class raster's bounds in the target's CRS; EpitomeError naming both extents when they cannot be
    transformed or do not overlap."""
    tgt_name, cls_name = roles
    tb = target.bounds
    try:
        cb = _transform_bounds(src_grid.bounds, src_grid.wkt, target.wkt)
    except NoTransform:
        raise EpitomeError(
            "{} and {} do not overlap once transformed: no point of the extent of {} {} can be expressed in {}, the "
            "CRS of {}. Extent of {} {}. The CRS of {} is probably wrong (e.g. degrees assigned to coordinates in "
            "metres): assign the CRS its coordinates are in (Raster > Projections > Assign Projection).".format(
                tgt_name[0].upper() + tgt_name[1:], cls_name, cls_name, src_grid.describe(), crs_name(target.wkt),
                tgt_name, tgt_name, target.describe(), cls_name))
    except Exception as e:  # noqa: BLE001 (GDAL/PROJ errors have many types)
        raise EpitomeError(f"{cls_name} cannot be transformed from {crs_name(src_grid.wkt)} to the CRS of "
                           f"{tgt_name}, {crs_name(target.wkt)} ({e}). Check the CRS of both layers.")
    ix0, iy0, ix1, iy1 = max(tb[0], cb[0]), max(tb[1], cb[1]), min(tb[2], cb[2]), min(tb[3], cb[3])
    if ix0 >= ix1 or iy0 >= iy1:
        raise EpitomeError(
            "{} and {} do not overlap. Extent of {} {}; of {} {} (= {} in the CRS of {}). Choose layers that "
            "cover the same area.".format(
                tgt_name[0].upper() + tgt_name[1:], cls_name, tgt_name, target.describe(), cls_name,
                src_grid.describe(), "[{:.2f}, {:.2f} : {:.2f}, {:.2f}]".format(*cb), tgt_name))
    return cb


def window_bounds(grid: Grid, x: int, y: int, w: int, h: int):
    """(xmin, ymin, xmax, ymax) of the pixel window (x, y, w, h) of `grid`, in its CRS."""
    gt = grid.geotransform
    xs, ys = [], []
    for c, r in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)):
        xs.append(gt[0] + c * gt[1] + r * gt[2])
        ys.append(gt[3] + c * gt[4] + r * gt[5])
    return min(xs), min(ys), max(xs), max(ys)


def class_window(classes: gdal.Dataset, target: Grid, window=None, margin: int = 2):
    """The pixel window (x0, y0, w, h) of `classes` covering the window (x, y, w, h) of the target grid
    (default: all of it), widened by `margin` class cells and clipped to the class raster; None when they
    do not intersect. Without georeferencing on either side the layers are matched pixel by pixel."""
    x, y, w, h = window if window is not None else (0, 0, target.width, target.height)
    cgrid = grid_of(classes)
    if not has_georeference(classes) or not target.wkt:
        x0, y0, x1, y1 = x - margin, y - margin, x + w + margin, y + h + margin
    else:
        bx0, by0, bx1, by1 = _transform_bounds(window_bounds(target, x, y, w, h), target.wkt, cgrid.wkt)
        inv = gdal.InvGeoTransform(cgrid.geotransform)
        corners = [gdal.ApplyGeoTransform(inv, px, py) for px, py in ((bx0, by0), (bx0, by1), (bx1, by0), (bx1, by1))]
        x0 = int(np.floor(min(c for c, _ in corners))) - margin
        y0 = int(np.floor(min(r for _, r in corners))) - margin
        x1 = int(np.ceil(max(c for c, _ in corners))) + margin
        y1 = int(np.ceil(max(r for _, r in corners))) + margin
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(cgrid.width, x1), min(cgrid.height, y1)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1 - x0, y1 - y0


def unique_codes(ds: gdal.Dataset, band_index: int = 1, max_rows_per_block: int = 512, window=None) -> np.ndarray:
    """Unique values of a band excluding its nodata value, read in row blocks (bounded memory); only the
    pixel window (x0, y0, w, h) when given (e.g. the footprint of the imagery: class_window)."""
    band = ds.GetRasterBand(band_index)
    nd = band.GetNoDataValue()
    seen = set()
    x0, y0, w, h = window if window is not None else (0, 0, ds.RasterXSize, ds.RasterYSize)
    for y in range(y0, y0 + h, max_rows_per_block):
        rows = min(max_rows_per_block, y0 + h - y)
        a = band.ReadAsArray(x0, y, w, rows)
        u = np.unique(a)
        if nd is not None:
            u = u[u != nd]
        if np.issubdtype(u.dtype, np.floating):
            u = u[np.isfinite(u)]
        seen.update(u.tolist())
    return np.array(sorted(seen))
