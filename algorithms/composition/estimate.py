"""Estimate a composition table p(label | class) from a labelled area.

Given a fine label raster (REFERENCE, e.g. a 1 m land-cover map of a small area) and a coarse class
raster (CLASSES, e.g. NLCD at 30 m), the classes are resampled onto the reference grid (nearest, or mode
when finer; raster.align_classes) and every pixel where both have data adds one to the count of its
(class code, label code) pair:

    n[c, l] = #{pixels: class = c, label = l},   p(label = l | class = c) = n[c, l] / sum_l' n[c, l']

Both rasters are read in row blocks, so memory does not depend on their size. Label code 0 and each
raster's nodata value are ignored.

Columns are the label codes 1..M (M = the largest code seen), so that the label codes of a
super-resolution run with this table equal the reference's codes (and epitome:evaluate can compare
them); codes that never occur get a column of zeros. Only when codes fall outside 1..254 are the
columns the codes seen, in increasing order (output code k is then the k-th of them; a warning says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from osgeo import gdal

from ..errors import Cancelled, EpitomeError
from ..io.align import CLASS_NODATA, align_classes
from ..io.label_legend import read_legend
from ..io.raster import grid_of, open_raster
from .colours import default_colours
from .table import NLCD_NAMES, NLCD_NODATA_CODES, Composition

MAX_LABELS = 254


@dataclass
class CompositionEstimate:
    """composition: rows = class codes with >= min_pixels pixels; counts [Cc, L] the pixel counts behind it."""

    composition: Composition
    label_codes: List[int]  # reference code of each column
    counts: np.ndarray  # [Cc, L] int64
    class_pixels: List[int]  # pixels per row (= counts.sum(1))
    dropped: Dict[int, int] = field(default_factory=dict)  # class code -> pixels, rows under min_pixels
    warnings: List[str] = field(default_factory=list)

    @property
    def pixels(self) -> int:
        return int(sum(self.class_pixels))

    def csv_comments(self, reference: str = "", classes: str = "") -> List[str]:
        lines = ["p(label | class) estimated by Epitome from a labelled area"]
        if reference:
            lines.append(f"reference labels: {reference}")
        if classes:
            lines.append(f"coarse classes: {classes}")
        lines.append("label codes of the columns: " + ", ".join(str(c) for c in self.label_codes))
        lines.append("pixels per class: " + "; ".join(
            f"{c}={n}" for c, n in zip(self.composition.class_codes, self.class_pixels)))
        if self.dropped:
            lines.append("classes left out (too few pixels): " + "; ".join(
                f"{c}={n}" for c, n in sorted(self.dropped.items())))
        return lines


def _is_float(dt) -> bool:
    return dt in (gdal.GDT_Float32, gdal.GDT_Float64)


def _is_complex(dt) -> bool:
    return dt in (gdal.GDT_CInt16, gdal.GDT_CInt32, gdal.GDT_CFloat32, gdal.GDT_CFloat64)


def _check_band(ds, band: int, what: str, param: str):
    if band < 1 or band > ds.RasterCount:
        raise EpitomeError(f"{what}: band {band} does not exist (the raster has {ds.RasterCount} band"
                           f"{'s' if ds.RasterCount != 1 else ''}). Set {param} to 1..{ds.RasterCount}.")
    dt = ds.GetRasterBand(band).DataType
    if _is_complex(dt):
        raise EpitomeError(f"{what}: band {band} holds complex numbers ({gdal.GetDataTypeName(dt)}); choose a "
                           "raster of integer codes.")


def label_names_and_colours(ds, band: int, codes: Sequence[int]) -> Tuple[List[str], List[Tuple[int, int, int]]]:
    """Names and colours of label codes from the reference raster's legend (category names, attribute table,
    colour table, a .qml beside it: io.label_legend), else 'label <code>' and distinct default colours."""

    legend = read_legend(ds.GetDescription(), band, dataset=ds)
    names = []
    for c in codes:
        e = legend.get(int(c))
        names.append(e.name if e is not None and e.name else f"label {c}")
    # Unique names (a composition needs them): repeated names get their code appended.
    low = [n.lower() for n in names]
    names = [f"{n} ({c})" if low.count(n.lower()) > 1 else n for n, c in zip(names, codes)]
    fixed = [legend[int(c)].colour if int(c) in legend else None for c in codes]
    return names, default_colours(names, fixed=fixed)


def _one_band(ds, band: Optional[int], what: str, param: str, kind: str) -> int:
    """The band holding the codes: `band` when given; else the raster must have exactly one band (imagery given as
    a label or class raster is refused here, before it is counted as hundreds of 'labels')."""
    if band is not None:
        return band
    if ds.RasterCount != 1:
        raise EpitomeError(f"{what} has {ds.RasterCount} bands: a {kind} raster has one band of integer codes. This "
                           f"looks like imagery; give the {kind} raster, or choose the band that holds the codes with "
                           f"{param}.")
    return 1


MANY_LABELS = 32  # more label codes than this in a reference: probably not a label raster (a warning)


def _count_block(r: np.ndarray, c: np.ndarray, rnd, ref_float: bool, skip_classes: List[int],
                 counts: Dict[Tuple[int, int], int], labels_seen: set):
    """Add one block's (class, label) pairs to counts: reference labels r and aligned classes c [h, W]; label 0,
    the reference's nodata rnd and the classes in skip_classes are left out."""
    ok = r != 0
    if rnd is not None:
        ok &= r != rnd
    if ref_float:
        ok &= np.isfinite(r)
    ok &= ~np.isin(c, skip_classes)
    rv, cv = r[ok], c[ok].astype(np.int64)
    if ref_float and rv.size:
        bad = rv[rv != np.round(rv)]
        if bad.size:
            raise EpitomeError(f"REFERENCE holds non-integer values (e.g. {float(bad[0]):g}); it must be a label "
                               "raster of integer codes (1..L, 0 = nodata). Choose the label map, not a "
                               "probability or continuous raster.")
    rv = rv.astype(np.int64)
    if not rv.size:
        return
    cu, ci = np.unique(cv, return_inverse=True)
    lu, li = np.unique(rv, return_inverse=True)
    n = np.bincount(ci * len(lu) + li, minlength=len(cu) * len(lu)).reshape(len(cu), len(lu))
    for a, b in zip(*np.nonzero(n)):
        key = (int(cu[a]), int(lu[b]))
        counts[key] = counts.get(key, 0) + int(n[a, b])
    labels_seen.update(int(v) for v in lu)
    if len(labels_seen) > MAX_LABELS:
        raise EpitomeError(f"REFERENCE holds more than {MAX_LABELS} different values: it does not look like "
                           "a label raster (codes 1..L, 0 = nodata). Choose a land-cover / label map.")


