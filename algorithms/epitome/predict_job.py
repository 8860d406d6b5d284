"""epitome:predict as a job (Eq. 2 over whole rasters): a model with a label embedding and imagery in,
a styled label raster and optional probabilities, confidence and novelty out.

Steps: check -> open the model and the imagery -> per strip of the patch grid: read the patches ->
per batch: posteriors over the epitome windows, labels of the centre blocks, novelty -> write the strip
-> move the files into place. Memory: one strip of patches and one batch of posteriors.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from ..device import configure_precision, describe_device, resolve_device
from ..distributed.cluster import parse_scheduler, require_dask
from ..errors import EpitomeError
from ..feedback import Feedback
from ..io.label_rasters import LabelPaths, LabelRasters
from ..io.label_style import write_qml
from ..io.outputs import AtomicOutputs, check_writable
from ..io.raster import area_km2, grid_of, open_raster
from .apply import (
    ApplyParams,
    Batches,
    PatchGrid,
    centre_of,
    check_imagery_bands,
    model_scaling,
    read_strip,
    scaling_warning,
)
from .inference import CentrePredictor, EpitomeTensors, novelty, window_log_likelihoods, window_logits
from .model_file import load_model

STRIP_VALUES = 1 << 24  # patch values read at once (64 MiB as float32)


@dataclass
class PredictJob:
    model: str
    imagery: str
    outputs: LabelPaths  # labels, probabilities, confidence, novelty
    params: ApplyParams = field(default_factory=ApplyParams)
    device: str = "auto"
    strip_values: int = STRIP_VALUES
    stats: Dict = field(default_factory=dict)
    scheduler: str = ""  # SCHEDULER: "" in this process, "local:N" or a Dask scheduler's address (docs/SCALING.md)


class Predictor:
    """The model ready for batches on any device: (device, patches, mask) -> (p(label) of the centre blocks,
    novelty). The tensors are made once per device (a GPU that runs out of memory hands over to the CPU)."""

    def __init__(self, model, params: ApplyParams, novelty: bool = True):
        self.model, self.params, self.with_novelty, self._on = model, params, novelty, {}

    def on(self, device):
        import torch

        key = str(device)
        if key not in self._on:
            k, q = self.params.patch_size, self.params.centre
            probs = torch.as_tensor(self.model.labels.probs, dtype=torch.float32, device=device)
            self._on = {key: (EpitomeTensors.from_model(self.model, device),
                              CentrePredictor(probs, (k - q) // 2, q, top_k=self.params.top_k))}
        return self._on[key]

    def __call__(self, device, patches: np.ndarray, mask: np.ndarray):
        """patches [b, C, K, K], mask [b, K, K] -> (probs [b, L, Q, Q], novelty [b]) as arrays."""
        import torch

        ep, centres = self.on(device)
        x = torch.from_numpy(patches).to(device)
        m = torch.from_numpy(mask).to(device)
        with torch.no_grad():
            ll = window_log_likelihoods(ep, x, m, self.params.backend)
            probs = centres(window_logits(ll, ep.log_prior, self.params.effective_temperature))
            nov = novelty(ll, ep.log_prior, m.sum((1, 2)).to(ll.dtype) * x.shape[1]) if self.with_novelty else \
                torch.zeros(x.shape[0])
        return probs.cpu().numpy(), nov.cpu().numpy()


def check_predict_job(job: PredictJob):
    """Parameters, model and output paths, before any imagery is read: the model."""
    model = load_model(job.model)
    if model.labels is None:
        raise EpitomeError(f"MODEL {job.model!r} has no label embedding: run epitome:embedlabels (high-resolution "
                           "labels) or epitome:epitomiclsr (coarse classes) on it first, and give their OUTPUT_MODEL.")
    job.params.check_for(model.size)
    for path, what in job.outputs.named():
        check_writable(path, what)
    return model


def predict_strip(predictor, strip, grid: PatchGrid, n_labels: int, batches: Batches, progress=None):
    """(probs [L, h, W], valid [h, W], novelty [h, W]) of one strip's centre blocks (cut to the raster).
    progress(fraction of the strip done) after every batch."""
    q = grid.q
    nr = strip.r1 - strip.r0
    probs = np.zeros((len(strip.block), n_labels, q, q), np.float32)
    nov = np.zeros(len(strip.block), np.float32)
    centre_valid = centre_of(strip.mask, grid)  # [n, Q, Q]
    todo = np.nonzero(centre_valid.reshape(len(strip.block), -1).any(1))[0]

    def compute(device, sl):
        idx = todo[sl]
        probs[idx], nov[idx] = predictor(device, strip.patches[idx], strip.mask[idx])

    batches.run(len(todo), compute, progress)
    h = min(grid.height - strip.r0 * q, nr * q)

    def to_rows(a):  # [n, ..., Q, Q] in block order -> [..., nr * Q, cols * Q] cut to the raster
        lead = a.shape[1:-2]
        a = a.reshape((nr, grid.cols) + lead + (q, q))
        a = np.moveaxis(a, (0, 1), (-4, -2)).reshape(lead + (nr * q, grid.cols * q))
        return a[..., :h, :grid.width]

    valid = to_rows(centre_valid)
    return to_rows(probs), valid, to_rows(np.broadcast_to(nov[:, None, None], (len(nov), q, q)))


def run_predict(job: PredictJob, fb: Optional[Feedback] = None) -> Dict:
    """Predict labels over the whole IMAGERY; on success every output exists and is complete, on any
    failure (or cancel) none is left. With job.scheduler the strips run on a Dask cluster (distributed/strips.py)."""

    fb = fb or Feedback()
    model = check_predict_job(job)
    spec = parse_scheduler(job.scheduler)
    if spec.distributed:
        require_dask()
    ds = open_raster(job.imagery, "IMAGERY")
    bands = check_imagery_bands(ds, model)
    device, warns = resolve_device(job.device)
    warns.append(scaling_warning(ds, model))
    for w in filter(None, warns):
        fb.warn(w)
    configure_precision()
    p = job.params
    grid = PatchGrid(ds.RasterYSize, ds.RasterXSize, p.patch_size, p.centre)
    lab = model.labels
    fb.info(f"Device: {describe_device(device)}; model: {model.count} epitome(s) of {model.size} px, "
            f"{lab.n_labels} labels ({', '.join(lab.names)}; embedded by {lab.method}); patches {p.patch_size} px "
            f"with {p.centre} px centres, temperature {p.effective_temperature:.3g}, "
            + (f"top {p.top_k} windows per patch." if p.top_k else "exact posterior over every window."))
    strips = list(grid.strips(job.strip_values, len(bands)))
    t0 = time.time()
    if not spec.distributed:
        runs = Batches(device, p.batch_size, fb.warn, fb.is_canceled)
        stream = strips_here(Predictor(model, p, novelty=bool(job.outputs.novelty)), ds, bands, model, grid, strips,
                             runs, fb)
        return write_predictions(job, ds, grid, lab, stream, fb, t0, lambda: runs.device)
    from ..distributed.strips import predict_strips_on_cluster

    with predict_strips_on_cluster(job, strips, spec, fb) as stream:
        return write_predictions(job, ds, grid, lab, stream, fb, t0, lambda: f"{spec.describe()} ({job.device})",
                                 overviews=True)


def strips_here(predictor, ds, bands, model, grid: PatchGrid, strips, runs: Batches, fb: Feedback):
    """(r0, probs, valid, novelty) of each strip of block rows (r0, r1), computed in this process."""
    for i, (r0, r1) in enumerate(strips):
        strip = read_strip(ds, bands, model_scaling(model), grid, r0, r1)
        probs, valid, nov = predict_strip(predictor, strip, grid, model.labels.n_labels, runs,
                                          lambda f, i=i: fb.progress(100.0 * (i + f) / len(strips)))
        yield r0, probs, valid, nov


def write_predictions(job: PredictJob, ds, grid: PatchGrid, lab, stream, fb: Feedback, t0: float, device_used,
                      overviews: bool = False) -> Dict:
    """The strips (r0, probs, valid, novelty) written into the outputs, moved into place when all are written;
    the statistics and the closing line of the log."""
    with AtomicOutputs() as outputs:
        writer = LabelRasters(outputs, job.outputs, grid_of(ds), lab.names, lab.colours, overviews)
        try:
            for r0, probs, valid, nov in stream:
                writer.write(0, r0 * grid.q, probs, valid, novelty=nov)
        finally:
            writer.close()
    write_qml(job.outputs.labels, lab.names, lab.colours)
    job.stats = predict_stats(grid_of(ds), writer.counts, lab.names, time.time() - t0, device_used())
    fb.info(f"Predicted {job.stats['pixels']} pixels in {job.stats['seconds']:.1f} s on {job.stats['device']}"
            + (f" ({job.stats['km2_per_minute']:.3f} km^2 per minute)." if np.isfinite(job.stats["km2_per_minute"])
               else "."))
    return job.stats


def predict_stats(grid, counts: np.ndarray, names: List[str], seconds: float, device) -> Dict:
    """The job's statistics: time, area (km^2 from the pixel size in metres; NaN without a CRS), speed, pixels
    per label."""
    px = grid.width * grid.height
    area = area_km2(grid)
    return dict(seconds=seconds, pixels=px, device=str(device), area_km2=area,
                km2_per_minute=area / seconds * 60 if seconds > 0 else float("nan"),
                label_counts={n: int(counts[i + 1]) for i, n in enumerate(names)}, nodata_pixels=int(counts[0]))
