"""The inputs of a whole-raster label super-resolution: imagery, the class layer on its grid, the coarse priors,
and one tile's arrays (docs/METHOD.md, "Whole rasters").

Only the class cells under the output's footprint are read (a national class layer costs what the imagery's
footprint costs). Shared by self-epitomic LSR (lsr/job.py) and epitomic LSR with a trained epitome
(lsr/epitomic_job.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
from osgeo import gdal

from ..composition.table import Composition
from ..errors import EpitomeError
from ..feedback import Feedback
from ..io.align import CLASS_NODATA, align_classes, class_window, unique_codes
from ..io.raster import Grid, Scaling, compute_scaling, extent_window, grid_of, open_raster, read_imagery, subgrid
from .priors import CoarsePrior
from .tiling import Tile
from .trust import bayes_prior


@dataclass
class JobSources:
    """The opened, checked inputs of a job: imagery, the output grid (the imagery or its EXTENT window) and
    scaling, the class layer on the imagery grid, the coarse prior on the output grid."""

    imagery: gdal.Dataset
    grid: Grid  # the output's: the window (x0, y0) of the imagery
    x0: int
    y0: int
    bands: List[int]
    classes: gdal.Dataset  # aligned class VRT (Int32) on the imagery grid
    scaling: Scaling
    nodata_codes: List[int]
    prior: CoarsePrior
    composition: Composition
    area_prior: np.ndarray  # [L] p(l) = sum_c p(c) p(l | c) over the class cells under the output

    def class_rows(self, x: int, y: int, w: int, h: int) -> np.ndarray:
        """Rows of the composition table [h, w] (-1 = no class) of the output window (x, y, w, h)."""
        codes = self.classes.GetRasterBand(1).ReadAsArray(self.x0 + x, self.y0 + y, w, h)
        return self.composition.class_index(codes, nodata_codes=list(self.nodata_codes) + [CLASS_NODATA],
                                            unknown_as_nodata=True)

    def label_prior(self, kind: str, x: int, y: int, w: int, h: int, class_index: np.ndarray) -> np.ndarray:
        """A label prior from the coarse map alone on the output window [L, h, w] (docs/METHOD.md, "Baselines and
        fusion"):
        'smooth' (the blocks' compositions interpolated bilinearly; the pixel's own row where no coarse cell is
        near), 'bayes' (the pixel's row over the area's label prior), otherwise 'naive' (the pixel's row)."""
        naive = self.prior.naive(class_index)
        if kind == "smooth":
            p, ok = self.prior.smooth(x, y, w, h)
            return np.where(ok[None], p, naive)
        if kind == "bayes":
            return bayes_prior(naive, self.area_prior)
        return naive


@dataclass
class TileInput:
    """Everything one tile's computation depends on (a pure function of this): arrays in, probabilities out."""

    image: np.ndarray  # [C, h, w] float32, scaled to about [0, 1]
    valid: np.ndarray  # [h, w] bool: imagery has data
    class_index: np.ndarray  # [h, w] int64: row of the composition table, -1 = no class
    seed: int
    prior: Optional[np.ndarray] = None  # [L, h, w] the smooth label prior where appearance starts (TABLE_MODE prior)


@dataclass
class TileAppearance:
    """A tile's appearance result (lsr/tile.py) as arrays."""

    probs: np.ndarray  # [L, h, w]
    valid: np.ndarray  # [h, w] bool
    reached: np.ndarray  # [h, w] bool

    @property
    def nbytes(self) -> int:
        return self.probs.nbytes + self.valid.nbytes + self.reached.nbytes


def output_window(grid, extent, role: str = "EXTENT") -> Tuple[int, int, int, int]:
    """The pixel window (x0, y0, w, h) of `grid` that EXTENT (xmin, ymin, xmax, ymax) covers; all of it when None."""
    if extent is None:
        return 0, 0, grid.width, grid.height
    win = extent_window(grid, extent)
    if win is None:
        raise EpitomeError("{} [{:.2f}, {:.2f} : {:.2f}, {:.2f}] does not overlap the imagery {}. Choose an extent "
                           "inside the imagery.".format(role, *extent, grid.describe()))
    return win


def open_sources(imagery: str, classes: str, composition: Composition, fb: Feedback, bands: Sequence[int] = (),
                 extent=None, nodata_codes: Sequence[int] = (), unknown_as_nodata: bool = False) -> JobSources:
    """Open, validate and align the inputs (the class layer is resampled lazily onto the imagery grid)."""
    img = open_raster(imagery, "IMAGERY")
    full = grid_of(img)
    bands = list(bands) if bands else list(range(1, img.RasterCount + 1))
    bad = [b for b in bands if b < 1 or b > img.RasterCount]
    if bad:
        raise EpitomeError(f"BANDS {bad} do not exist: the imagery has {img.RasterCount} band(s) "
                           f"(1..{img.RasterCount}).")
    x0, y0, w, h = output_window(full, extent)
    grid = subgrid(full, x0, y0, w, h)
    cls = open_raster(classes, "CLASSES")
    warnings: List[str] = []
    aligned = align_classes(cls, full, warnings)
    for msg in warnings:
        fb.warn(msg)
    nodata, p_class = class_footprint(composition, cls, grid, fb, nodata_codes, unknown_as_nodata)
    prior = CoarsePrior(cls, grid, composition, nodata)
    return JobSources(img, grid, x0, y0, bands, aligned, compute_scaling(img, bands), nodata, prior, composition,
                      p_class @ composition.matrix)


def class_footprint(comp: Composition, classes, grid, fb: Feedback, nodata_codes: Sequence[int] = (),
                    unknown_as_nodata: bool = False):
    """Codes meaning "no class" (the table's nodata row and NODATA_CODES) and the observed p(c) [Cc], from the
    class cells under the output's footprint only (a national class layer is not read), after checking their
    codes against the composition table."""
    window = class_window(classes, grid, margin=0)
    nodata = set(nodata_codes) | set(comp.nodata_codes)
    counts = np.zeros(len(comp.class_codes))
    if window is not None:
        band = classes.GetRasterBand(1)
        x, y, w, h = window
        for r in range(y, y + h, 512):
            codes = band.ReadAsArray(x, r, w, min(512, y + h - r))
            idx = comp.class_index(codes, nodata_codes=list(nodata), unknown_as_nodata=True)
            counts += np.bincount(idx[idx >= 0], minlength=len(comp.class_codes))
    codes = unique_codes(classes, window=window) if window is not None else []
    missing = [int(c) for c in codes if int(c) not in comp.class_codes and int(c) not in nodata]
    if missing and not unknown_as_nodata:
        raise EpitomeError(
            "Coarse class codes {} occur in the class layer under the imagery but not in the composition table ({}). "
            "Add rows for them to the composition CSV, list them as no-data codes (a 'nodata' row in the CSV, or "
            "NODATA_CODES), or tick 'treat unknown class codes as nodata'.".format(
                ", ".join(map(str, missing[:50])), comp.source or "built-in NLCD table"))
    if missing:
        fb.warn(f"Class codes {missing[:50]} are not in the composition table and are treated as nodata.")
    return sorted(nodata), counts / max(counts.sum(), 1.0)


def read_tile(sources: JobSources, tile: Tile, seed: int, with_prior: bool = True) -> TileInput:
    """The imagery window, the class rows and (with_prior) the smooth label prior of one tile (tile offsets are on
    the output grid)."""
    image, valid = read_imagery(sources.imagery, sources.bands, sources.scaling, sources.x0 + tile.x,
                                sources.y0 + tile.y, tile.w, tile.h)
    cidx = sources.class_rows(tile.x, tile.y, tile.w, tile.h)
    prior = sources.label_prior("smooth", tile.x, tile.y, tile.w, tile.h, cidx) if with_prior else None
    return TileInput(image, valid, cidx, seed, prior)


def tile_seed(seed: int, tile: Tile) -> int:
    """Per-tile seed of the query sampling: same inputs and seed, same output."""
    return int(seed) * 1000003 + tile.row * 7919 + tile.col
