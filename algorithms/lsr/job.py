"""Self-epitomic LSR over whole rasters: windows in, tiles through the core, blended windows out.

The plugin validates parameters and calls run_self_epitomic_lsr(); tests and benchmarks call it too.
Memory is bounded by one tile's computation plus one strip of blended tiles (see tiling.StripBlender).
"""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence

import numpy as np
from osgeo import gdal

from ..composition.table import DEFAULT_COMPOSITION_CSV, Composition
from ..device import MemoryFallback
from ..errors import Cancelled, EpitomeError
from ..feedback import Feedback
from ..params import bounded, check_bounds
from ..io.align import CLASS_NODATA, align_classes, unique_codes
from ..io.label_style import set_label_style, write_qml
from ..io.outputs import AtomicOutputs, check_writable, create_output
from ..io.raster import compute_scaling, grid_of, open_raster, read_imagery
from . import tile as tile_math
from .tiling import StripBlender, Tile, plan_tiles, tile_weights

NLCD_NODATA_CODES = (0, 255)


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
    tile_size: int = bounded(512, 32, 8192, hint="512 is the benchmarked default")
    overlap: Optional[int] = None  # None = automatic
    device: str = "auto"
    unknown_as_nodata: bool = False
    nodata_codes: Sequence[int] = ()  # extra class codes meaning "no data"
    params: object = None  # lsr.params.LsrParams
    stats: Dict = field(default_factory=dict)


def check_tile_fits(tile_size: int, params) -> None:
    """ValueError when a tile at working resolution is smaller than one patch."""
    if tile_size // params.downsample < params.patch_size:
        raise ValueError(f"TILE_SIZE / DOWNSAMPLE = {tile_size // params.downsample} working pixels is smaller than "
                         f"PATCH_SIZE {params.patch_size}: raise TILE_SIZE or lower DOWNSAMPLE/PATCH_SIZE.")


