"""Processing algorithm epitome:trainepitome - glue only: parameters, validation, outputs, styling.

BANDS and GUIDE_LABELS are comma-separated strings ("1,2,3"; "4, 5"): a QgsProcessingParameterBand
needs a single raster parent, and IMAGERY takes several rasters.
"""

import os
import time

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ...algorithms.distributed.cluster import SCHEDULER_HELP, parse_scheduler, require_dask
from ...algorithms.distributed.launch import train_ranks
from ...algorithms.distributed.training import check_ranks
from ...algorithms.epitome.train_job import TrainJob, run_training, write_stopped_outputs
from ...algorithms.epitome.training import TrainParams
from ...algorithms.errors import Cancelled, EpitomeError
from .base import EpitomeAlgorithm, check_device_name, device_setting, parse_int_list, raster_path, require_torch
from .declarations import CoreChoice, CoreNumber, Declared
from .device_param import device_parameter
from .report_plot import render_history_png
from .styling import style_epitome_image
from .training_hub import hub, stopped_results

BACKENDS = ["auto", "conv", "fft", "unfold"]
BACKEND_TITLES = ["auto (FFT on the CPU for patches of 9 px or more, else convolution)",
                  "conv: direct convolution", "fft: FFT correlation", "unfold: explicit windows (small epitomes)"]


