"""Evaluate a label raster against a reference, block by block (bounded memory)."""

from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from ..errors import Cancelled, EpitomeError
from ..io.align import CLASS_NODATA, align_classes
from ..io.raster import grid_of, open_raster
from .baselines import baseline_strips, open_baseline_source
from .metrics import ConfusionAccumulator, scores


def label_names_of(ds) -> List[str]:
    """Category names stored on band 1 (index 0 = nodata), without the nodata entry."""
    band = ds.GetRasterBand(1)
    band.GetDescription()  # GDAL 3.6 GTiff: category names read as None until band metadata is loaded
    names = band.GetRasterCategoryNames() or []
    return [n for n in names[1:]] if len(names) > 1 else []


def evaluate_rasters(prediction: str, reference: str, label_names: Optional[Sequence[str]] = None,
                     fb=None, rows_per_block: int = 512, classes: Optional[str] = None, composition=None,
                     nodata_codes: Sequence[int] = ()):
    """Returns dict(cm, scores, label_names) and, with a class layer and its composition table, the same for
    the two label-only baselines on the prediction's grid (baselines: {"naive": ..., "smooth": ...}), so a
    user sees what the prediction added. The reference is resampled onto the prediction grid (nearest)."""
    pred = open_raster(prediction, "PREDICTION")
    ref = open_raster(reference, "REFERENCE")
    for ds, what in ((pred, "PREDICTION"), (ref, "REFERENCE")):
        if ds.RasterCount != 1:
            raise EpitomeError(f"{what} has {ds.RasterCount} bands: a label raster has one band of integer codes "
                               f"(1..L, "
                               f"0 = nodata). This looks like imagery; give the label raster as {what}.")
    grid = grid_of(pred)
    warnings: List[str] = list(composition.notes) if classes and composition is not None else []
    ref_al = align_classes(ref, grid, warnings, resampling="near", roles=("PREDICTION", "REFERENCE"))
    src = None
    if classes:
        src = open_baseline_source(classes, grid, composition, nodata_codes, unknown_as_nodata=True,
                                   warnings=warnings, roles=("PREDICTION", "CLASSES"))
    if fb is not None:
        for w in warnings:
            fb.warn(w)
    names = list(label_names or []) or label_names_of(pred) or (list(composition.labels) if src else [])
    n = len(names)
    if n == 0:
        n = _largest_code(pred, ref_al, rows_per_block)
        names = [f"label {i}" for i in range(1, n + 1)]
    if n == 0:
        raise EpitomeError("PREDICTION and REFERENCE contain no labels (every pixel is 0 / nodata).")
    acc = ConfusionAccumulator(n)
    base = {"naive": ConfusionAccumulator(n), "smooth": ConfusionAccumulator(n)} if src else {}
    strips = baseline_strips(src, grid, rows_per_block) if src is not None else None
    _count(pred.GetRasterBand(1), ref_al.GetRasterBand(1), grid, rows_per_block, acc, base, strips, fb)
    cm = acc.matrix
    out = dict(cm=cm, scores=scores(cm), label_names=names)
    if base:
        out["baselines"] = {k: dict(cm=v.matrix, scores=scores(v.matrix)) for k, v in base.items()}
    return out


def _count(pb, rb, grid, rows_per_block: int, acc: ConfusionAccumulator, base: dict, strips, fb=None):
    """The confusion matrices of the prediction band pb against the aligned reference band rb, strip by strip, and
    of the baselines' strips (on the prediction's pixels: same footprint, fair comparison)."""
    pnd = pb.GetNoDataValue()
    H = grid.height
    for y in range(0, H, rows_per_block):
        if fb is not None and fb.is_canceled():
            raise Cancelled()
        h = min(rows_per_block, H - y)
        p = pb.ReadAsArray(0, y, grid.width, h).astype(np.int64)
        r = rb.ReadAsArray(0, y, grid.width, h).astype(np.int64)
        if pnd is not None:
            p[p == int(pnd)] = 0
        r[r == CLASS_NODATA] = 0
        if strips is not None:
            _, naive, smooth = next(strips)
            both = p > 0
            base["naive"].add(np.where(both, naive, 0), r)
            base["smooth"].add(np.where(both, smooth, 0), r)
        acc.add(p, r)
        if fb is not None:
            fb.progress(100.0 * (y + h) / H)


def _largest_code(pred, ref_al, rows_per_block: int) -> int:
    """The largest label code in the prediction or the (aligned) reference: the label count when none is named."""
    mx = 0
    for ds in (pred, ref_al):
        band = ds.GetRasterBand(1)
        for y in range(0, ds.RasterYSize, rows_per_block):
            a = band.ReadAsArray(0, y, ds.RasterXSize, min(rows_per_block, ds.RasterYSize - y))
            a = a[(a > 0) & (a != CLASS_NODATA)]
            if a.size:
                mx = max(mx, int(a.max()))
    return mx
