"""Self-epitomic LSR over whole rasters: windows in, tiles through the core, blended and fused windows out.

The plugin validates parameters and calls run_self_epitomic_lsr(); tests and benchmarks call it too.
Steps (docs/METHOD.md, "Whole rasters"): check -> open and align the inputs (lsr/sources.py; only the class cells
under the imagery are read) -> settings in ground units -> plan overlapping tiles -> with reference samples,
compute the tiles that hold them and let the samples choose the fusion (lsr/calibration.py; those tiles' results
are kept for the main pass) -> per tile: read, compute appearance (a pure function of the tile's window), blend
-> per finished strip of rows: fuse with the coarse map's prior and write (lsr/writer.py) -> move the files
into place -> report what appearance changed (lsr/trust.LabelEvidence).
Memory is bounded by one tile's computation, one strip of blended tiles (tiling.StripBlender), the sampled tiles
kept (at most CACHE_BYTES) and a few column chunks of the prior.
"""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence

import numpy as np
from osgeo import gdal

from ..bounds import bounded, check_bounds
from ..composition.table import Composition
from ..device import MemoryFallback, configure_precision, describe_device, resolve_device
from ..distributed.cluster import parse_scheduler, require_dask
from ..errors import Cancelled, EpitomeError
from ..feedback import Feedback
from ..io.label_style import write_qml
from ..io.outputs import AtomicOutputs, check_writable
from ..io.raster import area_km2, pixel_size_metres, read_valid
from ..io.samples import read_reference_samples
from . import tile as tile_math
from .calibration import FusionCalibration, SampleValues, calibrate_fusion
from .memory import budget_bytes, check_tile_memory, describe_bytes, run_peak_bytes
from .params import LsrParams, ground_settings
from .sources import JobSources, TileAppearance, TileInput, open_sources, read_tile, tile_seed
from .tiling import StripBlender, Tile, covering_tiles, plan_tiles, tile_weights
from .trust import DEFAULT_TEMPERATURE, DEFAULT_WEIGHT
from .writer import FusionSetting, LabelOutputs, LsrOutputs, fuse_and_write

CACHE_BYTES = 256 << 20  # tiles computed for the reference samples, kept for the main pass up to this size
MAX_SAMPLE_TILES = 64  # tiles computed ahead for reference samples at most (those holding the most samples)


@dataclass
class ReferenceInput:
    """Reference samples (io/samples.py): a vector layer and its label field, or a label raster."""

    path: str
    field: str = ""
    layer: str = ""


@dataclass
class LsrJob:
    imagery: str
    classes: str
    composition: Composition
    outputs: LsrOutputs
    bands: Sequence[int] = ()  # 1-based; empty = all
    tile_size: Optional[int] = bounded(None, 32, 8192, allow_none=True,
                                       hint="empty = about 512 m of ground (512 px at 1 m)")
    overlap: Optional[int] = None  # None = automatic
    device: str = "auto"
    unknown_as_nodata: bool = False
    nodata_codes: Sequence[int] = ()  # extra class codes meaning "no data" (besides the table's nodata row)
    extent: Optional[tuple] = None  # (xmin, ymin, xmax, ymax) in the imagery's CRS; None = the whole imagery
    params: Optional[LsrParams] = None
    reference: Optional[ReferenceInput] = None
    stats: Dict = field(default_factory=dict)
    memory_budget_mb: int = 0  # working memory allowed (Settings > Options > Epitome); 0 = automatic (lsr/memory.py)
    scheduler: str = ""  # SCHEDULER: "" in this process, "local:N" or a Dask scheduler's address (docs/SCALING.md)


def check_tile_fits(tile_size: Optional[int], params) -> None:
    """ValueError when a tile at working resolution is smaller than one patch (automatic sizes always fit)."""
    if tile_size is None or params.downsample is None:
        return
    f = params.downsample
    if tile_size // f < params.patch_size:
        raise ValueError(f"TILE_SIZE / DOWNSAMPLE = {tile_size // f} working pixels is smaller than "
                         f"PATCH_SIZE {params.patch_size}: raise TILE_SIZE or lower DOWNSAMPLE/PATCH_SIZE.")