def default_overlap(tile: int, params) -> int:
    ov = max(2 * params.patch_size * params.downsample, tile // 8)
    return int(min(ov, tile // 2))



@dataclass
class JobSources:
    """The opened, checked inputs of a job: imagery, its grid and scaling, the class layer on that grid."""

    imagery: object  # gdal.Dataset
    grid: object  # io.raster.Grid
    bands: List[int]
    classes: object  # aligned class VRT (Int32) on the imagery grid
    scaling: object  # io.raster.Scaling
    nodata_codes: List[int]


@dataclass
class TileInput:
    """Everything one tile's computation depends on (a pure function of this): arrays in, probabilities out."""

    image: np.ndarray  # [C, h, w] float32, scaled to about [0, 1]
    valid: np.ndarray  # [h, w] bool: imagery has data
    class_index: np.ndarray  # [h, w] int64: row of the composition table, -1 = no class
    seed: int


def open_sources(job: LsrJob, fb: Feedback) -> JobSources:
    """Open, validate and align the inputs (the class layer is resampled lazily onto the imagery grid)."""
    img = open_raster(job.imagery, "IMAGERY")
    grid = grid_of(img)
    bands = list(job.bands) if job.bands else list(range(1, img.RasterCount + 1))
    bad = [b for b in bands if b < 1 or b > img.RasterCount]
    if bad:
        raise EpitomeError(f"BANDS {bad} do not exist: the imagery has {img.RasterCount} band(s) (1..{img.RasterCount}).")
    cls = open_raster(job.classes, "CLASSES")
    warnings: List[str] = []
    aligned = align_classes(cls, grid, warnings)
    for w in warnings:
        fb.warn(w)
    nodata = class_nodata_codes(job, cls, fb)
    return JobSources(img, grid, bands, aligned, compute_scaling(img, bands), nodata)


def class_nodata_codes(job: LsrJob, classes, fb: Feedback) -> List[int]:
    """Codes meaning "no class", after checking the class layer's codes against the composition table."""
    codes = unique_codes(classes)
    nodata = set(job.nodata_codes)
    if job.composition.source in ("", DEFAULT_COMPOSITION_CSV):  # NLCD: 0 and 255 mean no data
        nodata |= {c for c in NLCD_NODATA_CODES if c not in job.composition.class_codes}
    missing = [int(c) for c in codes if int(c) not in job.composition.class_codes and int(c) not in nodata]
    if missing and not job.unknown_as_nodata:
        raise EpitomeError(
            "Coarse class codes {} occur in the class layer but not in the composition table ({}). Add rows for "
            "them to the composition CSV, or tick 'treat unknown class codes as nodata'.".format(
                ", ".join(map(str, missing[:50])), job.composition.source or "built-in NLCD table"))
    if missing:
        fb.warn(f"Class codes {missing[:50]} are not in the composition table and are treated as nodata.")
    return sorted(nodata)


def read_tile(sources: JobSources, composition: Composition, tile: Tile, seed: int) -> TileInput:
    """The imagery window and the class rows of one tile."""
    image, valid = read_imagery(sources.imagery, sources.bands, sources.scaling, tile.x, tile.y, tile.w, tile.h)
    codes = sources.classes.GetRasterBand(1).ReadAsArray(tile.x, tile.y, tile.w, tile.h)
    cidx = composition.class_index(codes, nodata_codes=list(sources.nodata_codes) + [CLASS_NODATA],
                                   unknown_as_nodata=True)
    return TileInput(image, valid, cidx, seed)


def tile_seed(seed: int, tile: Tile) -> int:
    """Per-tile seed of the query sampling: same inputs and seed, same output."""
    return int(seed) * 1000003 + tile.row * 7919 + tile.col


def compute_tile(inp: TileInput, composition: Composition, params, memory: MemoryFallback, cancel=None):
    """Self-epitomic LSR of one tile under the out-of-memory policy: (probs [L, h, w], valid [h, w]) arrays."""
    import torch

    def attempt(device, block_elements):
        p = params if block_elements == params.block_elements else replace(params, block_elements=block_elements)
        res = tile_math.self_epitomic_lsr_tile(
            torch.from_numpy(inp.image).to(device), torch.from_numpy(inp.valid).to(device),
            torch.from_numpy(inp.class_index).to(device),
            torch.from_numpy(composition.matrix.astype(np.float32)).to(device), p, seed=inp.seed, cancel=cancel)
        return res.probs.cpu().numpy(), res.valid.cpu().numpy()

    return memory.run(attempt)


class LabelOutputs:
    """The label raster and the optional probability and confidence rasters, written by rows.

    Files are reserved in an io.outputs.AtomicOutputs: they appear only when the whole job succeeds."""

    def __init__(self, outputs: AtomicOutputs, paths: LsrOutputs, grid, composition: Composition):
        L = composition.n_labels
        self.counts = np.zeros(L + 1, dtype=np.int64)  # pixels per code 0..L
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

    def write_rows(self, y0: int, probs: np.ndarray, weight: np.ndarray):
        """probs [L, rows, width] blended label distributions, weight [rows, width] (0 = no data)."""
        if probs.shape[1] == 0:
            return
        valid = weight > 0
        lab = (probs.argmax(0) + 1).astype(np.uint8)
        lab[~valid] = 0
        self.counts += np.bincount(lab.ravel(), minlength=self.counts.size)[:self.counts.size]
        self.labels.GetRasterBand(1).WriteArray(lab, 0, y0)
        if self.probabilities is not None:
            for i in range(probs.shape[0]):
                band = np.where(valid, probs[i], -1).astype(np.float32)
                self.probabilities.GetRasterBand(i + 1).WriteArray(band, 0, y0)
        if self.confidence is not None:
            conf = np.where(valid, probs.max(0), -1).astype(np.float32)
            self.confidence.GetRasterBand(1).WriteArray(conf, 0, y0)

    def close(self):
        """Flush and close the files (they must be closed before they are moved into place)."""
        for ds in (self.labels, self.probabilities, self.confidence):
            if ds is not None:
                ds.FlushCache()
        self.labels = self.probabilities = self.confidence = None


def check_job(job: LsrJob):
    """Parameters and output paths, before anything is read."""
    from .params import LsrParams

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
    overlap = job.overlap if job.overlap is not None else default_overlap(job.tile_size, params)
    if overlap >= job.tile_size:
        raise EpitomeError("The tile overlap must be smaller than TILE_SIZE.")
    return params, overlap


def run_self_epitomic_lsr(job: LsrJob, fb: Optional[Feedback] = None) -> Dict:
    """Run the whole job; on success the outputs exist and are complete, on any failure none is left.

    Steps: check -> open and align the inputs -> plan overlapping tiles -> per tile: read, compute (a pure
    function of the tile's window), blend -> write each finished strip of rows -> move the files into place.
    """
    from ..device import configure_precision, describe_device, resolve_device

    fb = fb or Feedback()
    params, overlap = check_job(job)
    comp = job.composition
    sources = open_sources(job, fb)
    grid = sources.grid
    device, warns = resolve_device(job.device)
    for w in warns:
        fb.warn(w)
    configure_precision()
    fb.info(f"Device: {describe_device(device)}")
    fb.info(f"Imagery {grid.width} x {grid.height} px, bands {sources.bands}, scaling {sources.scaling.method}: "
            f"{sources.scaling.describe()}")
    rows = plan_tiles(grid.height, grid.width, job.tile_size, overlap)
    n_tiles = sum(len(r) for r in rows)
    fb.info(f"{n_tiles} tile(s) of {job.tile_size} px with {overlap} px overlap, "
            f"working resolution 1/{params.downsample}, {params.patch_size} x {params.patch_size} patches, "
            f"{params.samples:.3g} of working pixels as queries, {params.em_iterations} EM iterations, "
            f"fusion {params.fusion}.")
    memory = MemoryFallback(device, params.block_elements, fb.warn)
    t_start = time.time()
    tile_times: List[float] = []
    with AtomicOutputs() as outputs, closing(LabelOutputs(outputs, job.outputs, grid, comp)) as writer:
        blender = StripBlender(comp.n_labels, grid.width)
        for r, row in enumerate(rows):
            for t in row:
                if fb.is_canceled():
                    raise Cancelled()
                t0 = time.time()
                probs, valid = compute_tile(read_tile(sources, comp, t, tile_seed(params.seed, t)), comp, params,
                                            memory, fb.is_canceled)
                blender.add(t, probs, tile_weights(t, grid.height, grid.width, overlap), valid)
                tile_times.append(time.time() - t0)
                fb.progress(100.0 * len(tile_times) / n_tiles)
            next_y = rows[r + 1][0].y if r + 1 < len(rows) else grid.height
            writer.write_rows(*blender.finish_rows(next_y))
            fb.info(f"Tile row {r + 1}/{len(rows)} done ({len(tile_times)}/{n_tiles} tiles, "
                    f"{np.mean(tile_times[-len(row):]):.2f} s per tile).")
    write_qml(job.outputs.labels, comp.labels, comp.colours)
    job.stats = summarise(grid, comp, writer.counts, n_tiles, time.time() - t_start, memory.device,
                          sources.scaling)
    fb.info(f"Finished {n_tiles} tile(s) in {job.stats['seconds']:.1f} s on {memory.device}"
            + (f" ({job.stats['km2_per_minute']:.2f} km^2 per minute)." if grid.wkt else "."))
    return job.stats


def summarise(grid, comp: Composition, counts: np.ndarray, n_tiles: int, seconds: float, device, scaling) -> Dict:
    """The job's statistics: time, area, speed, pixels per label."""
    px = grid.width * grid.height
    area_km2 = px * grid.pixel_size[0] * grid.pixel_size[1] / 1e6 if grid.wkt else float("nan")
    return dict(tiles=n_tiles, seconds=seconds, pixels=px, device=str(device), area_km2=area_km2,
                km2_per_minute=(area_km2 / seconds * 60) if seconds > 0 and grid.wkt else float("nan"),
                label_counts={comp.labels[i]: int(counts[i + 1]) for i in range(comp.n_labels)},
                nodata_pixels=int(counts[0]), scaling=scaling.method)
