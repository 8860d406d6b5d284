"""Reference samples: labelled points, polygons or a label raster, as pixels of the output grid.

An analyst's reference (docs/METHOD.md, "Calibration from reference samples") is a point or polygon vector
layer with a label field, or a label raster. Labels are codes 1..L in the composition's column order or the
label names themselves (case does not matter). Points give one pixel each; polygons give the pixels whose
centres they contain; a raster gives its labelled pixels (nearest neighbour onto the grid). At most
`max_samples` pixels are kept (a random subset drawn by the seed), so a large raster or huge polygons cost
bounded memory and time. No QGIS here: OGR and GDAL read the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np
from osgeo import gdal, ogr, osr

from ..errors import EpitomeError
from .align import CLASS_NODATA, align_classes
from .raster import Grid, crs_name, window_geotransform

gdal.UseExceptions()
ogr.UseExceptions()

MAX_SAMPLES = 20000
MAX_POLYGON_PIXELS = 2000  # pixels drawn from one polygon at most (a few large polygons must not dominate)


@dataclass
class ReferenceSamples:
    """Labelled pixels of the output grid: rows, cols [n] int64, labels [n] int64 (0..L-1), and, for polygons,
    the feature each pixel came from (groups [n]; points and raster pixels are their own group): pixels of one
    polygon are not independent, so cross-validation keeps them together."""

    rows: np.ndarray
    cols: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    source: str
    notes: List[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.labels.size)

    def inside(self, x: int, y: int, w: int, h: int) -> np.ndarray:
        """Indices of the samples inside the pixel window (x, y, w, h)."""
        return np.nonzero((self.cols >= x) & (self.cols < x + w) & (self.rows >= y) & (self.rows < y + h))[0]

def label_lookup(labels: Sequence[str]) -> Dict[str, int]:
    """Accepted spellings of each label -> its index: the code 1..L and the name (lower case, trimmed)."""
    out = {str(i + 1): i for i in range(len(labels))}
    out.update({name.strip().lower(): i for i, name in enumerate(labels)})
    return out


def parse_label(value, lookup: Dict[str, int]) -> Optional[int]:
    """The label index of a field value (an int code, a float with no fraction, a numeric string or a name);
    None when it matches no label (empty values included)."""
    if value is None:
        return None
    if isinstance(value, float):
        if not np.isfinite(value) or value != int(value):
            return None
        value = int(value)
    key = str(value).strip().lower()
    if key.endswith(".0") and key[:-2].lstrip("-").isdigit():
        key = key[:-2]
    return lookup.get(key)


def read_reference_samples(path: str, grid: Grid, labels: Sequence[str], field_name: str = "",
                           layer_name: str = "", max_samples: int = MAX_SAMPLES, seed: int = 0) -> ReferenceSamples:
    """The reference at `path` (a vector layer with the label field `field_name`, or a label raster) as
    samples on `grid`. EpitomeError when it cannot be read, has no such field, holds values that are no label
    (listed), or has no labelled pixel on the grid."""
    vector = _open_vector(path)
    if vector is not None:
        s = _vector_samples(vector, path, grid, labels, field_name, layer_name)
    else:
        s = _raster_samples(path, grid, labels)
    if len(s) == 0:
        raise EpitomeError(f"REFERENCE {path!r} has no labelled sample inside the processed area "
                           f"{grid.describe()}. Give samples that lie on the imagery.")
    if len(s) > max_samples:
        keep = np.sort(np.random.default_rng(seed).choice(len(s), max_samples, replace=False))
        s.notes.append(f"{len(s)} labelled pixels: {max_samples} drawn at random are used.")
        s = ReferenceSamples(s.rows[keep], s.cols[keep], s.labels[keep], s.groups[keep], s.source, s.notes)
    return s


def _open_vector(path: str):
    try:
        ds = gdal.OpenEx(path, gdal.OF_VECTOR | gdal.OF_READONLY)
    except RuntimeError:
        return None
    if ds is None or ds.GetLayerCount() == 0:
        return None
    return ds


def _layer_of(ds, path: str, layer_name: str):
    if layer_name:
        layer = ds.GetLayerByName(layer_name)
        if layer is None:
            names = [ds.GetLayerByIndex(i).GetName() for i in range(ds.GetLayerCount())]
            raise EpitomeError(f"REFERENCE {path!r} has no layer {layer_name!r} (layers: {', '.join(names)}).")
        return layer
    return ds.GetLayerByIndex(0)


def _vector_samples(ds, path: str, grid: Grid, labels: Sequence[str], field_name: str,
                    layer_name: str) -> ReferenceSamples:
    layer = _layer_of(ds, path, layer_name)
    defn = layer.GetLayerDefn()
    fields = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    if not field_name:
        raise EpitomeError(f"REFERENCE is a vector layer: choose its label field in REFERENCE_FIELD "
                           f"(fields: {', '.join(fields) or 'none'}).")
    matches = [f for f in fields if f.lower() == field_name.lower()]
    if not matches:
        raise EpitomeError(f"REFERENCE_FIELD {field_name!r} is not a field of {path!r} (fields: "
                           f"{', '.join(fields) or 'none'}).")
    field_name = matches[0]
    to_grid = _transformation(layer.GetSpatialRef(), grid)
    lookup = label_lookup(labels)
    inv = gdal.InvGeoTransform(grid.geotransform)
    rows: List[np.ndarray] = []
    cols: List[np.ndarray] = []
    labs: List[np.ndarray] = []
    groups: List[np.ndarray] = []
    bad: Dict[str, int] = {}
    empty = outside = 0
    rng = np.random.default_rng(0)
    for fid, feat in enumerate(layer):
        geom = feat.GetGeometryRef()
        value = feat.GetField(field_name)
        lab = parse_label(value, lookup)
        if lab is None:
            if value is None or str(value).strip() == "":
                empty += 1
            else:
                bad[str(value)] = bad.get(str(value), 0) + 1
            continue
        if geom is None or geom.IsEmpty():
            continue
        geom = geom.Clone()
        if to_grid is not None:
            geom.Transform(to_grid)
        r, c = _geometry_pixels(geom, grid, inv, rng)
        if r.size == 0:
            outside += 1
            continue
        rows.append(r)
        cols.append(c)
        labs.append(np.full(r.size, lab, np.int64))
        groups.append(np.full(r.size, fid, np.int64))
    if bad:
        shown = ", ".join(f"{v!r} ({n})" for v, n in list(bad.items())[:20])
        raise EpitomeError(f"REFERENCE_FIELD {field_name!r} holds values that are not labels of the composition "
                           f"table: {shown}. Use the codes 1..{len(labels)} or the label names "
                           f"({', '.join(labels)}).")
    s = _collect(rows, cols, labs, groups, f"{path} ({field_name})")
    if empty:
        s.notes.append(f"{empty} feature(s) without a label were left out.")
    if outside:
        s.notes.append(f"{outside} feature(s) outside the processed area were left out.")
    return s


def _transformation(srs, grid: Grid):
    """OGR transformation from the layer's CRS to the grid's (None when either has none or they are equal)."""
    if srs is None or not grid.wkt:
        return None
    dst = osr.SpatialReference()
    dst.ImportFromWkt(grid.wkt)
    src = srs.Clone()
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    if src.IsSame(dst):
        return None
    try:
        return osr.CoordinateTransformation(src, dst)
    except RuntimeError as e:
        raise EpitomeError(f"REFERENCE cannot be transformed from {srs.GetName()} to the imagery's CRS "
                           f"{crs_name(grid.wkt)} ({e}).")


def _geometry_pixels(geom, grid: Grid, inv, rng):
    """Pixels (rows, cols) of the grid covered by a point, line or polygon geometry (in the grid's CRS):
    points their pixel, others the pixels whose centres they contain (at most MAX_POLYGON_PIXELS, drawn)."""
    flat = ogr.GT_Flatten(geom.GetGeometryType())
    if flat in (ogr.wkbPoint, ogr.wkbMultiPoint):
        pts = [geom.GetPoint_2D(0)] if flat == ogr.wkbPoint else \
            [geom.GetGeometryRef(i).GetPoint_2D(0) for i in range(geom.GetGeometryCount())]
        rc = [gdal.ApplyGeoTransform(inv, x, y) for x, y in pts]
        c = np.floor([p[0] for p in rc]).astype(np.int64)
        r = np.floor([p[1] for p in rc]).astype(np.int64)
        ok = (c >= 0) & (c < grid.width) & (r >= 0) & (r < grid.height)
        return r[ok], c[ok]
    xmin, xmax, ymin, ymax = geom.GetEnvelope()
    corners = [gdal.ApplyGeoTransform(inv, x, y) for x, y in ((xmin, ymin), (xmin, ymax), (xmax, ymin), (xmax, ymax))]
    c0 = max(0, int(np.floor(min(p[0] for p in corners))))
    c1 = min(grid.width, int(np.ceil(max(p[0] for p in corners))))
    r0 = max(0, int(np.floor(min(p[1] for p in corners))))
    r1 = min(grid.height, int(np.ceil(max(p[1] for p in corners))))
    if c1 <= c0 or r1 <= r0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    mem = gdal.GetDriverByName("MEM").Create("", c1 - c0, r1 - r0, 1, gdal.GDT_Byte)
    mem.SetGeoTransform(window_geotransform(grid.geotransform, c0, r0))
    drv = ogr.GetDriverByName("Memory")
    src = drv.CreateDataSource("")
    lyr = src.CreateLayer("g", geom_type=geom.GetGeometryType())
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(geom)
    lyr.CreateFeature(f)
    gdal.RasterizeLayer(mem, [1], lyr, burn_values=[1])
    r, c = np.nonzero(mem.ReadAsArray())
    if r.size > MAX_POLYGON_PIXELS:
        keep = rng.choice(r.size, MAX_POLYGON_PIXELS, replace=False)
        r, c = r[keep], c[keep]
    return (r + r0).astype(np.int64), (c + c0).astype(np.int64)


def _raster_samples(path: str, grid: Grid, labels: Sequence[str]) -> ReferenceSamples:
    try:
        ds = gdal.Open(path, gdal.GA_ReadOnly)
    except RuntimeError as e:
        raise EpitomeError(f"REFERENCE: cannot open {path!r} as a vector layer or a raster ({e}).")
    if ds is None or ds.RasterCount == 0:
        raise EpitomeError(f"REFERENCE: {path!r} is neither a vector layer nor a raster.")
    if ds.RasterCount != 1:
        raise EpitomeError(f"REFERENCE {path!r} has {ds.RasterCount} bands: a reference label raster has one band "
                           "of label codes 1..L (0 = no label). Did you give the imagery?")
    band = ds.GetRasterBand(1)
    if gdal.GetDataTypeName(band.DataType).startswith(("Float", "CFloat")):
        a = band.ReadAsArray(0, 0, min(ds.RasterXSize, 512), min(ds.RasterYSize, 512))
        if np.any(np.isfinite(a) & (a != np.round(a))):
            raise EpitomeError(f"REFERENCE {path!r} holds fractional values: a reference label raster holds "
                               f"integer label codes 1..{len(labels)} (0 = no label).")
    aligned = align_classes(ds, grid, [], roles=("the imagery", "REFERENCE"))
    L = len(labels)
    rows: List[np.ndarray] = []
    cols: List[np.ndarray] = []
    labs: List[np.ndarray] = []
    bad = set()
    b = aligned.GetRasterBand(1)
    nd = band.GetNoDataValue()
    for y in range(0, grid.height, 512):
        h = min(512, grid.height - y)
        a = b.ReadAsArray(0, y, grid.width, h).astype(np.int64)
        keep = (a != CLASS_NODATA) & (a != 0)
        if nd is not None and np.isfinite(nd):
            keep &= a != int(nd)
        bad.update(np.unique(a[keep & ((a < 1) | (a > L))]).tolist())
        r, c = np.nonzero(keep & (a >= 1) & (a <= L))
        rows.append(r + y)
        cols.append(c)
        labs.append(a[r, c] - 1)
    if bad:
        raise EpitomeError(f"REFERENCE {path!r} holds codes {sorted(bad)[:20]} that are not labels: a reference "
                           f"label raster holds the codes 1..{L} of the composition's labels ({', '.join(labels)}), "
                           "0 or its nodata value where there is no label.")
    n = sum(x.size for x in rows)
    return _collect(rows, cols, labs, [np.arange(n, dtype=np.int64)], path)


def _collect(rows, cols, labs, groups, source) -> ReferenceSamples:
    def cat(xs):
        return np.concatenate(xs).astype(np.int64) if xs else np.zeros(0, np.int64)

    return ReferenceSamples(cat(rows), cat(cols), cat(labs), cat(groups), source)
