"""Self-epitomic LSR over whole rasters: windows in, tiles through the core, blended and fused windows out.

The plugin validates parameters and calls run_self_epitomic_lsr(); tests and benchmarks call it too.
Steps (method.md sections 5 and 9): check -> open and align the inputs (only the class cells under the
imagery are read) -> settings in ground units -> plan overlapping tiles -> learn how much to trust
appearance on a sample of tiles (lsr/trust.py; their results are kept for the main pass) -> per tile:
read, compute appearance (a pure function of the tile's window), blend -> per finished strip of rows:
fuse with the coarse map's prior, write -> move the files into place.
Memory is bounded by one tile's computation, one strip of blended tiles (tiling.StripBlender), the
sampled tiles kept (at most CACHE_BYTES) and a few column chunks of the prior.
"""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence

import numpy as np
from osgeo import gdal

from ..composition.table import Composition
from ..device import MemoryFallback
from ..errors import Cancelled, EpitomeError
from ..feedback import Feedback
from ..params import bounded, check_bounds
from ..io.align import CLASS_NODATA, align_classes, class_window, unique_codes
from ..io.label_style import set_label_style, write_qml
from ..io.outputs import AtomicOutputs, check_writable, create_output
from ..io.raster import (compute_scaling, extent_window, grid_of, open_raster, pixel_size_metres, read_imagery,
                         read_valid, subgrid)
from . import tile as tile_math
from .params import LsrParams, ground_settings
from .priors import CoarsePrior
from .tiling import StripBlender, Tile, plan_tiles, tile_weights
from .trust import CANDIDATE_WEIGHTS, LabelShares, bayes_prior, fuse

SAMPLE_TILES = 16  # tiles the appearance weight is learnt from (evenly spread; all of them when fewer)
CACHE_BYTES = 256 << 20  # sampled tiles' results kept for the main pass up to this size
PRIOR_CHUNK = 2048  # columns of a strip whose prior is computed at once

@dataclass
class LsrOutputs:
    labels: str
    probabilities: Optional[str] = None
    confidence: Optional[str] = None


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
    params: object = None  # lsr.params.LsrParams
    stats: Dict = field(default_factory=dict)
    memory_budget_mb: int = 0  # working memory allowed (Settings > Options > Epitome); 0 = automatic (lsr/memory.py)


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


@dataclass
class JobSources:
    """The opened, checked inputs of a job: imagery, the output grid (the imagery or its EXTENT window) and
    scaling, the class layer on the imagery grid, the coarse prior on the output grid."""

    imagery: object  # gdal.Dataset
    grid: object  # io.raster.Grid of the output (the window (x0, y0) of the imagery)
    x0: int
    y0: int
    bands: List[int]
    classes: object  # aligned class VRT (Int32) on the imagery grid
    scaling: object  # io.raster.Scaling
    nodata_codes: List[int]
    prior: CoarsePrior
    area_prior: np.ndarray  # [L] p(l) = sum_c p(c) p(l | c) over the class cells under the output


@dataclass
class TileInput:
    """Everything one tile's computation depends on (a pure function of this): arrays in, probabilities out."""

    image: np.ndarray  # [C, h, w] float32, scaled to about [0, 1]
    valid: np.ndarray  # [h, w] bool: imagery has data
    class_index: np.ndarray  # [h, w] int64: row of the composition table, -1 = no class
    seed: int


@dataclass
class TileAppearance:
    """A tile's appearance result (lsr/tile.py) as arrays."""

    probs: np.ndarray  # [L, h, w]
    valid: np.ndarray  # [h, w] bool
    reached: np.ndarray  # [h, w] bool

    @property
    def nbytes(self) -> int:
        return self.probs.nbytes + self.valid.nbytes + self.reached.nbytes