PARAMETERS = (
    Declared("IMAGERY", "Imagery",
             "One or more imagery rasters (e.g. NAIP tiles) with the same number of bands; patches are drawn from "
             "each in proportion to its usable area. Any data type (uint8, uint16, float).",
             lambda n, t: QgsProcessingParameterMultipleLayers(n, t, QgsProcessing.TypeRaster)),
    Declared("BANDS", "Bands (comma-separated, default: all)",
             "Band numbers to train on, comma-separated (e.g. 1,2,3,4); empty uses every band. The same bands are "
             "taken from every imagery raster.",
             lambda n, t: QgsProcessingParameterString(n, t, optional=True)),
    Declared("EXTENT", "Extent (default: whole rasters)",
             "Sample only inside this extent (any CRS: it is transformed into the CRS of the first imagery raster). "
             "Rasters outside it are skipped.",
             lambda n, t: QgsProcessingParameterExtent(n, t, optional=True)),
    Declared("GUIDE", "Guide labels",
             "Optional label raster (any CRS, resolution and alignment; resampled by nearest neighbour onto each "
             "imagery grid). With GUIDE_LABELS, only patches containing at least one pixel of those labels are "
             "sampled - e.g. an epitome of built-up texture.",
             lambda n, t: QgsProcessingParameterRasterLayer(n, t, optional=True)),
    Declared("GUIDE_LABELS", "Guide label codes (comma-separated)",
             "Codes of the GUIDE raster to sample around, comma-separated (e.g. 4 or 21,22,23,24). Required when "
             "GUIDE is given.",
             lambda n, t: QgsProcessingParameterString(n, t, optional=True)),
    CoreNumber(TrainParams, "size", "Epitome size N (pixels)",
               "Side N of each square epitome. Prefer FFT-friendly sizes: 256, 300, 384, 400, 480, 500, 512 (the "
               "paper uses 499). Time and memory grow with N^2."),
    CoreNumber(TrainParams, "count", "Epitomes in the mixture",
               "Number E of epitomes trained jointly as one mixture (the prior is normalised over all of them). With "
               "CASCADE 2 the model keeps 2 x COUNT epitomes (E1 and E2)."),
    CoreNumber(TrainParams, "patch_min", "Smallest patch size K (odd)",
               "Smallest side K of the random training patches, in imagery pixels; must be odd (paper: 11)."),
    CoreNumber(TrainParams, "patch_max", "Largest patch size K (odd)",
               "Largest side K of the random training patches; odd, at least PATCH_MIN and at most SIZE (paper: 31). "
               "K is drawn per batch among the odd sizes PATCH_MIN..PATCH_MAX."),
    CoreNumber(TrainParams, "steps", "Training steps",
               "Number of mini-batch steps (per stage: CASCADE 2 runs 3 x STEPS). Time grows linearly: the default "
               "1000 steps of 256 patches took 14 min on a 2-core CPU for SIZE 256. The epitome starts as random "
               "crops of the imagery, so a few hundred steps already give a usable model (docs/BENCHMARKS_EPITOME.md: "
               "SIZE 128, 400 steps); continue a model with INIT to train it further."),
    CoreNumber(TrainParams, "batch_size", "Patches per step",
               "Random patches per mini-batch. Larger batches give smoother training and better GPU use but need more "
               "memory (batch x epitome pixels x COUNT values per step)."),
    CoreNumber(TrainParams, "learning_rate", "Learning rate",
               "Adam step size for means, log-variances and prior logits (data scaled to [0, 1]).", advanced=True),
    CoreNumber(TrainParams, "temperature", "Temperature (empty or 0: (K/11)^2)",
               "Patch log-likelihoods are divided by this temperature before the posterior over windows is taken; "
               "higher values spread each patch over more windows. Empty or 0 uses (K/11)^2 for patches of side K, "
               "the reference implementation's choice.", advanced=True, zero_is_none=True),
    CoreNumber(TrainParams, "promotion", "Location promotion c (0 = off)",
               "Location promotion constant c in [0, 1): a window takes part in the likelihood only while its share "
               "of the training patches counted since the last reset is below c times the uniform share "
               "(1 / number of windows), so over-used windows rest and unused parts of the epitome get patches "
               "(paper, section 3). Smaller c promotes more strongly (only the least-used windows stay open); "
               "0 turns promotion off. Counters count each patch's most likely window (a hard posterior: with "
               "soft posteriors, the flat posteriors of early training give every window the uniform share and "
               "mask them all at once). All counters reset when more than (1 - PROMOTION_RESET) of the windows "
               "are masked.", advanced=True),
    CoreNumber(TrainParams, "promotion_reset", "Promotion reset share delta",
               "The promotion counters reset when more than (1 - delta) of all windows are masked (delta in "
               "(0, 1)).", advanced=True),
    CoreNumber(TrainParams, "diversify", "Diversify: worst-modelled share (0 = off)",
               "Only this share of each batch - the patches the model explains worst - is optimised (paper: 0.25, "
               "the worst quarter). 0 optimises every patch."),
    CoreNumber(TrainParams, "cascade", "Cascade (0 or 2)",
               "0: one self-diversifying model. 2: the paper's cascade E0 → E1 → E2 (E1 trained on the patches E0 "
               "models worst, E2 on those E1 models worst), keeping E1 and E2 as a uniform mixture; 3 x STEPS steps. "
               "1 is not a valid value."),
    device_parameter(),
    CoreNumber(TrainParams, "seed", "Random seed",
               "Seed of initialisation and patch sampling: the same inputs and seed give identical models on the "
               "CPU (GPU results may differ in the last bits).", advanced=True),
    Declared("INIT", "Continue from model (.epitome)",
             "A model file from an earlier run (e.g. a cancelled one) to continue training from; its SIZE, COUNT, "
             "bands and scaling are kept. Works with CASCADE 0 only.",
             lambda n, t: QgsProcessingParameterFile(n, t, behavior=QgsProcessingParameterFile.File,
                                                     extension="epitome", optional=True)),
    CoreChoice(TrainParams, "backend", "Likelihood backend",
               "How patch likelihoods over all epitome windows are computed. auto picks the fastest for the device "
               "and patch size; the others give the same numbers within float precision.",
               options=tuple(zip(BACKENDS, BACKEND_TITLES)), advanced=True),
    Declared("RANKS", "Training ranks (processes or GPUs)",
             "Data-parallel training over this many ranks: each rank draws BATCH_SIZE / RANKS patches a step, "
             "gradients and location-promotion counts are summed over the ranks, so a step sees BATCH_SIZE patches "
             "as with one rank and the model is as good. Ranks are processes on this machine (SCHEDULER empty; "
             "with DEVICE cuda each takes its own GPU) or one per Dask worker (SCHEDULER set). 1 trains in this "
             "process. BATCH_SIZE must be a multiple of RANKS. See docs/SCALING.md, Training on several processes "
             "or GPUs.",
             lambda n, t: QgsProcessingParameterNumber(n, t, QgsProcessingParameterNumber.Integer, 1, optional=True,
                                                       minValue=1, maxValue=512), advanced=True),
    Declared("SCHEDULER", "Dask cluster for the ranks (empty: local processes)",
             "Where the RANKS run: " + SCHEDULER_HELP + ". With a cluster, one rank runs on each of RANKS workers, "
             "which must read the imagery (and INIT) at the same paths; the model comes back to this machine.",
             lambda n, t: QgsProcessingParameterString(n, t, optional=True), advanced=True),
    Declared("MODEL", "Epitome model",
             "The trained model (.epitome: means, variances, prior, usage, band scaling, settings and history). "
             "Written atomically; on cancel it holds the model trained so far (settings 'complete': false).",
             lambda n, t: QgsProcessingParameterFileDestination(n, t, fileFilter="Epitome model (*.epitome)")),
    Declared("EPITOME_IMAGE", "Epitome image",
             "GeoTIFF (no CRS) to look at the epitome. Bands, for C imagery bands: 1..C the means and C+1..2C the "
             "variances, both in the imagery's own units (the units of its pixel values: a uint8 band's means are "
             "0..255 and its variances in squared 0..255 units), so that a pixel value x has the Gaussian "
             "likelihood N(x; mean, variance) as in the model; 2C+1 the log prior (log p(window), normalised over "
             "all epitomes), 2C+2 the usage (share of training samples whose most likely window covers the "
             "pixel). Several epitomes are stacked vertically (N rows each).",
             lambda n, t: QgsProcessingParameterRasterDestination(n, t, optional=True, createByDefault=True)),
    Declared("REPORT_CSV", "Training report (CSV)",
             "Optional CSV, one row per step: step, loss and worst_loss (the mean loss of the worst-modelled "
             "quarter of the batch), both in nats per value (lower is better), share of windows used as a best "
             "window in the batch, seconds.",
             lambda n, t: QgsProcessingParameterFileDestination(n, t, fileFilter="CSV files (*.csv)", optional=True,
                                                                createByDefault=False)),
    Declared("REPORT_PNG", "Training report (PNG)",
             "Optional plot of the loss, the worst-quarter loss (worst_loss) and the usage per step.",
             lambda n, t: QgsProcessingParameterFileDestination(n, t, fileFilter="PNG files (*.png)", optional=True,
                                                                createByDefault=False)),
)