def default_overlap(tile: int, params) -> int:
    ov = max(2 * params.patch_size * params.effective_downsample, tile // 8)
    return int(min(ov, tile // 2))


def settings_in_ground_units(job: LsrJob, params: LsrParams, grid, fb: Feedback):
    """DOWNSAMPLE and TILE_SIZE left empty follow the pixel size (lsr.params.ground_settings)."""
    px = pixel_size_metres(grid)
    f, tile = ground_settings(px) if px else ground_settings(1.0)
    if px is None and (params.downsample is None or job.tile_size is None):
        fb.warn("The imagery has no CRS: its pixels are taken as 1 m for the automatic DOWNSAMPLE and TILE_SIZE.")
    params = replace(params, downsample=params.downsample or f)
    tile_size = job.tile_size or tile
    check_tile_fits(tile_size, params)
    return params, tile_size


def check_memory(job: LsrJob, params: LsrParams, tile_size: int, sources: JobSources, fb: Feedback) -> int:
    """The working memory of a tile against the budget, before any tile is read (lsr/memory.py): EpitomeError with
    the memory needed and what to lower when it does not fit."""

    budget = budget_bytes(job.memory_budget_mb)
    learn = job.reference is not None  # tiles of the samples kept for the main pass
    comp = job.composition
    try:
        need = check_tile_memory(tile_size, params, len(sources.bands), comp.n_labels, len(comp.class_codes),
                                 sources.grid.height, sources.grid.width, budget)
    except ValueError as e:
        raise EpitomeError(str(e))
    fb.info(f"Working memory: about {describe_bytes(need)} per tile (budget {describe_bytes(budget)}); the run should "
            f"peak below {describe_bytes(run_peak_bytes(need, learn, gdal.GetCacheMax()))} with the libraries, the "
            "tiles kept for the reference samples and GDAL's cache.")
    return need


def compute_tile(inp: TileInput, composition: Composition, params, memory: MemoryFallback,
                 cancel=None) -> TileAppearance:
    """Self-epitomic LSR of one tile (appearance only) under the out-of-memory policy."""
    import torch

    def attempt(device, block_elements):
        p = params if block_elements == params.block_elements else replace(params, block_elements=block_elements)
        res = tile_math.self_epitomic_lsr_tile(
            torch.from_numpy(inp.image).to(device), torch.from_numpy(inp.valid).to(device),
            torch.from_numpy(inp.class_index).to(device),
            torch.from_numpy(composition.matrix.astype(np.float32)).to(device), p, seed=inp.seed, cancel=cancel,
            prior=None if inp.prior is None else torch.from_numpy(inp.prior.astype(np.float32)).to(device))
        return TileAppearance(res.probs.cpu().numpy(), res.valid.cpu().numpy(), res.reached.cpu().numpy())

    return memory.run(attempt)


def check_job(job: LsrJob):
    """Parameters and output paths, before anything is read."""
    params = job.params or LsrParams()
    try:
        params.validate()
        check_bounds(job)
        check_tile_fits(job.tile_size, params)
    except ValueError as e:
        raise EpitomeError(str(e))
    for path, what in job.outputs.named():
        check_writable(path, what)
    return params


@dataclass
class Run:
    """A job opened and planned: its inputs, settings in ground units, the tile plan and the device policy."""

    sources: JobSources
    params: LsrParams
    tile_size: int
    overlap: int
    plan: List[List[Tile]]
    memory: MemoryFallback
    progress: Optional["Progress"] = None

    @property
    def n_tiles(self) -> int:
        return sum(len(r) for r in self.plan)

    def compute(self, tile: Tile, cancel) -> TileAppearance:
        comp = self.sources.composition
        inp = read_tile(self.sources, tile, tile_seed(self.params.seed, tile), self.params.table_mode == "prior")
        return compute_tile(inp, comp, self.params, self.memory, cancel)


class Progress:
    """Tiles computed out of the tiles to compute, as percent."""

    def __init__(self, fb: Feedback, total: int):
        self.fb, self.total, self.done = fb, max(1, total), 0

    def tick(self):
        self.done += 1
        self.fb.progress(100.0 * self.done / self.total)


def prepare_run(job: LsrJob, params: LsrParams, fb: Feedback) -> Run:
    """Open the inputs, resolve the settings in ground units, check memory, choose the device, plan the tiles."""

    sources = open_sources(job.imagery, job.classes, job.composition, fb, job.bands, job.extent, job.nodata_codes,
                           job.unknown_as_nodata)
    grid = sources.grid
    params, tile_size = settings_in_ground_units(job, params, grid, fb)
    check_memory(job, params, tile_size, sources, fb)
    overlap = job.overlap if job.overlap is not None else default_overlap(tile_size, params)
    if overlap >= tile_size:
        raise EpitomeError("The tile overlap must be smaller than TILE_SIZE.")
    device, warns = resolve_device(job.device)
    for msg in warns:
        fb.warn(msg)
    configure_precision()
    fb.info(f"Device: {describe_device(device)}")
    fb.info(f"Output {grid.width} x {grid.height} px, bands {sources.bands}, scaling {sources.scaling.method}: "
            f"{sources.scaling.describe()}")
    plan = plan_tiles(grid.height, grid.width, tile_size, overlap)
    run = Run(sources, params, tile_size, overlap, plan, MemoryFallback(device, params.block_elements, fb.warn))
    fb.info(f"{run.n_tiles} tile(s) of {tile_size} px with {overlap} px overlap, working resolution "
            f"1/{params.downsample}, {params.patch_size} x {params.patch_size} patches, {params.samples:.3g} of "
            f"working "
            f"pixels as queries, the table as a {params.table_mode}, {params.appearance_iterations} appearance "
            f"iteration(s), fusion {params.fusion}.")
    return run


def default_setting(params: LsrParams) -> FusionSetting:
    """The fusion without reference samples: FUSION's prior, APPEARANCE_WEIGHT or DEFAULT_WEIGHT (appearance alone
    for FUSION none), FUSION_WEIGHT, the default temperature of the confidence."""
    if params.fusion == "none":
        return FusionSetting("naive", float("inf"), params.fusion_weight, DEFAULT_TEMPERATURE)
    w = DEFAULT_WEIGHT if params.appearance_weight is None else float(params.appearance_weight)
    return FusionSetting(params.fusion, w, params.fusion_weight, DEFAULT_TEMPERATURE)


def sample_tiles(run: Run, samples, fb: Feedback, seed: int = 0) -> List[Tile]:
    """The tiles covering the reference samples (every tile that covers a sample, so its value is blended as in the
    map written), at most MAX_SAMPLE_TILES: samples are taken in a random order (seeded) while their tiles fit."""
    covering = covering_tiles(run.plan, samples.rows, samples.cols)
    chosen: Dict[Tile, None] = {}
    left = 0
    for i in np.random.default_rng(seed).permutation(len(samples)):
        new = [t for t in covering[i] if t not in chosen]
        if len(chosen) + len(new) > MAX_SAMPLE_TILES:
            left += 1
            continue
        chosen.update(dict.fromkeys(new))
    if left:
        fb.warn(f"The reference samples lie in more than {MAX_SAMPLE_TILES} tiles: {left} samples in other tiles are "
                "left out of the calibration.")
    return sorted(chosen, key=lambda t: (t.row, t.col))


def computed_here(run: Run, tiles: Sequence[Tile], fb: Feedback, cache: Optional[dict] = None):
    """(tile, TileAppearance) of `tiles` in order, computed in this process (or taken from `cache`)."""
    for t in tiles:
        if fb.is_canceled():
            raise Cancelled()
        res = cache.pop((t.row, t.col), None) if cache is not None else None
        if res is None:
            res = run.compute(t, fb.is_canceled)
            run.progress.tick()
        yield t, res


def calibrate_on_samples(job: LsrJob, run: Run, fb: Feedback, results=computed_here, cache_bytes: int = CACHE_BYTES):
    """lsr/calibration.py: the tiles covering reference samples are computed, the samples choose the fusion and
    estimate the accuracy. Returns (FusionCalibration, results of those tiles kept for the main pass).
    results(run, tiles, fb) yields (tile, TileAppearance) in order: computed here, or on a cluster (the map; the
    per-sample values are reduced here)."""
    src, params, grid = run.sources, run.params, run.sources.grid
    samples = read_reference_samples(job.reference.path, grid, job.composition.labels, job.reference.field,
                                     job.reference.layer, seed=params.seed)
    for note in samples.notes:
        fb.info("Reference: " + note)
    values = SampleValues(samples, job.composition.n_labels)
    tiles = sample_tiles(run, samples, fb, params.seed)
    done = set()
    cache, kept = {}, 0
    for t, res in results(run, tiles, fb):
        idx = samples.inside(t.x, t.y, t.w, t.h)
        cidx = src.class_rows(t.x, t.y, t.w, t.h)
        priors = {k: src.label_prior(k, t.x, t.y, t.w, t.h, cidx) for k in ("smooth", "naive", "bayes")}
        values.add(idx, samples.rows[idx] - t.y, samples.cols[idx] - t.x, res.probs, res.reached, res.valid,
                   tile_weights(t, grid.height, grid.width, run.overlap), priors)
        done.add(t)
        if kept + res.nbytes <= cache_bytes:
            cache[(t.row, t.col)] = res
            kept += res.nbytes
    covering = covering_tiles(run.plan, samples.rows, samples.cols)
    values.complete = np.array([all(t in done for t in c) for c in covering], bool)
    if not values.seen.any():
        raise EpitomeError("No reference sample lies on a pixel with imagery and a coarse class: give samples inside "
                           "the area both layers cover.")
    choose = params.appearance_weight is None and params.fusion != "none"
    cal = calibrate_fusion(values, default_setting(params), choose)
    for line in cal.report():
        fb.info(line)
    return cal, cache


def main_pass(job: LsrJob, run: Run, setting: FusionSetting, cache: dict, fb: Feedback, results=None,
              overviews: bool = False) -> LabelOutputs:
    """Every tile computed (or taken from the cache), blended, fused and written strip by strip. results(run,
    tiles, fb) yields (tile, TileAppearance) in row-major order (default: computed here); overviews: build the
    outputs' overviews before they are moved into place."""
    grid, comp = run.sources.grid, job.composition
    tiles = [t for row in run.plan for t in row]
    stream = results(run, tiles, fb) if results is not None else computed_here(run, tiles, fb, cache)
    with AtomicOutputs() as outputs, closing(LabelOutputs(outputs, job.outputs, grid, comp, overviews)) as writer, \
            closing(stream):
        blender = StripBlender(comp.n_labels, grid.width)
        for r, row in enumerate(run.plan):
            for _ in row:
                t, res = next(stream)
                blender.add(t, res.probs, tile_weights(t, grid.height, grid.width, run.overlap), res.valid,
                            res.reached)
            next_y = run.plan[r + 1][0].y if r + 1 < len(run.plan) else grid.height
            y0, probs, evidence, weight = blender.finish_rows(next_y)
            if probs.shape[1]:
                fuse_and_write(run.sources, setting, y0, probs, evidence, weight, writer)
            fb.info(f"Tile row {r + 1}/{len(run.plan)} done.")
    write_qml(job.outputs.labels, comp.labels, comp.colours)
    return writer


def run_self_epitomic_lsr(job: LsrJob, fb: Optional[Feedback] = None) -> Dict:
    """Run the whole job; on success the outputs exist and are complete, on any failure none is left
    (steps: the module docstring). With job.scheduler set, the tiles run on a Dask cluster
    (distributed/lsr.py): the same result, a job folder to resume from."""
    fb = fb or Feedback()
    params = check_job(job)
    spec = parse_scheduler(job.scheduler)
    if spec.distributed:
        require_dask()
    for note in job.composition.notes:
        fb.warn(note)
    run = prepare_run(job, params, fb)
    if not spec.distributed:
        return finish_run(job, run, fb)
    from ..distributed.lsr import on_cluster

    with on_cluster(job, run, spec, fb) as results:
        return finish_run(job, run, fb, results)


def finish_run(job: LsrJob, run: Run, fb: Feedback, results=None) -> Dict:
    """A prepared run to its outputs: the fusion (from reference samples, or the default), the main pass, the
    statistics and the log's closing lines. results: the cluster's tile results (None: computed here)."""
    t_start = time.time()
    run.progress = Progress(fb, run.n_tiles + (MAX_SAMPLE_TILES if job.reference else 0))
    calibration, cache = None, {}
    setting = default_setting(run.params)
    if job.reference is not None:
        calibration, cache = (calibrate_on_samples(job, run, fb) if results is None else
                              calibrate_on_samples(job, run, fb, results, cache_bytes=0))
        setting = calibration.setting
        run.progress.total = run.progress.done + run.n_tiles - len(cache)
    else:
        how = "given" if run.params.appearance_weight is not None else "the default"
        fb.info(f"Fusion: {setting.describe()} ({how}; give reference samples (REFERENCE) to choose it from your data "
                "and estimate the accuracy).")
    writer = main_pass(job, run, setting, cache, fb, results, overviews=results is not None)
    job.stats = summarise(run, writer, time.time() - t_start, setting, calibration)
    report(job, run, writer, fb)
    return job.stats


def report(job: LsrJob, run: Run, writer: LabelOutputs, fb: Feedback):
    """The log's closing lines: nothing labelled (and why), what appearance changed, time and speed."""
    comp, stats = job.composition, job.stats
    if int(writer.counts[1:].sum()) == 0:
        fb.warn(why_nothing_labelled(run.sources))
    for line in writer.evidence.report(comp.class_codes, comp.labels, comp.matrix,
                                       with_samples=job.reference is not None):
        fb.info(line)
    speed = f" ({stats['km2_per_minute']:.2f} km^2 per minute)." if np.isfinite(stats["km2_per_minute"]) else "."
    fb.info(f"Finished {run.n_tiles} tile(s) in {stats['seconds']:.1f} s on {run.memory.device}" + speed)


def why_nothing_labelled(sources: JobSources) -> str:
    """The warning for a finished run whose label map is all nodata: what had no data (one read of the imagery's
    validity by strips, only in this case)."""
    grid = sources.grid
    head = f"Nothing was labelled: all {grid.width * grid.height} pixels of the output are nodata (0), because "
    if not sources.area_prior.any():
        return head + ("the class layer has no class under the imagery (only nodata codes {}, or no cell there). "
                       "Check CLASSES, its nodata value and NODATA_CODES.").format(sources.nodata_codes or "-")
    for y in range(0, grid.height, 512):
        h = min(512, grid.height - y)
        if read_valid(sources.imagery, sources.bands, sources.x0, sources.y0 + y, grid.width, h).any():
            return head + ("the imagery has data only where the class layer has none. Check that both layers cover "
                           "the same area.")
    nd = sorted({str(sources.imagery.GetRasterBand(b).GetNoDataValue()) for b in sources.bands})
    return head + ("the imagery has no data in the processed area: every pixel is nodata (nodata value {} of bands "
                   "{}, or its mask / alpha band). Check the imagery's nodata value (Layer Properties > Transparency) "
                   "and EXTENT.").format(", ".join(nd), sources.bands)


def summarise(run: Run, writer: LabelOutputs, seconds: float, setting: FusionSetting,
              calibration: Optional[FusionCalibration]) -> Dict:
    """The job's statistics: time, area (km^2 from the pixel size in metres), speed, pixels per label, what
    appearance changed, the fusion used and, with reference samples, the estimated accuracies."""
    grid, comp = run.sources.grid, run.sources.composition
    counts = writer.counts
    px = grid.width * grid.height
    area = area_km2(grid)
    stats = dict(tiles=run.n_tiles, seconds=seconds, pixels=px, device=str(run.memory.device), area_km2=area,
                 km2_per_minute=area / seconds * 60 if seconds > 0 else float("nan"),
                 label_counts={comp.labels[i]: int(counts[i + 1]) for i in range(comp.n_labels)},
                 nodata_pixels=int(counts[0]), changed_from_smooth=writer.changed,
                 changed_share=writer.evidence.changed_share, scaling=run.sources.scaling.method,
                 appearance_weight=setting.weight, fusion_prior=setting.prior, temperature=setting.temperature,
                 evidence=writer.evidence.as_dict(comp.class_codes, comp.labels, comp.matrix),
                 downsample=run.params.downsample, tile_size=run.tile_size)
    if calibration is not None:
        est = calibration.estimate
        stats.update(estimated_accuracy=est.value, estimated_accuracy_low=est.low, estimated_accuracy_high=est.high,
                     naive_estimate=calibration.naive.value, smooth_estimate=calibration.smooth.value,
                     samples_used=calibration.samples_used)
    return stats