def open_sources(job: LsrJob, fb: Feedback) -> JobSources:
    """Open, validate and align the inputs (the class layer is resampled lazily onto the imagery grid)."""
    img = open_raster(job.imagery, "IMAGERY")
    full = grid_of(img)
    bands = list(job.bands) if job.bands else list(range(1, img.RasterCount + 1))
    bad = [b for b in bands if b < 1 or b > img.RasterCount]
    if bad:
        raise EpitomeError(f"BANDS {bad} do not exist: the imagery has {img.RasterCount} band(s) (1..{img.RasterCount}).")
    x0, y0, w, h = 0, 0, full.width, full.height
    if job.extent is not None:
        win = extent_window(full, job.extent)
        if win is None:
            raise EpitomeError("EXTENT [{:.2f}, {:.2f} : {:.2f}, {:.2f}] does not overlap the imagery {}. Choose an "
                               "extent inside the imagery.".format(*job.extent, full.describe()))
        x0, y0, w, h = win
    grid = subgrid(full, x0, y0, w, h)
    cls = open_raster(job.classes, "CLASSES")
    warnings: List[str] = []
    aligned = align_classes(cls, full, warnings)
    for msg in warnings:
        fb.warn(msg)
    nodata, p_class = class_footprint(job, cls, grid, fb)
    prior = CoarsePrior(cls, grid, job.composition, nodata)
    return JobSources(img, grid, x0, y0, bands, aligned, compute_scaling(img, bands), nodata, prior,
                      p_class @ job.composition.matrix)


def class_footprint(job: LsrJob, classes, grid, fb: Feedback):
    """Codes meaning "no class" (the table's nodata row and NODATA_CODES) and the observed p(c) [Cc], from the
    class cells under the output's footprint only (a national class layer is not read), after checking their
    codes against the composition table."""
    comp = job.composition
    window = class_window(classes, grid, margin=0)
    nodata = set(job.nodata_codes) | set(comp.nodata_codes)
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
    if missing and not job.unknown_as_nodata:
        raise EpitomeError(
            "Coarse class codes {} occur in the class layer under the imagery but not in the composition table ({}). "
            "Add rows for them to the composition CSV, list them as no-data codes (a 'nodata' row in the CSV, or "
            "NODATA_CODES), or tick 'treat unknown class codes as nodata'.".format(
                ", ".join(map(str, missing[:50])), comp.source or "built-in NLCD table"))
    if missing:
        fb.warn(f"Class codes {missing[:50]} are not in the composition table and are treated as nodata.")
    return sorted(nodata), counts / max(counts.sum(), 1.0)


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
    from .memory import budget_bytes, check_tile_memory, describe_bytes, run_peak_bytes

    budget = budget_bytes(job.memory_budget_mb)
    learn = params.fusion != "none" and params.appearance_weight is None
    comp = job.composition
    try:
        need = check_tile_memory(tile_size, params, len(sources.bands), comp.n_labels, len(comp.class_codes),
                                 sources.grid.height, sources.grid.width, budget)
    except ValueError as e:
        raise EpitomeError(str(e))
    fb.info(f"Working memory: about {describe_bytes(need)} per tile (budget {describe_bytes(budget)}); the run should "
            f"peak below {describe_bytes(run_peak_bytes(need, learn, gdal.GetCacheMax()))} with the libraries, the "
            "sampled tiles kept and GDAL's cache.")
    return need


def read_tile(sources: JobSources, composition: Composition, tile: Tile, seed: int) -> TileInput:
    """The imagery window and the class rows of one tile (tile offsets are on the output grid)."""
    x, y = sources.x0 + tile.x, sources.y0 + tile.y
    image, valid = read_imagery(sources.imagery, sources.bands, sources.scaling, x, y, tile.w, tile.h)
    codes = sources.classes.GetRasterBand(1).ReadAsArray(x, y, tile.w, tile.h)
    cidx = composition.class_index(codes, nodata_codes=list(sources.nodata_codes) + [CLASS_NODATA],
                                   unknown_as_nodata=True)
    return TileInput(image, valid, cidx, seed)


def tile_seed(seed: int, tile: Tile) -> int:
    """Per-tile seed of the query sampling: same inputs and seed, same output."""
    return int(seed) * 1000003 + tile.row * 7919 + tile.col