def count_pairs(reference_path: str, classes_path: str, reference_band: Optional[int] = None,
                classes_band: Optional[int] = None,
                fb=None, rows_per_block: int = 512, class_nodata_codes: Sequence[int] = (),
                warnings: Optional[List[str]] = None):
    """Pixel counts of (class code, label code) pairs on the reference grid.

    Returns (counts: dict {(class, label): n}, reference dataset, reference band). Progress 0..100 through fb.
    A band left as None: the raster must have one band (_one_band).
    """
    warnings = [] if warnings is None else warnings
    ref = open_raster(reference_path, "REFERENCE")
    cls = open_raster(classes_path, "CLASSES")
    reference_band = _one_band(ref, reference_band, "REFERENCE", "REFERENCE_BAND", "reference label")
    classes_band = _one_band(cls, classes_band, "CLASSES", "CLASSES_BAND", "coarse class")
    _check_band(ref, reference_band, "REFERENCE", "REFERENCE_BAND")
    _check_band(cls, classes_band, "CLASSES", "CLASSES_BAND")
    rg = grid_of(ref)
    al_warn: List[str] = []
    aligned = align_classes(cls, rg, al_warn, class_band=classes_band, roles=("REFERENCE", "CLASSES"))
    if al_warn:
        warnings.append("REFERENCE or CLASSES has no CRS: they are matched pixel by pixel (same size).")
    rb = ref.GetRasterBand(reference_band)
    ab = aligned.GetRasterBand(1)
    rnd = rb.GetNoDataValue()
    and_ = ab.GetNoDataValue()
    ref_float = _is_float(rb.DataType)
    skip_classes = [CLASS_NODATA] + [int(c) for c in class_nodata_codes]
    if and_ is not None and np.isfinite(and_) and float(and_).is_integer():  # NaN nodata: float rasters
        skip_classes.append(int(and_))
    counts: Dict[Tuple[int, int], int] = {}
    labels_seen = set()
    W, H = rg.width, rg.height
    for y in range(0, H, rows_per_block):
        if fb is not None and fb.is_canceled():
            raise Cancelled()
        h = min(rows_per_block, H - y)
        _count_block(rb.ReadAsArray(0, y, W, h), ab.ReadAsArray(0, y, W, h), rnd, ref_float, skip_classes, counts,
                     labels_seen)
        if fb is not None:
            fb.progress(100.0 * (y + h) / H)
    del aligned
    return counts, ref, reference_band


