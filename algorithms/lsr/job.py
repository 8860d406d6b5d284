"""Self-epitomic LSR over whole rasters: windows in, tiles through the core, blended windows out.

The plugin validates parameters and calls run_self_epitomic_lsr(); tests and benchmarks call it too.
Memory is bounded by one tile's computation plus one strip of blended tiles (see tiling.StripBlender).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np
from osgeo import gdal

from ..io.align import CLASS_NODATA, align_classes, unique_codes
from ..io.label_style import set_label_style, write_qml
from ..io.outputs import check_writable, create_output, partial_path, remove_quietly
from ..io.raster import compute_scaling, grid_of, open_raster, read_imagery
from ..composition.table import DEFAULT_COMPOSITION_CSV, Composition
from ..errors import Cancelled, EpitomeError
from ..feedback import Feedback
from .tiling import StripBlender, plan_tiles, tile_weights

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
    tile_size: int = 512
    overlap: Optional[int] = None  # None = automatic
    device: str = "auto"
    unknown_as_nodata: bool = False
    nodata_codes: Sequence[int] = ()  # extra class codes meaning "no data"
    params: object = None  # lsr.params.LsrParams
    stats: Dict = field(default_factory=dict)


def default_overlap(tile: int, params) -> int:
    ov = max(2 * params.patch_size * params.downsample, tile // 8)
    return int(min(ov, tile // 2))


def _prepare(job: LsrJob, fb: Feedback):
    """Open, validate and align the inputs. Returns (imagery ds, grid, bands, aligned classes, scaling)."""
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
    # Early check of the class codes against the table (on the original, usually coarse, raster).
    codes = unique_codes(cls)
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
    scaling = compute_scaling(img, bands)
    return img, grid, bands, aligned, scaling, sorted(nodata)


def run_self_epitomic_lsr(job: LsrJob, fb: Optional[Feedback] = None) -> Dict:
    """Run the whole job; on success the outputs exist and are complete, on any failure none is left."""
    import torch

    from ..device import configure_precision, describe_device, is_out_of_memory, resolve_device
    from .params import LsrParams
    from .tile import self_epitomic_lsr_tile

    fb = fb or Feedback()
    params = job.params or LsrParams()
    params.validate()
    if job.tile_size < 16:
        raise EpitomeError("TILE_SIZE must be at least 16 pixels (512 is a good default).")
    comp = job.composition
    L = comp.n_labels
    outs = job.outputs
    for path, what in ((outs.labels, "OUTPUT"), (outs.probabilities, "PROBABILITIES"), (outs.confidence, "CONFIDENCE")):
        if path:
            check_writable(path, what)

    img, grid, bands, aligned, scaling, nodata_codes = _prepare(job, fb)
    device, warns = resolve_device(job.device)
    for w in warns:
        fb.warn(w)
    configure_precision()
    fb.info(f"Device: {describe_device(device)}")
    fb.info(f"Imagery {grid.width} x {grid.height} px, bands {bands}, scaling {scaling.method}: {scaling.describe()}")

    overlap = job.overlap if job.overlap is not None else default_overlap(job.tile_size, params)
    if overlap >= job.tile_size:
        raise EpitomeError("The tile overlap must be smaller than TILE_SIZE.")
    rows = plan_tiles(grid.height, grid.width, job.tile_size, overlap)
    n_tiles = sum(len(r) for r in rows)
    fb.info(f"{n_tiles} tile(s) of {job.tile_size} px with {overlap} px overlap, "
            f"working resolution 1/{params.downsample}, {params.patch_size} x {params.patch_size} patches, "
            f"{params.samples:.3g} of working pixels as queries, {params.em_iterations} EM iterations, "
            f"fusion {params.fusion}.")

    comp_t = torch.from_numpy(comp.matrix.astype(np.float32)).to(device)
    tmp = {k: partial_path(p) for k, p in (("labels", outs.labels), ("probabilities", outs.probabilities),
                                             ("confidence", outs.confidence)) if p}
    created = []
    t_start = time.time()
    counts = np.zeros(L + 1, dtype=np.int64)
    block_elements = params.block_elements
    try:
        ds_lab = create_output(tmp["labels"], grid, 1, gdal.GDT_Byte, nodata=0)
        created.append(ds_lab)
        set_label_style(ds_lab, comp.labels, comp.colours)
        ds_prob = ds_conf = None
        if "probabilities" in tmp:
            ds_prob = create_output(tmp["probabilities"], grid, L, gdal.GDT_Float32, nodata=-1,
                                      descriptions=[f"p({n})" for n in comp.labels])
            created.append(ds_prob)
        if "confidence" in tmp:
            ds_conf = create_output(tmp["confidence"], grid, 1, gdal.GDT_Float32, nodata=-1,
                                      descriptions=["confidence = max_l p(l)"])
            created.append(ds_conf)

        blender = StripBlender(L, grid.width)
        done = 0
        tile_times = []
        for r, row in enumerate(rows):
            for t in row:
                if fb.is_canceled():
                    raise Cancelled()
                t0 = time.time()
                image, valid = read_imagery(img, bands, scaling, t.x, t.y, t.w, t.h)
                codes = aligned.GetRasterBand(1).ReadAsArray(t.x, t.y, t.w, t.h)
                cidx = comp.class_index(codes, nodata_codes=list(nodata_codes) + [CLASS_NODATA],
                                        unknown_as_nodata=True)
                seed = int(params.seed) * 1000003 + r * 7919 + t.col
                while True:
                    try:
                        p = params if block_elements == params.block_elements else _with_block(params, block_elements)
                        res = self_epitomic_lsr_tile(
                            torch.from_numpy(image).to(device), torch.from_numpy(valid).to(device),
                            torch.from_numpy(cidx).to(device), comp_t, p, seed=seed, cancel=fb.is_canceled)
                        break
                    except Exception as e:  # CUDA out of memory: smaller blocks, then the CPU
                        if not is_out_of_memory(e):
                            raise
                        if device.type == "cuda":
                            torch.cuda.empty_cache()
                        if block_elements > (1 << 18):
                            block_elements //= 4
                            fb.warn(f"Out of memory on {device}; retrying with smaller blocks ({block_elements} logits).")
                        elif device.type != "cpu":
                            fb.warn(f"Out of memory on {device} even with small blocks; continuing on the CPU.")
                            device = torch.device("cpu")
                            comp_t = comp_t.cpu()
                        else:
                            raise EpitomeError("Out of memory on the CPU. Use a smaller TILE_SIZE.")
                probs = res.probs.cpu().numpy()
                blender.add(t, probs, tile_weights(t, grid.height, grid.width, overlap), res.valid.cpu().numpy())
                done += 1
                tile_times.append(time.time() - t0)
                fb.progress(100.0 * done / n_tiles)
            next_y = rows[r + 1][0].y if r + 1 < len(rows) else grid.height
            y0, probs, wsum = blender.finish_rows(next_y)
            _write_rows(y0, probs, wsum, ds_lab, ds_prob, ds_conf, counts)
            fb.info(f"Tile row {r + 1}/{len(rows)} done ({done}/{n_tiles} tiles, "
                    f"{np.mean(tile_times[-len(row):]):.2f} s per tile).")
        for out_ds in created:
            out_ds.FlushCache()
        out_ds = None
        created.clear()
        ds_lab = ds_prob = ds_conf = None  # closes the files before they are moved
    except BaseException:
        created.clear()
        ds_lab = ds_prob = ds_conf = None
        for p in tmp.values():
            remove_quietly(p)
        raise

    # Every output is complete: move into place.
    try:
        for key, final in (("labels", outs.labels), ("probabilities", outs.probabilities),
                           ("confidence", outs.confidence)):
            if final:
                remove_quietly(final)
                os.replace(tmp[key], final)
                if os.path.exists(tmp[key] + ".aux.xml"):
                    os.replace(tmp[key] + ".aux.xml", final + ".aux.xml")
        write_qml(outs.labels, comp.labels, comp.colours)
    except OSError as e:
        for p in tmp.values():
            remove_quietly(p)
        raise EpitomeError(f"Could not move the finished outputs into place: {e}")

    seconds = time.time() - t_start
    px = grid.width * grid.height
    area_km2 = px * grid.pixel_size[0] * grid.pixel_size[1] / 1e6 if grid.wkt else float("nan")
    stats = dict(tiles=n_tiles, seconds=seconds, pixels=px, device=str(device), area_km2=area_km2,
                 km2_per_minute=(area_km2 / seconds * 60) if seconds > 0 and grid.wkt else float("nan"),
                 label_counts={comp.labels[i]: int(counts[i + 1]) for i in range(L)},
                 nodata_pixels=int(counts[0]), scaling=scaling.method)
    fb.info(f"Finished {n_tiles} tile(s) in {seconds:.1f} s on {device}"
            + (f" ({stats['km2_per_minute']:.2f} km^2 per minute)." if grid.wkt else "."))
    job.stats = stats
    return stats


def _with_block(params, block_elements):
    from dataclasses import replace

    return replace(params, block_elements=block_elements)


def _write_rows(y0, probs, wsum, ds_lab, ds_prob, ds_conf, counts):
    if probs.shape[1] == 0:
        return
    valid = wsum > 0
    lab = (probs.argmax(0) + 1).astype(np.uint8)
    lab[~valid] = 0
    counts += np.bincount(lab.ravel(), minlength=counts.size)[:counts.size]
    ds_lab.GetRasterBand(1).WriteArray(lab, 0, y0)
    if ds_prob is not None:
        for i in range(probs.shape[0]):
            b = np.where(valid, probs[i], -1).astype(np.float32)
            ds_prob.GetRasterBand(i + 1).WriteArray(b, 0, y0)
    if ds_conf is not None:
        conf = np.where(valid, probs.max(0), -1).astype(np.float32)
        ds_conf.GetRasterBand(1).WriteArray(conf, 0, y0)