def compute_tile(inp: TileInput, composition: Composition, params, memory: MemoryFallback,
                 cancel=None) -> TileAppearance:
    """Self-epitomic LSR of one tile (appearance only) under the out-of-memory policy."""
    import torch

    def attempt(device, block_elements):
        p = params if block_elements == params.block_elements else replace(params, block_elements=block_elements)
        res = tile_math.self_epitomic_lsr_tile(
            torch.from_numpy(inp.image).to(device), torch.from_numpy(inp.valid).to(device),
            torch.from_numpy(inp.class_index).to(device),
            torch.from_numpy(composition.matrix.astype(np.float32)).to(device), p, seed=inp.seed, cancel=cancel)
        return TileAppearance(res.probs.cpu().numpy(), res.valid.cpu().numpy(), res.reached.cpu().numpy())

    return memory.run(attempt)


def label_prior_of(sources: JobSources, params: LsrParams, x: int, y: int, w: int, h: int,
                   class_index: np.ndarray) -> np.ndarray:
    """The prior appearance is fused with on an output window [L, h, w]: smooth, or the naive composition
    (product), or the naive composition over the area's label prior (bayes); `none` fuses with nothing
    but falls back to the naive composition where appearance has no evidence."""
    if params.fusion == "smooth":
        p, ok = sources.prior.smooth(x, y, w, h)
        naive = sources.prior.naive(class_index)
        return np.where(ok[None], p, naive)  # no coarse cell near (outside the class layer): the pixel's own
    naive = sources.prior.naive(class_index)
    if params.fusion == "bayes":
        return bayes_prior(naive, sources.area_prior)
    return naive


def sample_tiles(rows: List[List[Tile]], n: int = SAMPLE_TILES) -> List[Tile]:
    """Up to n tiles spread evenly over the plan (all of them when there are no more)."""
    tiles = [t for row in rows for t in row]
    if len(tiles) <= n:
        return tiles
    pick = np.unique(np.round(np.linspace(0, len(tiles) - 1, n)).astype(int))
    return [tiles[i] for i in pick]


def learn_appearance_weight(job: LsrJob, sources: JobSources, params: LsrParams, rows, memory: MemoryFallback,
                            fb: Feedback, tick):
    """lsr/trust.py: w chosen on sampled tiles from the per-class label shares of the fused map. Returns
    (w, mismatch per candidate, results of the sampled tiles kept for the main pass {(row, col): TileAppearance})."""
    comp = job.composition
    shares = LabelShares(len(comp.class_codes), comp.n_labels)
    cache, kept = {}, 0
    tiles = sample_tiles(rows)
    for i, t in enumerate(tiles):
        if fb.is_canceled():
            raise Cancelled()
        inp = read_tile(sources, comp, t, tile_seed(params.seed, t))
        res = compute_tile(inp, comp, params, memory, fb.is_canceled)
        prior = label_prior_of(sources, params, t.x, t.y, t.w, t.h, inp.class_index)
        shares.add(res.probs, res.reached, prior, inp.class_index, res.valid, params.fusion_weight)
        if kept + res.nbytes <= CACHE_BYTES:
            cache[(t.row, t.col)] = res
            kept += res.nbytes
        tick()
    tv = shares.mismatch(comp.matrix)
    w = shares.choose(comp.matrix)
    fb.info("Appearance weight chosen from the data: w = {:g} (label-share mismatch with the table per candidate w: "
            "{}).".format(w, ", ".join(f"{c:g}: {v:.3f}" for c, v in zip(CANDIDATE_WEIGHTS, tv))))
    return w, tv, cache


