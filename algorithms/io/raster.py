"""GDAL raster helpers: opening, grids, class alignment, scaling, windowed reads, styled outputs.

No QGIS here. Everything reads and writes by windows so memory does not depend on raster size.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
from osgeo import gdal, osr

from ..errors import EpitomeError

gdal.UseExceptions()

CLASS_NODATA = -2147483648  # fill value of the aligned class grid (Int32)


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


def has_georeference(ds: gdal.Dataset) -> bool:
    return bool(ds.GetProjection()) and ds.GetGeoTransform(can_return_null=True) is not None


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
    out = [ct.TransformPoint(float(x), float(y))[:2] for x, y in pts]
    ox = [p[0] for p in out if np.isfinite(p[0])]
    oy = [p[1] for p in out if np.isfinite(p[1])]
    return min(ox), min(oy), max(ox), max(oy)


def align_classes(classes: gdal.Dataset, target: Grid, warnings: List[str], class_band: int = 1,
                  resampling: str = "auto", roles: Tuple[str, str] = ("the imagery", "the class layer")
                  ) -> gdal.Dataset:
    """The class raster on the imagery grid (a lazily evaluated warped VRT, Int32, CLASS_NODATA outside).

    Resampling is nearest neighbour, or mode when the class raster is finer than the imagery (never
    interpolated). Raises when the layers do not overlap, naming both extents. roles: how the
    messages name the target and the class raster (e.g. the algorithm's parameter names).
    """
    tgt_name, cls_name = roles
    src_grid = grid_of(classes)
    src_has = has_georeference(classes)
    tgt_has = bool(target.wkt)
    if not src_has or not tgt_has:
        if (src_grid.width, src_grid.height) != (target.width, target.height):
            which = "neither has" if not (src_has or tgt_has) else (cls_name if not src_has else tgt_name) + " has"
            raise EpitomeError(
                "{} and {} cannot be aligned: {} no CRS/georeference and the sizes differ ({} x {} vs {} x {}). "
                "Assign a CRS to both layers (Raster > Projections > Assign Projection) or give rasters of "
                "identical size to work on the pixel grid.".format(
                    tgt_name[0].upper() + tgt_name[1:], cls_name, which, src_grid.width, src_grid.height,
                    target.width, target.height))
        warnings.append("A layer has no CRS: imagery and classes are matched pixel by pixel (same size).")
        band = classes.GetRasterBand(class_band)
        nd = band.GetNoDataValue()
        opts = gdal.TranslateOptions(format="VRT", bandList=[class_band], outputType=gdal.GDT_Int32)
        vrt = gdal.Translate("", classes, options=opts)
        if nd is not None:
            vrt.GetRasterBand(1).SetNoDataValue(nd)
        vrt._epitome_sources = (classes,)  # a VRT must not outlive its source (GDAL would crash)
        return vrt

    tb = target.bounds
    try:
        cb = _transform_bounds(src_grid.bounds, src_grid.wkt, target.wkt)
    except Exception as e:  # noqa: BLE001 (GDAL/PROJ errors have many types)
        raise EpitomeError(f"{cls_name} cannot be transformed from {crs_name(src_grid.wkt)} to the CRS of "
                           f"{tgt_name}, {crs_name(target.wkt)} ({e}).")
    ix0, iy0, ix1, iy1 = max(tb[0], cb[0]), max(tb[1], cb[1]), min(tb[2], cb[2]), min(tb[3], cb[3])
    if ix0 >= ix1 or iy0 >= iy1:
        raise EpitomeError(
            "{} and {} do not overlap. Extent of {} {}; of {} {} (= {} in the CRS of {}). Choose layers that "
            "cover the same area.".format(
                tgt_name[0].upper() + tgt_name[1:], cls_name, tgt_name, target.describe(), cls_name,
                src_grid.describe(), "[{:.2f}, {:.2f} : {:.2f}, {:.2f}]".format(*cb), tgt_name))
    # Approximate class pixel size in imagery units, to choose nearest or mode.
    cw = (cb[2] - cb[0]) / max(src_grid.width, 1)
    if resampling == "auto":
        resampling = "mode" if cw < 0.75 * target.pixel_size[0] else "near"
    band = classes.GetRasterBand(class_band)
    src_nd = band.GetNoDataValue()
    xmin, ymin, xmax, ymax = tb
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


def unique_codes(ds: gdal.Dataset, band_index: int = 1, max_rows_per_block: int = 512) -> np.ndarray:
    """Unique values of a band excluding its nodata value, read in row blocks (bounded memory)."""
    band = ds.GetRasterBand(band_index)
    nd = band.GetNoDataValue()
    seen = set()
    for y in range(0, ds.RasterYSize, max_rows_per_block):
        rows = min(max_rows_per_block, ds.RasterYSize - y)
        a = band.ReadAsArray(0, y, ds.RasterXSize, rows)
        u = np.unique(a)
        if nd is not None:
            u = u[u != nd]
        if np.issubdtype(u.dtype, np.floating):
            u = u[np.isfinite(u)]
        seen.update(u.tolist())
    return np.array(sorted(seen))


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


def read_imagery(ds: gdal.Dataset, bands: Sequence[int], scaling: Scaling, x: int, y: int, w: int, h: int):
    """Window read: (image [C, h, w] float32 scaled, valid [h, w] bool)."""
    img = np.empty((len(bands), h, w), dtype=np.float32)
    valid = np.ones((h, w), dtype=bool)
    alpha_is_data = any(ds.GetRasterBand(b).GetColorInterpretation() == gdal.GCI_AlphaBand for b in bands)
    for i, b in enumerate(bands):
        band = ds.GetRasterBand(b)
        a = band.ReadAsArray(x, y, w, h).astype(np.float32)
        if alpha_is_data and band.GetMaskFlags() & gdal.GMF_ALPHA:
            # A band tagged as alpha is used as data (NAIP files tag NIR as alpha): its zeros are
            # reflectance, not transparency. Only declared nodata values mask then.
            nd = band.GetNoDataValue()
            if nd is not None:
                valid &= a != nd
        else:
            valid &= band.GetMaskBand().ReadAsArray(x, y, w, h) > 0
        valid &= np.isfinite(a)
        img[i] = (a - scaling.offset[i]) / scaling.scale[i]
    np.clip(img, -0.5, 1.5, out=img)
    img[:, ~valid] = 0
    return img, valid


# ------------------------------------------------------------------------------------------------
# Outputs: written under a temporary name and moved into place only when complete
# ------------------------------------------------------------------------------------------------

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


def set_label_style(ds: gdal.Dataset, labels: Sequence[str], colours: Sequence[Tuple[int, int, int]]):
    """Colour table and category names on band 1 (code 0 = nodata, codes 1..L = labels)."""
    band = ds.GetRasterBand(1)
    ct = gdal.ColorTable()
    ct.SetColorEntry(0, (0, 0, 0, 0))
    for i, c in enumerate(colours):
        ct.SetColorEntry(i + 1, (int(c[0]), int(c[1]), int(c[2]), 255))
    band.SetRasterColorTable(ct)
    band.SetRasterColorInterpretation(gdal.GCI_PaletteIndex)
    band.SetRasterCategoryNames(["nodata"] + list(labels))
    band.SetDescription("label")


def qml_for_labels(labels: Sequence[str], colours: Sequence[Tuple[int, int, int]]) -> str:
    """A QGIS paletted-renderer style (.qml) for a label raster (codes 1..L), written without QGIS."""
    return qml_for_palette([(i + 1, c, name) for i, (name, c) in enumerate(zip(labels, colours))])


def qml_for_palette(entries_in: Sequence[Tuple[int, Tuple[int, int, int], str]]) -> str:
    """A paletted-renderer .qml from (value, (r, g, b), label) entries."""
    from xml.sax.saxutils import quoteattr

    entries = "\n".join(
        '        <paletteEntry value="{}" color="#{:02x}{:02x}{:02x}" alpha="255" label={}/>'.format(
            int(v), c[0], c[1], c[2], quoteattr(name)) for v, c, name in entries_in)
    return f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22" styleCategories="AllStyleCategories">
  <pipe>
    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" nodataColor="">
      <rasterTransparency/>
      <minMaxOrigin><limits>None</limits><extent>WholeRaster</extent><statAccuracy>Estimated</statAccuracy>
        <cumulativeCutLower>0.02</cumulativeCutLower><cumulativeCutUpper>0.98</cumulativeCutUpper>
        <stdDevFactor>2</stdDevFactor></minMaxOrigin>
      <colorPalette>
{entries}
      </colorPalette>
      <colorramp type="randomcolors" name="[source]"/>
    </rasterrenderer>
    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>
    <huesaturation saturation="0" colorizeOn="0" grayscaleMode="0" colorizeStrength="100"/>
    <rasterresampler maxOversampling="2"/>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
"""


def write_qml(raster_path: str, labels, colours):
    with open(os.path.splitext(raster_path)[0] + ".qml", "w", encoding="utf-8") as fh:
        fh.write(qml_for_labels(labels, colours))


def remove_quietly(path: Optional[str]):
    if not path:
        return
    for p in (path, path + ".aux.xml"):
        try:
            if os.path.exists(p):
                os.remove(p)
        except OSError:
            pass