class TrainEpitomeAlgorithm(EpitomeAlgorithm):
    needs_torch = True
    PARAMETERS = PARAMETERS
    OUTPUTS = (("STEPS_DONE", "Steps trained by this run", QgsProcessingOutputNumber),
               ("SECONDS", "Training time (s)", QgsProcessingOutputNumber),
               ("PATCHES_PER_SECOND", "Patches per second", QgsProcessingOutputNumber),
               ("FINAL_LOSS", "Final loss (nats per value)", QgsProcessingOutputNumber),
               ("FINAL_WORST_LOSS", "Final worst-quartile loss (nats per value)", QgsProcessingOutputNumber),
               ("DEVICE_USED", "Device used", QgsProcessingOutputString))
    icon_name = "train.svg"
    group_id = "epitomes"

    def name(self):
        return "trainepitome"

    def displayName(self):  # noqa: N802
        return self.tr("Train epitomes")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Learns an epitome from imagery: a small picture (SIZE x SIZE pixels) that holds the textures of a large "
            "area - tree crowns, fields, roofs, water - so that any small patch of the imagery looks like some part "
            "of it. Once labels are put into it (Embed labels), it labels new imagery quickly (Predict labels).\n"
            "What to give: one or more imagery rasters with the same bands; optionally an EXTENT, or a GUIDE label "
            "raster with GUIDE_LABELS to learn only the textures around those labels (e.g. buildings). STEPS sets "
            "how long it learns: a few hundred give a usable model, and a model can be trained further later (INIT). "
            "Follow it live in the training monitor (menu Raster, Epitome, Training monitor).\n"
            "What you get: the model file (.epitome, for the other Epitome algorithms and as INIT to continue), an "
            "EPITOME_IMAGE to look at, and a training report (CSV, PNG). Cancel saves the model trained so far to "
            "MODEL (give it as INIT to go on) and writes nothing else; Stop in the training monitor ends the run "
            "normally and also writes EPITOME_IMAGE and the reports of that model.\n"
            "Method (for specialists; Malkin, Ortiz, Jojic, ECCV 2020, section 3): each epitome pixel has a mean, a "
            "variance and a prior; training is stochastic gradient descent (Adam) on mini-batches of BATCH_SIZE "
            "random K x K patches (K odd, drawn per batch in PATCH_MIN..PATCH_MAX), with location promotion (windows "
            "that explained many patches rest for a while, so no part of the epitome dies) and diversification (only "
            "the worst-modelled share of each batch is optimised, so rare textures get room). CASCADE 2 trains E0, "
            "then E1 on the patches E0 models worst, then E2 on those E1 models worst, and keeps E1 and E2 as a "
            "uniform mixture (3 x STEPS steps in all). Data: uint8 is scaled by 1/255, other types by per-band "
            "0.5-99.5 percentiles of the first raster; nodata pixels are never sampled; GUIDE any CRS / grid, nearest "
            "neighbour.\n"
            "Needs PyTorch in QGIS's Python. Runs on the GPU when DEVICE is auto and one is available.")

    # --------------------------------------------------------------------------------------------

    def _params(self, parameters, context):
        return self.core_params(parameters, context, TrainParams)

    def _lists(self, parameters, context):
        bands = parse_int_list(self.parameterAsString(parameters, "BANDS", context), "BANDS")
        labels = parse_int_list(self.parameterAsString(parameters, "GUIDE_LABELS", context), "GUIDE_LABELS")
        if any(b < 1 for b in bands):
            raise ValueError("BANDS: band numbers start at 1.")
        return bands, labels

    def check(self, parameters, context):
        self._params(parameters, context).validate()
        _, labels = self._lists(parameters, context)
        guide = self.parameterAsRasterLayer(parameters, "GUIDE", context)
        if guide is not None and not labels:
            raise ValueError(self.tr("GUIDE_LABELS: give the guide label codes to sample around (e.g. 4), or leave "
                                     "GUIDE empty."))
        if labels and guide is None:
            raise ValueError(self.tr("GUIDE_LABELS needs a GUIDE label raster."))
        check_device_name(self.parameterAsString(parameters, "DEVICE", context))
        self._ranks(parameters, context)
        init = self.parameterAsFile(parameters, "INIT", context)
        if init:
            from ...algorithms.epitome.model_file import load_model

            try:
                load_model(init)
            except EpitomeError as e:
                raise ValueError(f"INIT: {e}")
            if self.parameterAsInt(parameters, "CASCADE", context) != 0:
                raise ValueError(self.tr("INIT (continue training) works with CASCADE 0 only."))

    def _ranks(self, parameters, context):
        """(RANKS, SCHEDULER) checked: BATCH_SIZE shared evenly, the scheduler understood, Dask there if asked."""
        ranks = self.parameterAsInt(parameters, "RANKS", context) if parameters.get("RANKS") not in (None, "") else 1
        scheduler = (self.parameterAsString(parameters, "SCHEDULER", context) or "").strip()
        check_ranks(ranks, self.parameterAsInt(parameters, "BATCH_SIZE", context))
        if parse_scheduler(scheduler).distributed:
            require_dask()
        return ranks, scheduler

    def _job(self, parameters, context):
        """The core's TrainJob from the parameters (QgsProcessingException saying what to change)."""

        layers = self.parameterAsLayerList(parameters, "IMAGERY", context)
        if not layers:
            raise QgsProcessingException("IMAGERY: give at least one raster layer.")
        paths = [raster_path(lyr, "IMAGERY") for lyr in layers]
        try:
            params = self._params(parameters, context)
            params.validate()
            bands, labels = self._lists(parameters, context)
        except ValueError as e:
            raise QgsProcessingException(str(e))
        extent = None
        if parameters.get("EXTENT") not in (None, ""):
            rect = self.parameterAsExtent(parameters, "EXTENT", context, layers[0].crs())
            if not rect.isNull() and not rect.isEmpty():
                extent = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
        guide_layer = self.parameterAsRasterLayer(parameters, "GUIDE", context)
        guide = raster_path(guide_layer, "GUIDE") if guide_layer is not None else None
        if guide and not labels:
            raise QgsProcessingException("GUIDE_LABELS: give the guide label codes to sample around (e.g. 4).")
        model = self.parameterAsFileOutput(parameters, "MODEL", context)
        image = self.parameterAsOutputLayer(parameters, "EPITOME_IMAGE", context) or None
        csv = self.parameterAsFileOutput(parameters, "REPORT_CSV", context) or None
        png = self.parameterAsFileOutput(parameters, "REPORT_PNG", context) or None
        if not model:
            raise QgsProcessingException("MODEL: give a file name ending in .epitome.")
        if image and os.path.splitext(image)[1].lower() not in (".tif", ".tiff"):
            raise QgsProcessingException(f"EPITOME_IMAGE must be a GeoTIFF (.tif) file; got {image!r}.")
        job = TrainJob(
            imagery=paths, model_path=model, params=params, bands=bands, extent=extent, guide=guide,
            guide_labels=labels, init=self.parameterAsFile(parameters, "INIT", context) or None,
            device=device_setting(self.parameterAsString(parameters, "DEVICE", context)),
            epitome_image=image, report_csv=csv, report_png=png, png_writer=render_history_png)
        try:
            self.ranks, self.scheduler = self._ranks(parameters, context)
        except EpitomeError as e:
            raise QgsProcessingException(str(e))
        return job

    def _run(self, job, fb):
        """run_training in this process (RANKS 1, no SCHEDULER), else the distributed launcher."""
        ranks, scheduler = getattr(self, "ranks", 1), getattr(self, "scheduler", "")
        if ranks <= 1 and not scheduler:
            return run_training(job, fb)
        from ..install.dependencies import python_executable

        return train_ranks(job, ranks, scheduler, fb, python=python_executable())

    def _train(self, job, feedback):
        """run_training with the desktop's monitor dock following it (no listener in qgis_process). Returns
        (stats, None) when it ran to the end, (None, results) when the dock's Stop ended it (the model so far is
        saved, and the outputs asked for are written for it)."""

        params, model, stats = job.params, job.model_path, None
        monitor = hub()
        total = params.steps * (3 if params.cascade else 1)
        run_id = monitor.begin(feedback, dict(imagery=[os.path.basename(q) for q in job.imagery], model=model,
                                              size=params.size, count=params.count, steps=total,
                                              batch=params.batch_size, cascade=params.cascade))
        fb = monitor.feedback(run_id, feedback)  # also stopped by the dock's Stop; reports the end once
        if monitor.listening():
            job.monitor = lambda snap: monitor.post(run_id, snap)
        job.monitor_every = max(1, min(10, total // 50))
        ended = (False, self.tr("Failed"))
        t0, stopped = time.time(), None
        try:
            stats = self._run(job, fb)
            ended = (True, self.tr("Finished: {} steps in {:.0f} s").format(stats["steps"], stats["seconds"]))
        except Cancelled:  # one message (the core's own note is held back by the hub's feedback)
            if not os.path.isfile(model):
                ended = (False, self.tr("Cancelled: no output was written."))
                raise QgsProcessingException(ended[1])
            if not fb.stopped:
                ended = (False, self.tr("Cancelled by the user: the model trained so far is saved to MODEL ({}); give "
                                        "it as INIT to continue. No other output was written.").format(model))
                raise QgsProcessingException(ended[1])
            stopped = stopped_results(model, job.init, time.time() - t0, job.device, params.batch_size)  # normal end
            written = write_stopped_outputs(job)  # what the user asked for, of the model so far
            stopped.update({k: written.get(k) for k in ("EPITOME_IMAGE", "REPORT_CSV", "REPORT_PNG")})
            ended = (True, self.tr("Stopped after {} steps: the model so far is saved to MODEL ({}); give it as "
                                   "INIT to continue.").format(stopped["STEPS_DONE"], model) +
                     (" " + self.tr("Written for that model too: {}.").format(", ".join(sorted(written)))
                      if written else ""))
            feedback.pushInfo(ended[1])
        except (EpitomeError, ValueError) as e:
            ended = (False, str(e))
            raise QgsProcessingException(str(e))
        finally:
            monitor.end(run_id, *ended)
        return stats, stopped

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()
        job = self._job(parameters, context)
        stats, stopped = self._train(job, feedback)
        model, image, csv, png = job.model_path, job.epitome_image, job.report_csv, job.report_png
        if stopped is not None:
            if stopped.get("EPITOME_IMAGE"):
                style_epitome_image(context, image, self.tr("Epitome"))
            return dict(stopped, MODEL=model)
        if image:
            style_epitome_image(context, image, self.tr("Epitome"))
        return {"MODEL": model, "EPITOME_IMAGE": image, "REPORT_CSV": csv,
                "REPORT_PNG": png if png and os.path.isfile(png) else None,
                "STEPS_DONE": stats["steps"], "SECONDS": stats["seconds"],
                "PATCHES_PER_SECOND": stats["patches_per_second"], "FINAL_LOSS": stats["final_loss"],
                "FINAL_WORST_LOSS": stats["final_worst_loss"], "DEVICE_USED": stats["device"]}