class LabelOutputs:
    """The label raster and the optional probability and confidence rasters, written by rows.

    Files are reserved in an io.outputs.AtomicOutputs: they appear only when the whole job succeeds."""

    def __init__(self, outputs: AtomicOutputs, paths: LsrOutputs, grid, composition: Composition):
        L = composition.n_labels
        self.counts = np.zeros(L + 1, dtype=np.int64)  # pixels per code 0..L
        self.changed = 0  # valid pixels whose label differs from the smooth baseline
        self.labels = create_output(outputs.reserve(paths.labels, "OUTPUT"), grid, 1, gdal.GDT_Byte, nodata=0)
        set_label_style(self.labels, composition.labels, composition.colours)
        self.probabilities = self.confidence = None
        if paths.probabilities:
            self.probabilities = create_output(outputs.reserve(paths.probabilities, "PROBABILITIES"), grid, L,
                                               gdal.GDT_Float32, nodata=-1,
                                               descriptions=[f"p({n})" for n in composition.labels])
        if paths.confidence:
            self.confidence = create_output(outputs.reserve(paths.confidence, "CONFIDENCE"), grid, 1,
                                            gdal.GDT_Float32, nodata=-1, descriptions=["confidence = max_l p(l)"])

    def write(self, x0: int, y0: int, probs: np.ndarray, valid: np.ndarray):
        """probs [L, rows, cols] fused label distributions at output offset (x0, y0), valid [rows, cols]."""
        lab = (probs.argmax(0) + 1).astype(np.uint8)
        lab[~valid] = 0
        self.counts += np.bincount(lab.ravel(), minlength=self.counts.size)[:self.counts.size]
        self.labels.GetRasterBand(1).WriteArray(lab, x0, y0)
        if self.probabilities is not None:
            for i in range(probs.shape[0]):
                band = np.where(valid, probs[i], -1).astype(np.float32)
                self.probabilities.GetRasterBand(i + 1).WriteArray(band, x0, y0)
        if self.confidence is not None:
            conf = np.where(valid, probs.max(0), -1).astype(np.float32)
            self.confidence.GetRasterBand(1).WriteArray(conf, x0, y0)

    def close(self):
        """Flush and close the files (they must be closed before they are moved into place)."""
        for ds in (self.labels, self.probabilities, self.confidence):
            if ds is not None:
                ds.FlushCache()
        self.labels = self.probabilities = self.confidence = None


def fuse_and_write(sources: JobSources, comp: Composition, params: LsrParams, w: Optional[float], y0: int,
                   probs: np.ndarray, evidence: np.ndarray, valid_weight: np.ndarray, writer: LabelOutputs):
    """A finished strip of blended appearance [L, rows, width]: fused with the coarse prior (lsr/trust.fuse) by
    column chunks, written; counts the pixels whose label differs from the smooth baseline."""
    rows, width = probs.shape[1:]
    if rows == 0:
        return
    for x0 in range(0, width, PRIOR_CHUNK):
        x1 = min(width, x0 + PRIOR_CHUNK)
        codes = sources.classes.GetRasterBand(1).ReadAsArray(sources.x0 + x0, sources.y0 + y0, x1 - x0, rows)
        cidx = comp.class_index(codes, nodata_codes=list(sources.nodata_codes) + [CLASS_NODATA],
                                unknown_as_nodata=True)
        valid = (valid_weight[:, x0:x1] > 0) & (cidx >= 0)
        reached = (evidence[:, x0:x1] > 0) & valid
        smooth, ok = sources.prior.smooth(x0, y0, x1 - x0, rows)
        prior = label_prior_of(sources, params, x0, y0, x1 - x0, rows, cidx) if params.fusion != "smooth" else \
            np.where(ok[None], smooth, sources.prior.naive(cidx))
        weight = float("inf") if params.fusion == "none" else w
        fused = fuse(probs[:, :, x0:x1], reached, prior, weight, params.fusion_weight)
        baseline = np.where(ok[None], smooth, sources.prior.naive(cidx)).argmax(0)
        writer.changed += int((valid & (fused.argmax(0) != baseline)).sum())
        writer.write(x0, y0, fused, valid)


def check_job(job: LsrJob):
    """Parameters and output paths, before anything is read."""
    params = job.params or LsrParams()
    try:
        params.validate()
        check_bounds(job)
        check_tile_fits(job.tile_size, params)
    except ValueError as e:
        raise EpitomeError(str(e))
    outs = job.outputs
    for path, what in ((outs.labels, "OUTPUT"), (outs.probabilities, "PROBABILITIES"), (outs.confidence, "CONFIDENCE")):
        if path:
            check_writable(path, what)
    return params


