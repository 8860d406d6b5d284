"""The offset of the coarse map estimated from the data: no truth, no user input (docs/METHOD.md, "Registration of
the coarse map"). The imagery (or a fine label map) is quantised into clusters on a feature grid a tenth of a coarse
cell fine; the shift of the coarse map that makes its classes most informative about the clusters (mutual
information) is searched within +-MAX_SHIFT cells; a block bootstrap decides whether the data support it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import numpy as np

from ..bounds import bounded, check_bounds
from ..errors import EpitomeError, check_cancel
from ..feedback import Feedback
from ..io.raster import compute_scaling, grid_of, has_georeference, open_raster, pixel_size_metres
from . import features as F
from . import search as S

ALIGN_MODES = ("off", "estimate", "correct")  # enum order is stable: saved models store the index
DEFAULT_ALIGN = "correct"


@dataclass
class AlignParams:
    """ALIGN and the constants of the estimate (chosen on the sub-metre cases; docs/BENCHMARKS.md)."""

    mode: str = DEFAULT_ALIGN  # ALIGN: off, estimate (report only) or correct
    clusters: int = bounded(16, 2, 64)  # appearance clusters (k-means)
    max_shift_cells: float = bounded(2.0, 0.25, 5.0, name="MAX_SHIFT")  # search radius, in coarse cells
    min_shift_cells: float = bounded(0.25, 0.0, 2.0)  # a smaller shift is not corrected
    confidence: float = bounded(0.9, 0.5, 1.0, high_open=True)  # bootstrap share that must beat zero shift
    replicates: int = bounded(200, 20, 2000)
    max_windows: int = bounded(16, 1, 256)  # windows of 256 feature pixels sampled on large rasters
    seed: int = 0

    def validate(self):
        check_bounds(self)
        if self.mode not in ALIGN_MODES:
            raise ValueError(f"ALIGN must be one of {', '.join(ALIGN_MODES)}; got {self.mode!r}.")


@dataclass
class Registration:
    """The offset found: where the coarse map lies relative to the imagery (+east, +north, metres; the correction
    moves it back by as much), its uncertainty (bootstrap standard deviation, metres), the share of bootstrap
    replicates where it beats no shift, and whether it is applied (with the reason in `message`)."""

    east_m: float = 0.0
    north_m: float = 0.0
    uncertainty_m: float = float("nan")
    support: float = 0.0
    applied: bool = False
    estimated: bool = False
    message: str = ""
    east_units: float = 0.0  # the same offset in the imagery CRS's units
    north_units: float = 0.0
    details: dict = field(default_factory=dict)

    @property
    def shift_m(self) -> float:
        return float(np.hypot(self.east_m, self.north_m))

    def describe(self) -> str:
        head = (f"Coarse map offset found: {self.east_m:+.1f} m east, {self.north_m:+.1f} m north "
                f"(+- {self.uncertainty_m:.1f} m; beats no shift in {100 * self.support:.0f}% of bootstrap "
                "replicates)") if self.estimated else "Coarse map offset not estimated"
        return f"{head}. {self.message}"


def estimate_offset(imagery: str, classes: str, fb: Feedback = None, params: AlignParams = None,
                    bands: Sequence[int] = (), nodata_codes: Sequence[int] = (), categorical: bool = False,
                    class_band: int = 1) -> Registration:
    """The offset of the class raster against the imagery (categorical: a fine label map, e.g. for
    estimatecomposition). Never raises for data that cannot support an estimate: returns Registration with
    applied=False and the reason."""
    fb, params = fb or Feedback(), params or AlignParams()
    params.validate()
    img, cls = open_raster(imagery, "IMAGERY"), open_raster(classes, "CLASSES")
    setup = _setup(img, cls, params)
    if isinstance(setup, str):
        return Registration(message=setup)
    factor, radius, _ = setup
    fb.info(f"Registration: feature pixels of {factor} x {factor} imagery pixels ({factor * _img_m(img):.2f} m), "
            f"shifts searched within +-{radius} feature pixels.")
    windows = _windows(img, cls, factor, radius, params, fb, bands, nodata_codes, categorical, class_band)
    if isinstance(windows, str):
        return Registration(message=windows)
    wins, k, n_classes = windows
    return _search_and_test(img, wins, k, n_classes, factor, radius, params, fb)


def _img_m(img) -> float:
    return pixel_size_metres(grid_of(img)) or 1.0


def _setup(img, cls, params: AlignParams):
    """(feature factor, search radius in feature pixels, coarse cell in imagery pixels) or the reason why the
    offset cannot be estimated."""
    if not has_georeference(cls) or not grid_of(img).wkt:
        return "A layer has no CRS: the layers are matched pixel by pixel and no offset is estimated."
    img_m, cls_m = pixel_size_metres(grid_of(img)), pixel_size_metres(grid_of(cls))
    cell_px = cls_m / img_m
    if cell_px < 4:
        return (f"The coarse map's cells ({cls_m:.1f} m) are not coarser than the imagery's pixels ({img_m:.2f} m) "
                "by 4 times or more: no offset is estimated.")
    factor = max(1, int(round(cell_px / 10)))
    radius = max(1, int(round(params.max_shift_cells * cell_px / factor)))
    return factor, radius, cell_px


def _windows(img, cls, factor, radius, params, fb, bands, nodata_codes, categorical, class_band):
    """The sampled windows with clusters and classes; or the reason why no offset can be estimated."""
    bands = list(bands) or ([1] if categorical else list(range(1, img.RasterCount + 1)))
    grid = grid_of(img)
    scaling = None if categorical else compute_scaling(img, bands)
    plan = F.feature_windows(grid.width, grid.height, factor, max_windows=params.max_windows)
    feats, valids, codes = [], [], []
    for i, win in enumerate(plan):
        check_cancel(fb.is_canceled)
        f, v = F.imagery_block(img, bands, scaling, win, factor, categorical)
        feats.append(f)
        valids.append(v)
        codes.append(F.classes_on_feature_grid(cls, grid, win, factor, radius, class_band))
        fb.progress(40.0 * (i + 1) / len(plan))
    idx, known = F.class_indices(codes, nodata_codes)
    reason = _unsupported(feats, valids, idx, known, categorical)
    if reason:
        return reason
    clusters, k = _clusters(feats, valids, params, categorical, fb)
    if k < 2:
        return "The imagery has no texture (one appearance cluster): the offset cannot be estimated, no correction."
    return [F.Window(c, i, radius) for c, i in zip(clusters, idx)], k, int(known.size)


def _unsupported(feats, valids, idx, known, categorical) -> Optional[str]:
    """Why the data cannot support an estimate (constant map, no texture), or None."""
    if known.size < 2:
        return ("The coarse map holds one class only under the imagery (a constant map): its offset cannot be "
                "estimated, no correction.")
    if not categorical and F.no_texture(feats, valids):
        return "The imagery has no texture (uniform): the offset cannot be estimated, no correction."
    return None


def _clusters(feats, valids, params, categorical, fb):
    """Cluster ids per window and their number: k-means of the features, or the labels themselves."""
    if categorical:
        allc = np.unique(np.concatenate([f[v] for f, v in zip(feats, valids)]))
        ids = [np.where(v, np.searchsorted(allc, f), -1) for f, v in zip(feats, valids)]
        return ids, int(allc.size)
    return F.quantise(feats, valids, params.clusters, params.seed, cancel=fb.is_canceled)


def _search_and_test(img, wins: List[F.Window], k, n_classes, factor, radius, params, fb) -> Registration:
    """Search, refine, bootstrap, decide (docs/METHOD.md, "Registration of the coarse map")."""
    cell_px = radius * factor / params.max_shift_cells
    block = max(4, int(round(2 * cell_px / factor)))  # bootstrap blocks of 2 x 2 coarse cells
    n_cov = S.covered(wins)
    min_cov = 16 * (cell_px / factor) ** 2
    if n_cov < min_cov:
        return Registration(message=f"The coarse map covers too little of the imagery to estimate its offset "
                            f"({n_cov * (factor * _img_m(img)) ** 2 / 1e4:.1f} ha, at least 16 coarse cells needed): "
                            "no correction.")
    scored = S.search(wins, k, n_classes, radius, block, cancel=fb.is_canceled)
    fb.progress(80.0)
    mi = S.candidates_mi(scored)
    best = max(mi, key=mi.get)
    fine = S.refine(mi.get, best)
    check_cancel(fb.is_canceled)
    support, reps = S.bootstrap(scored, best, params.replicates, params.seed)
    fb.progress(100.0)
    reg = _decide(img, fine, support, reps, factor, params, cell_px, mi)
    if reg.applied and max(abs(best[0]), abs(best[1])) >= radius:
        reg.applied = False
        reg.message = ("At the limit of the search (MAX_SHIFT): the offset is larger or the data do not say; no "
                       "correction.")
    return reg


def _decide(img, fine, support, reps, factor, params, cell_px, mi) -> Registration:
    """The Registration of the refined best shift (feature pixels) with its acceptance test."""
    px_m = _img_m(img)
    gt = grid_of(img).geotransform
    unit = factor * px_m
    east, north = fine[0] * unit, fine[1] * unit
    unc = float(np.sqrt(reps.var(axis=0).sum()) * unit + unit / np.sqrt(6.0))
    shift_cells = np.hypot(*fine) * factor / cell_px
    reg = Registration(east, north, unc, support, False, True,
                       east_units=fine[0] * factor * abs(gt[1]), north_units=fine[1] * factor * abs(gt[5]),
                       details={"mi_zero": mi[(0, 0)], "mi_best": max(mi.values()), "candidates": len(mi)})
    if shift_cells < params.min_shift_cells:
        reg.message = (f"Below {params.min_shift_cells:g} coarse cell ({params.min_shift_cells * cell_px * px_m:.1f} "
                       "m): the map is taken as in place, no correction.")
    elif support < params.confidence:
        reg.message = (f"Not supported by the data (needs {100 * params.confidence:.0f}% of bootstrap replicates): "
                       "no correction.")
    else:
        reg.applied = True
        reg.message = "The coarse map is moved back by this offset."
    return reg


def require_overlap_message(reg: Registration) -> None:
    """EpitomeError for aligncoarse when nothing could be estimated (the standalone algorithm says why)."""
    if not reg.estimated:
        raise EpitomeError(reg.message)