def estimate_composition(reference_path: str, classes_path: str, reference_band: Optional[int] = None,
                         classes_band: Optional[int] = None,
                         min_pixels: int = 1, fb=None, rows_per_block: int = 512,
                         class_nodata_codes: Sequence[int] = ()) -> CompositionEstimate:
    """p(label | class) counted on a labelled area (see the module docstring).

    Raises EpitomeError with what to change (no overlap, no CRS on one side with different sizes, non-integer
    rasters, no common pixel, no class with min_pixels pixels); Cancelled when fb.is_canceled().
    """
    warnings: List[str] = []
    min_pixels = max(1, int(min_pixels))
    counts, ref, reference_band = count_pairs(reference_path, classes_path, reference_band, classes_band, fb,
                                              rows_per_block, class_nodata_codes, warnings)
    if not counts:
        raise EpitomeError(
            "REFERENCE and CLASSES share no pixel where both have data (label 0 and nodata values are ignored). "
            "Check that the class layer covers the labelled area, that the reference holds label codes other than "
            "0, and the bands chosen.")
    class_codes = sorted({c for c, _ in counts})
    label_seen = sorted({lab for _, lab in counts})
    if len(label_seen) > MANY_LABELS:
        warnings.append(f"REFERENCE holds {len(label_seen)} different label codes: a label raster usually has a few. "
                        "If it is imagery or a continuous raster, choose the land-cover / label map instead.")
    if label_seen[0] >= 1 and label_seen[-1] <= MAX_LABELS:
        label_codes = list(range(1, label_seen[-1] + 1))
    else:
        label_codes = label_seen
        warnings.append("REFERENCE label codes are not all within 1..{}: the table's columns are the codes seen "
                        "({}), so a super-resolution run with it writes codes 1..{} in that order.".format(
                            MAX_LABELS, ", ".join(str(c) for c in label_codes), len(label_codes)))
    ci = {c: i for i, c in enumerate(class_codes)}
    li = {c: j for j, c in enumerate(label_codes)}
    n = np.zeros((len(class_codes), len(label_codes)), np.int64)
    for (c, lab), k in counts.items():
        n[ci[c], li[lab]] += k
    totals = n.sum(1)
    keep = totals >= min_pixels
    dropped = {int(c): int(t) for c, t, k in zip(class_codes, totals, keep) if not k}
    if not keep.any():
        raise EpitomeError(f"No class has at least {min_pixels} labelled pixels (the largest has {int(totals.max())}). "
                           "Lower MIN_PIXELS or use a larger labelled area.")
    if dropped:
        warnings.append("Classes with fewer than {} pixels left out of the table: {}.".format(
            min_pixels, ", ".join(f"{c} ({t} px)" for c, t in sorted(dropped.items()))))
    n = n[keep]
    kept_codes = [c for c, k in zip(class_codes, keep) if k]
    names, colours = label_names_and_colours(ref, reference_band, label_codes)
    matrix = (n / n.sum(1, keepdims=True)).astype(np.float32)
    comp = Composition(kept_codes, names, matrix, colours=colours, source=f"estimated from {reference_path}")
    if fb is not None:
        for w in warnings:
            fb.warn(w)
    return CompositionEstimate(comp, label_codes, n, [int(v) for v in n.sum(1)], dropped, warnings)


def sample_class_codes(path: str, band: int = 1, max_side: int = 1024) -> List[int]:
    """Class codes of a raster from a decimated read (at most max_side^2 pixels, nearest), nodata excluded.

    Cheap on any size (uses overviews when present); rare codes may be missed on huge rasters.
    """
    ds = open_raster(path, "CLASSES")
    if band < 1 or band > ds.RasterCount:
        band = 1
    b = ds.GetRasterBand(band)
    W, H = ds.RasterXSize, ds.RasterYSize
    f = max(1.0, max(W, H) / float(max_side))
    bw, bh = max(1, int(round(W / f))), max(1, int(round(H / f)))
    a = b.ReadAsArray(0, 0, W, H, buf_xsize=bw, buf_ysize=bh, resample_alg=gdal.GRIORA_NearestNeighbour)
    nd = b.GetNoDataValue()
    u = np.unique(a)
    if nd is not None:
        u = u[u != nd]
    if np.issubdtype(u.dtype, np.floating):
        u = u[np.isfinite(u) & (u == np.round(u))]
    return [int(v) for v in u]


def table_class_codes(path: str, band: int = 1, max_side: int = 1024) -> List[int]:
    """Class codes for the rows of a composition table: sample_class_codes, without NLCD's nodata codes
    (0 and 255) when every other code is an NLCD code."""

    codes = sample_class_codes(path, band, max_side)
    rest = [c for c in codes if c not in NLCD_NODATA_CODES]
    return rest if rest and all(c in NLCD_NAMES for c in rest) else codes