def run_self_epitomic_lsr(job: LsrJob, fb: Optional[Feedback] = None) -> Dict:
    """Run the whole job; on success the outputs exist and are complete, on any failure none is left
    (steps: the module docstring)."""
    from ..device import configure_precision, describe_device, resolve_device

    fb = fb or Feedback()
    params = check_job(job)
    comp = job.composition
    for note in comp.notes:
        fb.warn(note)
    sources = open_sources(job, fb)
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
    rows = plan_tiles(grid.height, grid.width, tile_size, overlap)
    n_tiles = sum(len(r) for r in rows)
    fb.info(f"{n_tiles} tile(s) of {tile_size} px with {overlap} px overlap, "
            f"working resolution 1/{params.downsample}, {params.patch_size} x {params.patch_size} patches, "
            f"{params.samples:.3g} of working pixels as queries, {params.em_iterations} EM iterations, "
            f"fusion {params.fusion}.")
    memory = MemoryFallback(device, params.block_elements, fb.warn)
    t_start = time.time()
    learn = params.fusion != "none" and params.appearance_weight is None
    # tiles computed: every tile once, plus the sampled tiles that did not fit in the cache (at most)
    total = n_tiles + (len(sample_tiles(rows)) if learn else 0)
    done = [0]

    def tick():
        done[0] += 1
        fb.progress(100.0 * done[0] / total)

    w, tv, cache = params.appearance_weight, None, {}
    if learn:
        w, tv, cache = learn_appearance_weight(job, sources, params, rows, memory, fb, tick)
        total -= len(cache)  # kept results are not computed again
        fb.progress(100.0 * done[0] / total)
    elif params.fusion != "none":
        fb.info(f"Appearance weight w = {w:g} (given).")
    tile_times: List[float] = []
    with AtomicOutputs() as outputs, closing(LabelOutputs(outputs, job.outputs, grid, comp)) as writer:
        blender = StripBlender(comp.n_labels, grid.width)
        for r, row in enumerate(rows):
            for t in row:
                if fb.is_canceled():
                    raise Cancelled()
                t0 = time.time()
                res = cache.pop((t.row, t.col), None)
                if res is None:
                    res = compute_tile(read_tile(sources, comp, t, tile_seed(params.seed, t)), comp, params,
                                       memory, fb.is_canceled)
                    tick()
                blender.add(t, res.probs, tile_weights(t, grid.height, grid.width, overlap), res.valid, res.reached)
                tile_times.append(time.time() - t0)
            next_y = rows[r + 1][0].y if r + 1 < len(rows) else grid.height
            fuse_and_write(sources, comp, params, w, *blender.finish_rows(next_y), writer)
            fb.info(f"Tile row {r + 1}/{len(rows)} done ({len(tile_times)}/{n_tiles} tiles).")
    write_qml(job.outputs.labels, comp.labels, comp.colours)
    job.stats = summarise(grid, comp, writer, n_tiles, time.time() - t_start, memory.device, sources.scaling)
    job.stats.update(appearance_weight=w, label_share_mismatch=None if tv is None else [float(v) for v in tv],
                     downsample=params.downsample, tile_size=tile_size)
    valid_px = int(writer.counts[1:].sum())
    if valid_px == 0:
        fb.warn(why_nothing_labelled(sources))
    fb.info(f"{writer.changed} of {valid_px} labelled pixels ({100.0 * writer.changed / max(1, valid_px):.1f}%) differ "
            "from the smooth label-only baseline (the coarse map's compositions interpolated between blocks): that is "
            "what appearance changed.")
    fb.info(f"Finished {n_tiles} tile(s) in {job.stats['seconds']:.1f} s on {memory.device}"
            + (f" ({job.stats['km2_per_minute']:.2f} km^2 per minute)." if grid.wkt else "."))
    return job.stats


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


def summarise(grid, comp: Composition, writer: LabelOutputs, n_tiles: int, seconds: float, device, scaling) -> Dict:
    """The job's statistics: time, area, speed, pixels per label, pixels changed against the smooth baseline."""
    counts = writer.counts
    px = grid.width * grid.height
    area_km2 = px * grid.pixel_size[0] * grid.pixel_size[1] / 1e6 if grid.wkt else float("nan")
    return dict(tiles=n_tiles, seconds=seconds, pixels=px, device=str(device), area_km2=area_km2,
                km2_per_minute=(area_km2 / seconds * 60) if seconds > 0 and grid.wkt else float("nan"),
                label_counts={comp.labels[i]: int(counts[i + 1]) for i in range(comp.n_labels)},
                nodata_pixels=int(counts[0]), changed_from_smooth=writer.changed, scaling=scaling.method)
