"""Evaluate a label raster against a reference, block by block (bounded memory)."""

from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from ..io.align import CLASS_NODATA, align_classes
from ..io.raster import grid_of, open_raster
from ..errors import Cancelled, EpitomeError
from .metrics import ConfusionAccumulator, scores


def label_names_of(ds) -> List[str]:
    """Category names stored on band 1 (index 0 = nodata), without the nodata entry."""
    band = ds.GetRasterBand(1)
    band.GetDescription()  # GDAL 3.6 GTiff: category names read as None until band metadata is loaded
    names = band.GetRasterCategoryNames() or []
    return [n for n in names[1:]] if len(names) > 1 else []


def evaluate_rasters(prediction: str, reference: str, label_names: Optional[Sequence[str]] = None,
                     fb=None, rows_per_block: int = 512):
    """Returns dict(cm, scores, label_names). Reference resampled onto the prediction grid (nearest)."""
    pred = open_raster(prediction, "PREDICTION")
    ref = open_raster(reference, "REFERENCE")
    grid = grid_of(pred)
    warnings: List[str] = []
    ref_al = align_classes(ref, grid, warnings, resampling="near")
    if fb is not None:
        for w in warnings:
            fb.warn(w)
    names = list(label_names or []) or label_names_of(pred)
    n = len(names)
    if n == 0:
        mx = 0
        for ds, band in ((pred, pred.GetRasterBand(1)), (ref_al, ref_al.GetRasterBand(1))):
            for y in range(0, ds.RasterYSize, rows_per_block):
                a = band.ReadAsArray(0, y, ds.RasterXSize, min(rows_per_block, ds.RasterYSize - y))
                a = a[(a > 0) & (a != CLASS_NODATA)]
                if a.size:
                    mx = max(mx, int(a.max()))
        n = mx
        names = [f"label {i}" for i in range(1, n + 1)]
    if n == 0:
        raise EpitomeError("PREDICTION and REFERENCE contain no labels (every pixel is 0 / nodata).")
    acc = ConfusionAccumulator(n)
    pb, rb = pred.GetRasterBand(1), ref_al.GetRasterBand(1)
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
        acc.add(p, r)
        if fb is not None:
            fb.progress(100.0 * (y + h) / H)
    cm = acc.matrix
    return dict(cm=cm, scores=scores(cm), label_names=names)
