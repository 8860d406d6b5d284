"""Epitome training as a job: rasters in, a model file, an epitome image and a report out.

On cancel the model trained so far is saved to the MODEL path (it can be given back as INIT to go
on) and no other output is written. Every file is written under a temporary name and moved into
place when complete.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, Optional, Sequence

import numpy as np

from ..device import configure_precision, describe_device, resolve_device
from ..errors import Cancelled, EpitomeError
from ..feedback import Feedback
from ..io.outputs import check_writable
from ..io.raster import Scaling
from .model_file import EpitomeModel, load_model
from .model_outputs import preview_rgb, write_epitome_image, write_report_csv, write_report_png
from .sampling import RasterPatchSampler
from .training import EpitomeMixture, Resume, TrainParams, mixture_arrays, train_epitome


@dataclass
class TrainJob:
    imagery: Sequence[str]
    model_path: str
    params: TrainParams
    bands: Sequence[int] = ()
    extent: Optional[tuple] = None
    guide: Optional[str] = None
    guide_labels: Sequence[int] = ()
    init: Optional[str] = None
    device: str = "auto"
    epitome_image: Optional[str] = None
    report_csv: Optional[str] = None
    report_png: Optional[str] = None
    # Draws the report PNG: (history, path) -> bool. The plugin passes its QPainter drawing
    # (plugin/processing/report_plot.py), the one drawing of the curves; None: no PNG (a warning).
    png_writer: Optional[Callable] = None
    # Live monitor: monitor(snapshot dict) every monitor_every steps and after the last one. The
    # snapshot holds step, total_steps, stage, stages, the history so far (copies of the lists) and
    # preview = uint8 [N, N, 3] picture of the first epitome's means (algorithms/epitome/model_outputs.preview_rgb).
    monitor: Optional[Callable[[Dict], None]] = None
    monitor_every: int = 10
    # inspect(step, EpitomeMixture) at the same steps as the monitor (benchmarks: held-out metrics during training)
    inspect: Optional[Callable] = None
    stats: Dict = field(default_factory=dict)


def usage_share(states) -> Optional[np.ndarray]:
    """[E', N, N]: per kept model, the share of its stage's samples whose best window covers each pixel."""
    if not states or any(st is None or st.usage_counts is None or st.samples_seen <= 0 for st in states):
        return None
    return np.concatenate([(st.usage_counts / st.samples_seen).cpu().numpy() for st in states])


def training_carry(models, states) -> Dict:
    """What INIT needs to go on where this run stopped (one model, CASCADE 0): Adam's moments and step
    count, the promotion counters and their samples. Empty for a cascade (E1 + E2 are two models)."""

    if len(models) != 1 or states[0] is None:
        return {}
    st = states[0]
    carry = dict(counters=st.counters.cpu().numpy(), samples_since_reset=st.samples_since_reset,
                 samples_seen=st.samples_seen, resets=st.resets)
    if st.optimizer is not None:
        carry.update(optimizer_state=st.optimizer.state_arrays(EpitomeMixture.PARAMETER_NAMES),
                     optimizer_steps=st.optimizer.t)
    return carry


def _model_from(models, states, history, sampler, p, steps_done, extra_settings):

    mu, var, lp = mixture_arrays(models)
    settings = asdict(p)
    settings.update(extra_settings)
    return EpitomeModel(mu=mu, var=var, log_prior=lp, bands=list(sampler.bands),
                        scaling_offset=[float(v) for v in sampler.scaling.offset],
                        scaling_scale=[float(v) for v in sampler.scaling.scale], scaling_method=sampler.scaling.method,
                        patch_min=p.patch_min, patch_max=p.patch_max, settings=settings, history=history,
                        usage=usage_share(states), steps_done=steps_done, **training_carry(models, states))


def resume_from(model: EpitomeModel):
    """training.Resume from an INIT model (usage counts rebuilt from the usage share)."""

    counts = model.usage * model.samples_seen if (model.usage is not None and model.samples_seen > 0) else None
    return Resume(adam=model.optimizer_state, adam_steps=model.optimizer_steps, counters=model.counters,
                  samples_since_reset=model.samples_since_reset, usage_counts=counts,
                  samples_seen=model.samples_seen if counts is not None else 0, resets=model.resets)


def check_training_job(job: TrainJob):
    """Parameters and output paths, before anything is read: the validated TrainParams."""
    p = job.params
    try:
        p.validate()
    except ValueError as e:
        raise EpitomeError(str(e))
    for path, what in ((job.model_path, "MODEL"), (job.epitome_image, "EPITOME_IMAGE"),
                       (job.report_csv, "REPORT_CSV"), (job.report_png, "REPORT_PNG")):
        if path:
            check_writable(path, what)
    return p


def load_init(job: TrainJob, p, fb: Feedback):
    """The INIT model (or None) and its band scaling; SIZE and COUNT follow it (p is updated)."""
    if not job.init:
        return None, None
    init_model = load_model(job.init)
    scaling = Scaling(np.asarray(init_model.scaling_offset, np.float32),
                      np.asarray(init_model.scaling_scale, np.float32), init_model.scaling_method)
    if init_model.size != p.size or init_model.count != p.count:
        fb.warn(f"INIT has {init_model.count} epitome(s) of {init_model.size} px: SIZE and COUNT follow it.")
        p.size, p.count = init_model.size, init_model.count
        try:
            p.validate()
        except ValueError as e:
            raise EpitomeError(f"With INIT (epitome size {init_model.size}): {e}")
    return init_model, scaling


def open_sampler(job: TrainJob, p, init_model, scaling, device):
    """The patch sampler over the imagery (bands and scaling of INIT when given)."""

    sampler = RasterPatchSampler(job.imagery, job.bands or (init_model.bands if init_model else ()), job.extent,
                                 job.guide, job.guide_labels, scaling, device, patch_max=p.patch_max)
    if init_model is not None and len(sampler.bands) != init_model.n_bands:
        raise EpitomeError(f"INIT was trained on {init_model.n_bands} band(s); the imagery gives {len(sampler.bands)}.")
    check_size_fits(p.size, sampler.sources, bool(init_model))
    return sampler


def check_size_fits(size: int, sources, from_init: bool = False):
    """EpitomeError when one epitome of size x size pixels would hold more pixels than all the usable imagery: an
    epitome summarises imagery larger than itself (its start is tiled from crops of it)."""
    area = sum(s.w * s.h for s in sources)
    if size * size > area:
        sizes = ", ".join(f"{s.w} x {s.h}" for s in sources[:5]) + (" ..." if len(sources) > 5 else "")
        what = "INIT's epitome size" if from_init else "SIZE"
        raise EpitomeError(
            f"{what} {size} makes an epitome of {size * size} pixels, more than the {area} usable pixels of the "
            f"imagery "
            f"({sizes} px inside EXTENT): an epitome summarises imagery larger than itself. Lower SIZE to at most "
            f"{int(area ** 0.5)}, or give more imagery.")


def describe_run(fb: Feedback, device, sampler, p):

    fb.info(f"Device: {describe_device(device)}; {len(sampler.sources)} raster(s), bands {sampler.bands}, "
            f"scaling {sampler.scaling.method}")
    fb.info(f"Training {p.count} epitome(s) of {p.size} x {p.size}, patches {p.patch_min}..{p.patch_max}, "
            f"{p.steps} steps x {p.batch_size} patches{' x 3 stages (cascade)' if p.cascade else ''}, "
            f"promotion c={p.promotion}, diversify {p.diversify}, backend {p.backend}.")


def monitor_hook(job: TrainJob, p, fb: Feedback):
    """on_step for train_epitome: a snapshot for job.monitor every job.monitor_every steps and at the end."""
    stages = 3 if p.cascade else 1
    total = stages * p.steps

    def on_step(model, state, stage, earlier):
        n = stage * p.steps + len(state.history["step"])
        if (job.monitor is None and job.inspect is None) or (n % max(1, job.monitor_every) and n != total):
            return
        if job.inspect is not None:
            job.inspect(n, model)
        if job.monitor is None:
            return
        try:
            job.monitor(dict(step=n, total_steps=total, stage=stage + 1, stages=stages,
                             history={k: earlier.get(k, []) + list(v) for k, v in state.history.items()},
                             preview=preview_rgb(model.mu[0].detach().cpu().numpy())))
        except Exception as e:  # a monitor must never stop a training
            fb.warn(f"Training monitor failed ({e}); training goes on without it.")
            job.monitor = None

    return on_step


def rank_settings(comm, p) -> Dict:
    """Settings a distributed training adds to the model: the ranks and the batch of all of them (p.batch_size
    is one rank's share); none in one process."""
    return {} if comm is None else dict(ranks=comm.world, batch_size=p.batch_size * comm.world)


def save_partial_model(job: TrainJob, exc: Cancelled, sampler, p, steps_before: int, fb: Feedback,
                       extra: Optional[Dict] = None):
    """On cancel: the model trained so far to MODEL (settings 'complete': false), nothing else."""
    models, states = exc.partial
    state = states[-1] if states else None
    done = len(state.history["step"]) if state is not None else 0
    m = _model_from(models, states, state.history if state else {}, sampler, p, steps_before + done,
                    dict(extra or {}, complete=False))
    m.save(job.model_path)
    fb.warn(f"Cancelled after {done} steps: the model so far is saved to {job.model_path} "
            "(give it as INIT to continue); no other output was written.")


def write_training_outputs(job: TrainJob, model: EpitomeModel, history, fb: Feedback):
    """MODEL, then the optional EPITOME_IMAGE, REPORT_CSV and REPORT_PNG (each written atomically)."""
    model.save(job.model_path)
    if job.epitome_image:
        write_epitome_image(model, job.epitome_image)
    if job.report_csv:
        write_report_csv(history, job.report_csv)
    if job.report_png:
        if job.png_writer is None:
            fb.warn("REPORT_PNG was not written: no drawing of the curves was given (the QGIS plugin gives one).")
        else:
            write_report_png(history, job.report_png, job.png_writer)


def write_stopped_outputs(job: TrainJob) -> Dict[str, str]:
    """After a training was stopped early on purpose (the monitor's Stop: the model so far is in MODEL): the
    EPITOME_IMAGE and the reports of that model, as a finished run writes them. {output name: path} written."""
    model = load_model(job.model_path)
    written = {}
    if job.epitome_image:
        write_epitome_image(model, job.epitome_image)
        written["EPITOME_IMAGE"] = job.epitome_image
    if job.report_csv and model.history.get("step"):
        write_report_csv(model.history, job.report_csv)
        written["REPORT_CSV"] = job.report_csv
    if job.report_png and job.png_writer is not None and model.history.get("step"):
        write_report_png(model.history, job.report_png, job.png_writer)
        written["REPORT_PNG"] = job.report_png
    return written


def training_stats(history, n: int, seconds: float, device, batch_size: int) -> Dict:
    """Time, speed and the final losses (means over the last tenth of the steps)."""
    return dict(seconds=seconds, steps=n, device=str(device),
                patches_per_second=n * batch_size / max(seconds, 1e-9),
                final_loss=float(np.mean(history["loss"][-max(1, n // 10):])),
                final_worst_loss=float(np.mean(history["worst_loss"][-max(1, n // 10):])))


def run_training(job: TrainJob, fb: Optional[Feedback] = None, comm=None) -> Dict:
    """Steps: check -> device -> INIT -> sampler -> train (cancel: save the partial model) -> write outputs.

    comm: one rank of a distributed training (algorithms/distributed/training.py): job.params.batch_size is
    this rank's share of the batch; a job without model_path (ranks other than 0) writes nothing."""

    fb = fb or Feedback()
    p = check_training_job(job)
    device, warns = resolve_device(job.device)
    for w in warns:
        fb.warn(w)
    configure_precision()
    init_model, scaling = load_init(job, p, fb)
    sampler = open_sampler(job, p, init_model, scaling, device)
    describe_run(fb, device, sampler, p)
    init, resume, steps_before = None, None, 0
    if init_model is not None:
        init = EpitomeMixture(init_model.mu, init_model.var, init_model.log_prior, device)
        resume, steps_before = resume_from(init_model), init_model.steps_done
        if init_model.optimizer_state is None:
            fb.info("INIT carries no optimizer state (a version-1 or cascade model): Adam starts afresh.")
    t0 = time.time()
    try:
        models, states, history = train_epitome(sampler.sample, p, device, init=init,
                                                progress=lambda frac, hist: fb.progress(100.0 * frac),
                                                cancel=fb.is_canceled, log=fb.info, step_offset=steps_before,
                                                on_step=monitor_hook(job, p, fb), resume=resume, comm=comm)
    except Cancelled as exc:
        if job.model_path:
            save_partial_model(job, exc, sampler, p, steps_before, fb, rank_settings(comm, p))
        raise
    seconds = time.time() - t0
    n_new = len(history["step"])
    if init_model is not None and init_model.history.get("step"):
        # INIT: the report and the model's history continue the earlier run's curves
        history = {k: list(init_model.history.get(k, [])) + v for k, v in history.items()}
    model = _model_from(models, states, history, sampler, p, steps_before + n_new,
                        dict(rank_settings(comm, p), complete=True))
    if job.model_path:
        write_training_outputs(job, model, history, fb)
    job.stats = training_stats(history, n_new, seconds, device, p.batch_size * (comm.world if comm else 1))
    fb.info(f"Trained in {seconds:.1f} s ({job.stats['patches_per_second']:.0f} patches/s on {device}); "
            f"final loss {job.stats['final_loss']:.4f}, worst quarter {job.stats['final_worst_loss']:.4f} nats/value.")
    return job.stats
