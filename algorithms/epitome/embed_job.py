"""epitome:embedlabels as a job (Eq. 6): high-resolution labels of imagery put into a trained epitome.

Steps: check -> label names and colours -> per (imagery, labels) pair: align the labels onto the imagery
grid, per strip of the patch grid read the patches and their labels, per batch the posteriors over the
epitome windows and their label embedding -> normalise -> write the model with its embedding.
The accumulation (`embed_codes`) is shared with the class embedding of epitomic LSR (lsr/epitomic_job.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..composition.colours import default_colours
from ..composition.table import load_composition
from ..device import configure_precision, describe_device, resolve_device
from ..errors import EpitomeError
from ..feedback import Feedback
from ..io.align import CLASS_NODATA, align_classes, unique_codes
from ..io.outputs import check_writable
from ..io.raster import grid_of, open_raster
from .apply import (
    ApplyParams,
    Batches,
    PatchGrid,
    centre_of,
    check_imagery_bands,
    model_scaling,
    read_strip,
    sample_blocks,
    scaling_warning,
)
from .inference import (
    EpitomeTensors,
    centre_targets,
    embed_patches,
    normalise_embedding,
    window_log_likelihoods,
    window_posteriors,
)
from .model_file import EpitomeModel, LabelEmbedding, load_model
from .model_outputs import write_embedding_image

STRIP_VALUES = 1 << 24


@dataclass
class EmbedLabelsJob:
    model: str
    imagery: Sequence[str]
    labels: Sequence[str]  # one label raster per imagery raster, codes 1..L, 0 = nodata
    output_model: str
    label_names: Sequence[str] = ()  # empty: from label_table, the raster's categories, or "label 1".."label L"
    label_table: Optional[str] = None  # a CSV whose header names the labels (a composition table)
    params: ApplyParams = field(default_factory=ApplyParams)
    device: str = "auto"
    embedding_image: Optional[str] = None
    strip_values: int = STRIP_VALUES
    stats: Dict = field(default_factory=dict)


@dataclass
class Embedded:
    """What embed_codes accumulates: masses z [E, n, N, N] and pixels embedded per code [n]."""

    z: "object"
    counts: np.ndarray
    patches: int = 0


def check_pairs(imagery: Sequence[str], others: Sequence[str], what: str):
    if not imagery:
        raise EpitomeError("IMAGERY: give at least one raster.")
    if len(others) != len(imagery):
        raise EpitomeError(f"{what}: give one raster per IMAGERY raster, in the same order ({len(imagery)} imagery, "
                           f"{len(others)} {what.lower()}).")


def label_scheme(job: EmbedLabelsJob) -> Tuple[List[str], List[Tuple[int, int, int]]]:
    """Label names and colours: LABEL_NAMES, else the label table's header, else the first label raster's
    category names (and colour table), else 'label 1'..'label L' for the largest code present."""

    if job.label_names:
        names = [str(n).strip() for n in job.label_names]
        return names, default_colours(names)
    if job.label_table:
        comp = load_composition(job.label_table)
        return list(comp.labels), list(comp.colours)
    ds = open_raster(job.labels[0], "LABELS")
    band = ds.GetRasterBand(1)
    band.GetDescription()  # GDAL 3.6 reads a GeoTIFF's .aux.xml (category names) lazily: this loads it
    cats = band.GetCategoryNames() or []
    top = max(int(max(unique_codes(open_raster(p, "LABELS")), default=0)) for p in job.labels)
    if len(cats) > top >= 1 and all(cats[1:top + 1]):
        names = [str(c) for c in cats[1:top + 1]]
        ct = band.GetColorTable()
        colours = ([tuple(ct.GetColorEntry(i)[:3]) for i in range(1, top + 1)] if ct is not None
                   else default_colours(names))
        return names, colours
    if top < 1:
        raise EpitomeError(f"LABELS {job.labels[0]!r} holds no label codes 1..L (only nodata).")
    names = [f"label {i}" for i in range(1, top + 1)]
    return names, default_colours(names)


def check_label_codes(paths: Sequence[str], n_labels: int, names: List[str]):
    """Every code of the label rasters is 1..L (0 and the nodata value mean no label)."""
    for p in paths:
        codes = [int(c) for c in unique_codes(open_raster(p, "LABELS")) if int(c) != 0]
        bad = [c for c in codes if not 1 <= c <= n_labels]
        if bad:
            raise EpitomeError(f"LABELS {p!r} holds codes {bad[:20]} outside 1..{n_labels} (labels: "
                               f"{', '.join(names)}). Give names for every code (LABEL_NAMES or LABEL_TABLE) or "
                               "recode the raster (0 = no label).")


class EmbedBatch:
    """(device, patches, mask, codes) -> the batch's embedded masses [E, n, N, N] (float64, on the CPU): the
    posteriors over the epitome windows spread over the centre blocks' code one-hots (Eq. 6 / Eq. 11)."""

    def __init__(self, model: EpitomeModel, n_codes: int, params: ApplyParams):
        self.model, self.n_codes, self.params, self._on = model, n_codes, params, {}

    def __call__(self, device, patches, mask, codes):
        import torch

        if str(device) not in self._on:
            self._on = {str(device): EpitomeTensors.from_model(self.model, device)}
        ep, p = self._on[str(device)], self.params
        with torch.no_grad():
            ll = window_log_likelihoods(ep, torch.from_numpy(patches).to(device), torch.from_numpy(mask).to(device),
                                        p.backend)
            post = window_posteriors(ll, ep.log_prior, p.effective_temperature)
            y = centre_targets(torch.from_numpy(codes).to(device), self.n_codes, p.centre)
            return embed_patches(post.double(), y).cpu()


