"""The two label-only baselines as label maps: the floor every result is compared with (docs/METHOD.md,
"Baselines and fusion").

    naive   argmax p(label | class) of each pixel's coarse class;
    smooth  argmax of the blocks' p(label | class) interpolated bilinearly between block centres.

Both come from lsr/priors.CoarsePrior, the same code the LSR fuses appearance with, computed by row
strips of any target grid (bounded memory; only the class cells under the strip are read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple  # noqa: F401

import numpy as np
from osgeo import gdal

from ..composition.table import Composition
from ..distributed.cluster import parse_scheduler, require_dask
from ..errors import Cancelled, EpitomeError
from ..feedback import Feedback
from ..io.align import CLASS_NODATA, align_classes, class_window, unique_codes
from ..io.label_style import set_label_style, write_qml
from ..io.outputs import AtomicOutputs, build_overviews, create_output
from ..io.raster import Grid, grid_of, open_raster, read_valid
from ..lsr.priors import CoarsePrior, prior_labels

STRIP_ROWS = 256  # rows of a strip (a task on a cluster)


@dataclass
class BaselineSource:
    """A class layer and its composition table on a target grid."""

    classes: gdal.Dataset  # on its own grid
    aligned: gdal.Dataset  # the class layer on the target grid (nearest/mode)
    prior: CoarsePrior
    composition: Composition
    nodata_codes: List[int]


def open_baseline_source(classes_path: str, grid: Grid, composition: Composition, nodata_codes: Sequence[int] = (),
                         unknown_as_nodata: bool = False, warnings: Optional[List[str]] = None,
                         roles=("the target", "CLASSES")) -> BaselineSource:
    """Open and check a class layer for the baselines on `grid` (codes under the footprint must be in the table,
    in its nodata row or nodata_codes, unless unknown_as_nodata)."""
    cls = open_raster(classes_path, "CLASSES")
    aligned = align_classes(cls, grid, warnings if warnings is not None else [], roles=roles)
    nodata = sorted(set(nodata_codes) | set(composition.nodata_codes))
    window = class_window(cls, grid, margin=0)
    codes = unique_codes(cls, window=window) if window is not None else []
    missing = [int(c) for c in codes if int(c) not in composition.class_codes and int(c) not in nodata]
    if missing and not unknown_as_nodata:
        raise EpitomeError("Coarse class codes {} occur in CLASSES but not in the composition table ({}). Add rows "
                           "for them, list them as no-data codes, or treat unknown codes as nodata.".format(
                               ", ".join(map(str, missing[:50])), composition.source or "built-in NLCD table"))
    return BaselineSource(cls, aligned, CoarsePrior(cls, grid, composition, nodata), composition, nodata)


def baseline_strip(src: BaselineSource, grid: Grid, y: int, h: int, mask: Optional[gdal.Dataset] = None):
    """(naive [h, width] uint8, smooth [h, width] uint8) of rows y .. y + h (baseline_strips)."""
    codes = src.aligned.GetRasterBand(1).ReadAsArray(0, y, grid.width, h)
    idx = src.composition.class_index(codes, nodata_codes=src.nodata_codes + [CLASS_NODATA], unknown_as_nodata=True)
    if mask is not None:
        idx = np.where(read_valid(mask, list(range(1, mask.RasterCount + 1)), 0, y, grid.width, h), idx, -1)
    naive = prior_labels(src.prior.naive(idx), idx >= 0)
    p, ok = src.prior.smooth(0, y, grid.width, h)
    return naive, prior_labels(p, ok & (idx >= 0))


def baseline_strips(src: BaselineSource, grid: Grid, rows_per_strip: int = STRIP_ROWS, cancel=None,
                    mask: Optional[gdal.Dataset] = None) -> Iterator[Tuple[int, np.ndarray, np.ndarray]]:
    """(y0, naive [rows, width] uint8, smooth [rows, width] uint8) strip by strip; labels 1..L, 0 = no class or,
    with `mask` (a raster on `grid`, e.g. the imagery), no data in any of its bands."""
    for y in range(0, grid.height, rows_per_strip):
        if cancel is not None and cancel():
            raise Cancelled()
        yield (y,) + baseline_strip(src, grid, y, min(rows_per_strip, grid.height - y), mask)


@dataclass
class BaselineJob:
    grid_raster: str  # the raster whose grid the maps are made on (e.g. the imagery)
    classes: str
    composition: Composition
    naive: Optional[str] = None  # output paths (GeoTIFF); at least one
    smooth: Optional[str] = None
    nodata_codes: Sequence[int] = ()
    unknown_as_nodata: bool = False
    mask_grid_nodata: bool = True  # 0 where the grid raster has no data (as a super-resolution run of it would)
    scheduler: str = ""  # SCHEDULER: "" in this process, "local:N" or a Dask scheduler's address (docs/SCALING.md)
    stats: Dict = field(default_factory=dict)


def run_baselines(job: BaselineJob, fb=None) -> Dict:
    """Write the naive and/or smooth label maps on the grid of job.grid_raster (atomically, styled); with
    job.scheduler, the strips are computed on a Dask cluster (distributed/strips.py)."""

    if not (job.naive or job.smooth):
        raise EpitomeError("Give NAIVE or SMOOTH (or both): the baseline maps to write.")
    spec = parse_scheduler(job.scheduler)
    if spec.distributed:
        require_dask()
    grid_ds = open_raster(job.grid_raster, "GRID")
    grid = grid_of(grid_ds)
    warnings: List[str] = list(job.composition.notes)
    src = open_baseline_source(job.classes, grid, job.composition, job.nodata_codes, job.unknown_as_nodata, warnings,
                               roles=("the grid raster", "CLASSES"))
    for w in warnings:
        if fb is not None:
            fb.warn(w)
    if not spec.distributed:
        strips = baseline_strips(src, grid, cancel=fb.is_canceled if fb is not None else None,
                                 mask=grid_ds if job.mask_grid_nodata else None)
        return write_baselines(job, grid, strips, fb)
    from ..distributed.strips import baseline_strips_on_cluster

    with baseline_strips_on_cluster(job, grid, spec, fb or Feedback()) as strips:
        return write_baselines(job, grid, strips, fb, overviews=True)


def write_baselines(job: BaselineJob, grid: Grid, strips, fb=None, overviews: bool = False) -> Dict:
    """The strips (y0, naive, smooth) written into the files asked for, moved into place when all are written."""
    comp = job.composition
    counts = {"naive": np.zeros(comp.n_labels + 1, np.int64), "smooth": np.zeros(comp.n_labels + 1, np.int64)}
    with AtomicOutputs() as outputs:
        targets = {}
        for key, path in (("naive", job.naive), ("smooth", job.smooth)):
            if path:
                ds = create_output(outputs.reserve(path, key.upper()), grid, 1, gdal.GDT_Byte, nodata=0)
                set_label_style(ds, comp.labels, comp.colours)
                targets[key] = ds
        for y, naive, smooth in strips:
            for key, lab in (("naive", naive), ("smooth", smooth)):
                if key in targets:
                    targets[key].GetRasterBand(1).WriteArray(lab, 0, y)
                    counts[key] += np.bincount(lab.ravel(), minlength=comp.n_labels + 1)
            if fb is not None:
                fb.progress(100.0 * min(grid.height, y + STRIP_ROWS) / grid.height)
        for ds in targets.values():
            ds.FlushCache()
            if overviews:
                build_overviews(ds)
        targets.clear()
    for path in (job.naive, job.smooth):
        if path:
            write_qml(path, comp.labels, comp.colours)
    job.stats = dict(label_counts={k: {comp.labels[i]: int(v[i + 1]) for i in range(comp.n_labels)}
                                   for k, v in counts.items() if getattr(job, k)})
    return job.stats
