"""epitome:epitomiclsr as a job - all-tile epitomic label super-resolution with a trained epitome (docs/METHOD.md,
"Putting labels into the epitome" and "Label super-resolution by EM"):
coarse classes embedded into a trained epitome (Eqs. 10-11), then the EM (Eqs. 7-9) weighted by the
observed class proportions p(c) gives p(label | epitome pixel); optionally the label map of the imagery.

Steps: check -> class codes against the composition table -> class embedding over every (imagery,
classes) pair (embed_job.embed_codes) -> p(m, n | c) and p(c) -> EM -> the model with its embedding ->
optionally epitome:predict on the first imagery raster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..composition.table import Composition
from ..device import configure_precision, describe_device, resolve_device
from ..distributed.cluster import parse_scheduler, require_dask
from ..epitome.apply import ApplyParams
from ..epitome.embed_job import STRIP_VALUES, Embedded, check_pairs, embed_codes
from ..epitome.model_file import EpitomeModel, LabelEmbedding, load_model
from ..epitome.model_outputs import write_embedding_image
from ..epitome.predict_job import PredictJob, run_predict
from ..errors import EpitomeError
from ..feedback import Feedback
from ..io.align import CLASS_NODATA
from ..io.label_rasters import LabelPaths
from ..io.outputs import check_writable
from ..io.raster import grid_of, open_raster
from .em import super_resolve
from .sources import class_footprint


@dataclass
class EpitomicLsrJob:
    model: str
    imagery: Sequence[str]
    classes: Sequence[str]  # one coarse class raster per imagery raster (any CRS / grid)
    composition: Composition
    output_model: str
    outputs: Optional[LabelPaths] = None  # the label map of the first imagery raster (optional)
    unknown_as_nodata: bool = False
    params: ApplyParams = field(default_factory=ApplyParams)
    device: str = "auto"
    embedding_image: Optional[str] = None
    stats: Dict = field(default_factory=dict)
    given_classes: Optional[Sequence[str]] = None  # CLASSES as the user gave them, recorded in the model (ALIGN may
    # hand the job in-memory copies moved back into place)
    scheduler: str = ""  # SCHEDULER: "" in this process, "local:N" or a Dask scheduler's address (docs/SCALING.md)


def class_nodata(job: EpitomicLsrJob, fb: Feedback) -> List[int]:
    """Class codes meaning 'no class' over all CLASSES rasters (the table's nodata row); codes under the imagery
    missing from the table are an error that names them (or nodata with unknown_as_nodata) - the rules of
    epitome:selfepitomiclsr (lsr.sources.class_footprint)."""

    codes = set()
    for img_path, cls_path in zip(job.imagery, job.classes):
        grid = grid_of(open_raster(img_path, "IMAGERY"))
        nodata, _ = class_footprint(job.composition, open_raster(cls_path, "CLASSES"), grid, fb,
                                    unknown_as_nodata=job.unknown_as_nodata)
        codes |= set(nodata)
    return sorted(codes)


def class_code_map(comp: Composition, nodata: Sequence[int]):
    def f(a):
        return comp.class_index(a, nodata_codes=list(nodata) + [CLASS_NODATA], unknown_as_nodata=True)

    return f


def lsr_embedding(acc: Embedded, comp: Composition, iterations: int, cancel=None) -> Dict:
    """Eqs. 7-11: p(m, n | c) from the class masses, p(c) from the embedded pixels, the EM -> p(l | m, n)
    [E, L, N, N] (pixels no patch reached: the label prior sum_c p(c) p(l | c)), weight [E, N, N], p(c)."""
    import torch

    z = acc.z.double()
    E, Cc, N, _ = z.shape
    counts = torch.as_tensor(acc.counts, dtype=torch.float64, device=z.device)
    table = torch.as_tensor(comp.matrix, dtype=torch.float64, device=z.device)
    masses = z.permute(1, 0, 2, 3).reshape(Cc, E * N * N)  # the class masses over the epitomes' pixels
    p_l, present = super_resolve(masses, counts, table, iterations, cancel=cancel)  # [E*N*N, L]
    p_c = counts[present] / counts[present].sum()
    weight = z.sum(1)  # [E, N, N]
    prior = p_c @ table[present]
    reached = (weight > 1e-6).reshape(-1)
    p_l = torch.where(reached[:, None], p_l, prior[None])
    probs = p_l.t().reshape(-1, E, N, N).permute(1, 0, 2, 3)
    return dict(probs=probs.float().cpu().numpy(), weight=weight.float().cpu().numpy(),
                p_class={str(int(comp.class_codes[i])): float(v)
                         for i, v in zip(np.nonzero(present.cpu().numpy())[0], p_c.cpu().numpy())})


def check_lsr_job(job: EpitomicLsrJob) -> EpitomeModel:
    check_pairs(job.imagery, job.classes, "CLASSES")
    model = load_model(job.model)
    job.params.check_for(model.size)
    check_writable(job.output_model, "OUTPUT_MODEL")
    for path, what in ((job.embedding_image, "EMBEDDING_IMAGE"),
                       (job.outputs.labels if job.outputs else None, "OUTPUT")):
        if path:
            check_writable(path, what)
    return model


def embed_classes(job: EpitomicLsrJob, model, code_map, device, fb: Feedback):
    """The classes of every (IMAGERY, CLASSES) pair embedded into the model (Eqs. 10-11): in this process, or with
    job.scheduler a map-reduce on a Dask cluster (distributed/strips.py)."""
    pairs, n_codes = list(zip(job.imagery, job.classes)), len(job.composition.class_codes)
    spec = parse_scheduler(job.scheduler)
    if not spec.distributed:
        return embed_codes(model, pairs, code_map, n_codes, job.params, device, fb, what="CLASSES")
    require_dask()
    from ..distributed.strips import EmbedSpec, embed_codes_on_cluster

    es = EmbedSpec(job.model, tuple(pairs), code_map, n_codes, job.params, job.device)
    return embed_codes_on_cluster(spec, es, job.output_model, fb, STRIP_VALUES)


def run_epitomic_lsr(job: EpitomicLsrJob, fb: Optional[Feedback] = None) -> Dict:
    """All-tile epitomic LSR: writes OUTPUT_MODEL, and OUTPUT (+ probabilities, confidence) when asked."""

    fb = fb or Feedback()
    parse_scheduler(job.scheduler)  # a malformed SCHEDULER before anything is read
    model = check_lsr_job(job)
    comp = job.composition
    for note in comp.notes:
        fb.warn(note)
    nodata = class_nodata(job, fb)
    device, warns = resolve_device(job.device)
    for w in warns:
        fb.warn(w)
    configure_precision()
    p = job.params
    fb.info(f"Device: {describe_device(device)}; {len(comp.class_codes)} classes -> {comp.n_labels} labels "
            f"({', '.join(comp.labels)}); patches {p.patch_size} px with {p.centre} px centres, temperature "
            f"{p.effective_temperature:.3g}, {p.em_iterations} EM iterations.")
    t0 = time.time()
    acc = embed_classes(job, model, class_code_map(comp, nodata), device, fb)
    if acc.counts.sum() == 0:
        raise EpitomeError("No pixel with both a coarse class and valid imagery was found: check that CLASSES "
                           "overlap IMAGERY and that their codes are rows of the composition table.")
    res = lsr_embedding(acc, comp, p.em_iterations, fb.is_canceled)
    model.labels = LabelEmbedding(probs=res["probs"], weight=res["weight"], names=list(comp.labels),
                                  colours=list(comp.colours), method="lsr",
                                  info=dict(patch_size=p.patch_size, centre=p.centre, samples=p.samples,
                                            temperature=p.effective_temperature, em_iterations=p.em_iterations,
                                            composition=comp.source or "built-in NLCD table", p_class=res["p_class"],
                                            imagery=list(job.imagery),
                                            classes=list(job.given_classes or job.classes)))
    model.save(job.output_model)
    if job.embedding_image:
        write_embedding_image(model, job.embedding_image)
    job.stats = dict(seconds=time.time() - t0, patches=acc.patches, device=str(device), p_class=res["p_class"])
    fb.info(f"Embedded {acc.patches} patches and ran the EM in {job.stats['seconds']:.1f} s.")
    if job.outputs is not None and job.outputs.labels:
        if len(job.imagery) > 1:
            fb.info("OUTPUT is the label map of the first IMAGERY raster; run epitome:predict with OUTPUT_MODEL "
                    "for the others.")
        pred = PredictJob(job.output_model, job.imagery[0], job.outputs, p, job.device, scheduler=job.scheduler)
        job.stats["predict"] = run_predict(pred, fb)
    return job.stats
