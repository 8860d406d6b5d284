"""Label priors from the coarse map alone (docs/METHOD.md, "Baselines and fusion"): the floor every result is
compared with.

    naive   p(l | pixel) = p(l | c(pixel)), the composition row of the pixel's coarse class (nearest);
    smooth  each coarse cell's composition p(l | c(cell)) interpolated bilinearly between the cells'
            centres onto the fine grid (renormalised where coarse cells have no class).

Both are computed window by window on the imagery grid, reading only the class cells around the
window, so a national class layer costs what the imagery's footprint costs. The smooth prior of a
window is a small GDAL warp (bilinear) of the window's coarse compositions: any CRS and grid.
Their argmax are the two label-only baselines; the smooth prior is also what self-epitomic LSR fuses
appearance with.
"""

from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np
from osgeo import gdal

from ..composition.table import Composition
from ..io.align import class_window
from ..io.raster import Grid, grid_of, has_georeference, window_geotransform

gdal.UseExceptions()


class CoarsePrior:
    """The coarse class layer as label distributions on windows of the imagery grid.

    classes: the class raster (its own grid and CRS); target: the imagery grid; nodata_codes: class codes
    that mean "no class" (codes absent from the composition are treated as no class too).
    """

    def __init__(self, classes: gdal.Dataset, target: Grid, composition: Composition,
                 nodata_codes: Sequence[int] = (), class_band: int = 1):
        self.classes, self.target, self.composition = classes, target, composition
        self.band_index = class_band  # a GDAL band object must not outlive its dataset: fetched when read
        self.nodata_codes = list(nodata_codes)
        nd = classes.GetRasterBand(class_band).GetNoDataValue()
        if nd is not None and np.isfinite(nd):
            self.nodata_codes.append(int(nd))
        self.georeferenced = has_georeference(classes) and bool(target.wkt)
        self.class_grid = grid_of(classes)

    def cell_compositions(self, window) -> Tuple[np.ndarray, np.ndarray]:
        """Compositions of the class cells in `window` (x0, y0, w, h of the class raster):
        (p(l | c(cell)) [L, h, w] float32, valid [h, w] bool)."""
        x0, y0, w, h = window
        codes = self.classes.GetRasterBand(self.band_index).ReadAsArray(x0, y0, w, h)
        if np.issubdtype(codes.dtype, np.floating):
            codes = np.where(np.isfinite(codes), codes, -2147483648).astype(np.int64)
        idx = self.composition.class_index(codes, nodata_codes=self.nodata_codes, unknown_as_nodata=True)
        valid = idx >= 0
        p = self.composition.matrix[np.maximum(idx, 0)].transpose(2, 0, 1).astype(np.float32)
        return p * valid, valid

    def smooth(self, x: int, y: int, w: int, h: int) -> Tuple[np.ndarray, np.ndarray]:
        """The smooth prior on the imagery window (x, y, w, h): (p [L, h, w] float32 rows summing to 1 where
        valid, valid [h, w] bool = some coarse cell with a class is near)."""
        L = self.composition.n_labels
        cw = class_window(self.classes, self.target, (x, y, w, h), margin=2)
        if cw is None:
            return np.zeros((L, h, w), np.float32), np.zeros((h, w), bool)
        p, valid = self.cell_compositions(cw)
        if not self.georeferenced:  # pixel-matched grids: the cells are the pixels
            ox, oy = x - cw[0], y - cw[1]
            p, valid = p[:, oy:oy + h, ox:ox + w], valid[oy:oy + h, ox:ox + w]
            return np.ascontiguousarray(p), np.ascontiguousarray(valid)
        stack = np.concatenate([p, valid[None].astype(np.float32)])  # [L + 1, hc, wc]
        warped = _warp_bilinear(stack, window_geotransform(self.class_grid.geotransform, cw[0], cw[1]),
                                self.class_grid.wkt, window_geotransform(self.target.geotransform, x, y),
                                self.target.wkt, w, h)
        mass = warped[L]
        ok = mass > 1e-6
        out = np.where(ok[None], warped[:L] / np.maximum(mass, 1e-6)[None], 0.0).astype(np.float32)
        s = out.sum(0)
        out = np.where(ok[None], out / np.maximum(s, 1e-12)[None], 0.0).astype(np.float32)
        return out, ok

    def naive(self, class_index: np.ndarray) -> np.ndarray:
        """p(l | c(pixel)) [L, h, w] for a window's class rows class_index [h, w] (-1 = none: zeros)."""
        p = self.composition.matrix[np.maximum(class_index, 0)].transpose(2, 0, 1).astype(np.float32)
        return p * (class_index >= 0)


def _warp_bilinear(stack: np.ndarray, src_gt, src_wkt: str, dst_gt, dst_wkt: str, w: int, h: int) -> np.ndarray:
    """Bilinear warp of float bands stack [B, hs, ws] onto a w x h grid: [B, h, w] (0 outside the source)."""
    B, hs, ws = stack.shape
    mem = gdal.GetDriverByName("MEM")
    src = mem.Create("", ws, hs, B, gdal.GDT_Float32)
    src.SetGeoTransform(src_gt)
    src.SetProjection(src_wkt)
    for i in range(B):
        src.GetRasterBand(i + 1).WriteArray(stack[i])
    dst = mem.Create("", w, h, B, gdal.GDT_Float32)
    dst.SetGeoTransform(dst_gt)
    dst.SetProjection(dst_wkt)
    gdal.Warp(dst, src, options=gdal.WarpOptions(resampleAlg="bilinear", multithread=False))
    return dst.ReadAsArray().reshape(B, h, w)


def prior_labels(p: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """A baseline label map from a prior: argmax + 1 where valid, 0 elsewhere (uint8 [h, w])."""
    lab = (p.argmax(0) + 1).astype(np.uint8)
    lab[~valid] = 0
    return lab
