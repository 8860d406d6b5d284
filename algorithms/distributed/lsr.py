"""Self-epitomic LSR with its tiles on a Dask cluster (SCHEDULER; docs/SCALING.md, "Whole rasters on a Dask
cluster").

The client (QGIS, qgis_process, a script) opens and plans the run exactly as in-process (lsr/job.prepare_run),
then every tile is a task (lsr_tile_task): a worker re-opens the inputs by their paths (once per worker process),
computes the tile's appearance - a pure function of the inputs, the parameters and the tile, with the tile's own
seed (lsr/sources.tile_seed) - and writes it to the job folder (distributed/jobfolder.py). With reference samples
the tiles covering them run first (the map) and the client reduces the per-sample values into the calibration.
The client then blends, fuses and writes strip by strip as rows of tiles finish, through the same code as
in-process (lsr/job.main_pass), so the output is the in-process output up to float summation order.
Workers import algorithms/ only (never QGIS) and use one torch thread each.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

from ..composition.table import Composition
from ..feedback import Feedback
from ..lsr.params import LsrParams
from ..lsr.sources import TileAppearance, read_tile, tile_seed
from ..lsr.tiling import Tile
from .cluster import SchedulerSpec
from .jobfolder import load_arrays, save_arrays, unit_name
from .units import Unit, UnitRunner, cluster_session


@dataclass
class LsrTileSpec:
    """What a worker needs to compute any tile of a run: input paths and the resolved settings."""

    imagery: str
    classes: str
    composition: Composition
    bands: Tuple[int, ...]
    extent: Optional[tuple]
    nodata_codes: Tuple[int, ...]
    unknown_as_nodata: bool
    params: LsrParams  # DOWNSAMPLE resolved by the client (ground units)
    tile_size: int
    overlap: int
    device: str


_WORKER_SOURCES: Dict[str, object] = {}  # per worker process: the opened inputs of the latest runs
WORKER_GDAL_CACHE = 256 << 20  # GDAL's block cache on a worker (a tile is read once; GDAL's default is 5% of RAM)


def worker_sources(spec: LsrTileSpec, key: str):
    """The run's inputs opened on this worker (once per process and run; at most two runs kept)."""
    from ..lsr.sources import open_sources

    src = _WORKER_SOURCES.get(key)
    if src is None:
        from osgeo import gdal

        if gdal.GetCacheMax() > WORKER_GDAL_CACHE:
            gdal.SetCacheMax(WORKER_GDAL_CACHE)
        while len(_WORKER_SOURCES) >= 2:
            _WORKER_SOURCES.pop(next(iter(_WORKER_SOURCES)))
        src = open_sources(spec.imagery, spec.classes, spec.composition, Feedback(), spec.bands, spec.extent,
                           spec.nodata_codes, spec.unknown_as_nodata)
        _WORKER_SOURCES[key] = src
    return src


def one_torch_thread():
    """A worker is one core: torch uses one thread (set once per process)."""
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def lsr_tile_task(path: str, spec: LsrTileSpec, key: str, tile: Tile) -> str:
    """On a worker: one tile's appearance (probs [L, h, w], valid, reached [h, w]) written to `path` (.npz)."""
    from ..device import MemoryFallback, resolve_device
    from ..lsr.job import compute_tile

    one_torch_thread()
    src = worker_sources(spec, key)
    inp = read_tile(src, tile, tile_seed(spec.params.seed, tile), spec.params.table_mode == "prior")
    device, _ = resolve_device(spec.device)
    res = compute_tile(inp, spec.composition, spec.params, MemoryFallback(device, spec.params.block_elements))
    save_arrays(path, probs=res.probs, valid=res.valid, reached=res.reached)
    return path


def tile_spec(job, run) -> LsrTileSpec:
    return LsrTileSpec(os.path.abspath(job.imagery) if os.path.exists(job.imagery) else job.imagery,
                       os.path.abspath(job.classes) if os.path.exists(job.classes) else job.classes,
                       job.composition, tuple(run.sources.bands), tuple(job.extent) if job.extent else None,
                       tuple(job.nodata_codes), bool(job.unknown_as_nodata), run.params, run.tile_size, run.overlap,
                       job.device)


def tile_results(runner: UnitRunner, spec: LsrTileSpec, key: str):
    """results(run, tiles, fb) for lsr/job.py: (tile, TileAppearance) in order, computed on the cluster."""

    def results(run, tiles: Sequence[Tile], fb: Feedback):
        units = [Unit(unit_name(t.row, t.col), (spec, key, t)) for t in tiles]
        for (u, path), t in zip(runner.run(units), tiles):
            a = load_arrays(path)
            yield t, TileAppearance(a["probs"], a["valid"], a["reached"])
    return results


@contextmanager
def on_cluster(job, run, spec: SchedulerSpec, fb: Feedback):
    """The cluster's results(run, tiles, fb) for the run; the job folder is removed when the block succeeds."""
    tiles = tile_spec(job, run)
    with cluster_session(spec, job.outputs.labels, [tiles.imagery, tiles.classes], tiles, fb, "selfepitomiclsr",
                         run.n_tiles) as runner:
        units = runner(lsr_tile_task, lambda: run.progress.tick())
        yield tile_results(units, tiles, units.folder.key)