def embed_strip(embed: EmbedBatch, strip, grid: PatchGrid, acc: Embedded, runs: Batches, seed: int, progress=None):
    """Add the strip's sampled blocks (those with a code in their centre) to acc."""
    codes = np.where(strip.mask, strip.codes, -1)
    keep = (centre_of(codes, grid) >= 0).reshape(len(codes), -1).any(1)
    todo = sample_blocks(keep, strip.block, embed.params.samples, seed)

    def compute(device, sl):
        idx = todo[sl]
        acc.z += embed(device, strip.patches[idx], strip.mask[idx], codes[idx])
        acc.counts += np.bincount(centre_of(codes[idx], grid).ravel() + 1, minlength=embed.n_codes + 1)[1:]
        acc.patches += len(idx)

    runs.run(len(todo), compute, progress)


def open_pair(model: EpitomeModel, img_path: str, code_path: str, what: str, params: ApplyParams, fb: Feedback):
    """An (imagery, codes raster) pair opened for embedding: (ds, bands, patch grid, the codes' band aligned onto
    the imagery grid); the warnings go to fb."""
    ds = open_raster(img_path, "IMAGERY")
    bands = check_imagery_bands(ds, model)
    warnings: List[str] = [w for w in (scaling_warning(ds, model),) if w]
    aligned = align_classes(open_raster(code_path, what), grid_of(ds), warnings, roles=("IMAGERY", what))
    for w in warnings:
        fb.warn(w)
    grid = PatchGrid(ds.RasterYSize, ds.RasterXSize, params.patch_size, params.centre)
    return ds, bands, grid, aligned


def new_embedded(model: EpitomeModel, n_codes: int) -> Embedded:
    import torch

    return Embedded(torch.zeros(model.count, n_codes, model.size, model.size, dtype=torch.float64),
                    np.zeros(n_codes, np.int64))


def embed_pair_strip(embed: EmbedBatch, model, pair, code_map, r0: int, r1: int, acc: Embedded, runs: Batches,
                     seed: int, progress=None):
    """The blocks of rows [r0, r1) of one opened pair (open_pair) added to acc."""
    ds, bands, grid, aligned = pair
    band = aligned.GetRasterBand(1)

    def codes_of(x, y, w, h):
        return code_map(band.ReadAsArray(x, y, w, h))

    strip = read_strip(ds, bands, model_scaling(model), grid, r0, r1, codes_of)
    embed_strip(embed, strip, grid, acc, runs, seed, progress)


def embed_codes(model: EpitomeModel, pairs: Sequence[Tuple[str, str]], code_map: Callable[[np.ndarray], np.ndarray],
                n_codes: int, params: ApplyParams, device, fb: Feedback, what: str = "LABELS",
                strip_values: int = STRIP_VALUES) -> Embedded:
    """Eq. 6 (labels) or Eqs. 10-11 (classes): sum over the centre blocks of the patches of every
    (imagery, codes raster) pair of p(e, s | x) spread over the code one-hots of the centre block's pixels.
    code_map: raw raster values -> indices 0..n_codes-1, -1 = none."""
    acc = new_embedded(model, n_codes)
    embed = EmbedBatch(model, n_codes, params)
    runs = Batches(device, params.batch_size, fb.warn, fb.is_canceled)
    for i, (img_path, code_path) in enumerate(pairs):
        pair = open_pair(model, img_path, code_path, what, params, fb)
        strips = list(pair[2].strips(strip_values, len(pair[1])))
        for j, (r0, r1) in enumerate(strips):
            embed_pair_strip(embed, model, pair, code_map, r0, r1, acc, runs, pair_seed(params, i),
                             lambda fr, i=i, j=j: fb.progress(100.0 * (i + (j + fr) / len(strips)) / len(pairs)))
    return acc


def pair_seed(params: ApplyParams, i: int) -> int:
    """The sampling seed of the i-th (imagery, codes) pair."""
    return params.seed + 7919 * i


def label_code_map(nodata: Optional[float]) -> Callable[[np.ndarray], np.ndarray]:
    """Label raster values -> 0..L-1; 0, the raster's nodata value and the alignment fill -> -1."""
    def f(a):
        out = a.astype(np.int64) - 1
        bad = (a == 0) | (a == CLASS_NODATA) | ((a == nodata) if nodata is not None else False)
        out[bad] = -1
        return out

    return f


def check_embed_job(job: EmbedLabelsJob) -> EpitomeModel:
    check_pairs(job.imagery, job.labels, "LABELS")
    model = load_model(job.model)
    job.params.check_for(model.size)
    check_writable(job.output_model, "OUTPUT_MODEL")
    if job.embedding_image:
        check_writable(job.embedding_image, "EMBEDDING_IMAGE")
    return model


def run_embed_labels(job: EmbedLabelsJob, fb: Optional[Feedback] = None) -> Dict:
    """Embed the labels; writes OUTPUT_MODEL (the model with its label embedding) and EMBEDDING_IMAGE."""

    fb = fb or Feedback()
    model = check_embed_job(job)
    names, colours = label_scheme(job)
    check_label_codes(job.labels, len(names), names)
    device, warns = resolve_device(job.device)
    for w in warns:
        fb.warn(w)
    configure_precision()
    p = job.params
    fb.info(f"Device: {describe_device(device)}; {len(names)} labels ({', '.join(names)}); patches {p.patch_size} "
            f"px with {p.centre} px centres, temperature {p.effective_temperature:.3g}, share of the grid "
            f"{p.samples:g}.")
    t0 = time.time()
    first = open_raster(job.labels[0], "LABELS")  # (a band must not outlive its dataset)
    nodata = first.GetRasterBand(1).GetNoDataValue()
    acc = embed_codes(model, list(zip(job.imagery, job.labels)), label_code_map(nodata), len(names), p, device, fb,
                      strip_values=job.strip_values)
    if acc.counts.sum() == 0:
        raise EpitomeError("No labelled pixel with valid imagery was found: check that LABELS overlap IMAGERY and "
                           "hold codes 1..L.")
    model.labels = embedding_from(acc, names, colours, "labels",
                                  dict(patch_size=p.patch_size, centre=p.centre, samples=p.samples,
                                       temperature=p.effective_temperature, imagery=list(job.imagery),
                                       labels=list(job.labels)))
    model.save(job.output_model)
    if job.embedding_image:
        write_embedding_image(model, job.embedding_image)
    job.stats = dict(seconds=time.time() - t0, patches=acc.patches, device=str(device),
                     pixels_per_label={n: int(c) for n, c in zip(names, acc.counts)},
                     reached=float((model.labels.weight > 1e-6).mean()))
    fb.info(f"Embedded {acc.patches} patches ({int(acc.counts.sum())} labelled pixels) in {job.stats['seconds']:.1f} "
            f"s; "
            f"{100 * job.stats['reached']:.1f}% of the epitome pixels received labels.")
    return job.stats


def embedding_from(acc: Embedded, names, colours, method: str, info: Dict) -> LabelEmbedding:

    probs, weight = normalise_embedding(acc.z)
    return LabelEmbedding(probs=probs.float().cpu().numpy(), weight=weight.float().cpu().numpy(), names=list(names),
                          colours=[tuple(int(v) for v in c) for c in colours], method=method, info=info)
