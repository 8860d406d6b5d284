"""Processing algorithm epitome:trainepitome - glue only: parameters, validation, outputs, styling.

BANDS and GUIDE_LABELS are comma-separated strings ("1,2,3"; "4, 5"): a QgsProcessingParameterBand
needs a single raster parent, and IMAGERY takes several rasters.
"""

import os
import re

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterEnum,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ...algorithms.device import is_device_name
from ...algorithms.errors import Cancelled, EpitomeError
from ...algorithms.epitome.training import TrainParams
from .report_plot import render_history_png
from .training_hub import hub
from .base import EpitomeAlgorithm, QgsFeedbackAdapter, device_setting, raster_path, require_torch
from .styling import style_epitome_image

DEFAULTS = TrainParams()
BACKENDS = ["auto", "conv", "fft", "unfold"]
BACKEND_TITLES = ["auto (FFT on the CPU for patches of 9 px or more, else convolution)",
                  "conv: direct convolution", "fft: FFT correlation", "unfold: explicit windows (small epitomes)"]


def parse_int_list(text, name):
    """'1, 2,3' -> [1, 2, 3]; '' -> []. Raises ValueError with a message naming the parameter."""
    if text is None:
        return []
    if isinstance(text, (list, tuple)):
        items = [str(v) for v in text]
    else:
        items = [t for t in re.split(r"[,;\s]+", str(text).strip()) if t]
    out = []
    for t in items:
        try:
            v = float(t)
        except ValueError:
            raise ValueError(f"{name}: {t!r} is not a whole number; give comma-separated numbers, e.g. 1,2,3.")
        if v != int(v):
            raise ValueError(f"{name}: {t!r} is not a whole number; give comma-separated numbers, e.g. 1,2,3.")
        out.append(int(v))
    return out


class TrainEpitomeAlgorithm(EpitomeAlgorithm):
    icon_name = "train.svg"

    def name(self):
        return "trainepitome"

    def displayName(self):  # noqa: N802
        return self.tr("Train epitomes")

    def group(self):
        return self.tr("Epitomes")

    def groupId(self):  # noqa: N802
        return "epitomes"

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "<p>Learns one or more epitomes - small images (SIZE x SIZE) that summarise the texture of large "
            "imagery, with a mean and a variance per pixel and a prior over positions - from random patches of "
            "the imagery (Malkin, Ortiz, Jojic, ECCV 2020, section 3).</p>"
            "<p>Training is stochastic gradient descent (Adam) on mini-batches of BATCH_SIZE random K x K patches "
            "(K odd, drawn per batch in PATCH_MIN..PATCH_MAX), with <b>location promotion</b> (windows that have "
            "already explained many patches are left out for a while, so no part of the epitome dies) and "
            "<b>diversification</b> (only the worst-modelled share of each batch is optimised, so rare textures "
            "get room). CASCADE 2 trains E0, then E1 on the patches E0 models worst, then E2 on those E1 models "
            "worst, and keeps E1 and E2 as a uniform mixture (3 x STEPS steps in all).</p>"
            "<p><b>Inputs</b>: one or more rasters with the same bands (any data type; uint8 is scaled by 1/255, "
            "other types by per-band 0.5-99.5 percentiles of the first raster). Nodata pixels are never sampled. "
            "A GUIDE label raster (any CRS / grid, nearest neighbour) restricts sampling to patches that contain "
            "at least one pixel of GUIDE_LABELS.</p>"
            "<p><b>Outputs</b>: the model file (.epitome, used by the other Epitome algorithms and as INIT to "
            "continue training), an EPITOME_IMAGE GeoTIFF to look at, and a training report (CSV, PNG). Cancel "
            "saves the model trained so far to MODEL (give it as INIT to go on) and writes nothing else.</p>"
            "<p>Needs PyTorch in QGIS's Python. Runs on the GPU when DEVICE is auto and CUDA is available.</p>")

    def initAlgorithm(self, config=None):  # noqa: N802
        d = DEFAULTS

        add = self.add_param

        Int, Dbl = QgsProcessingParameterNumber.Integer, QgsProcessingParameterNumber.Double
        add(QgsProcessingParameterMultipleLayers("IMAGERY", self.tr("Imagery"), QgsProcessing.TypeRaster),
            "One or more imagery rasters (e.g. NAIP tiles) with the same number of bands; patches are drawn from "
            "each in proportion to its usable area. Any data type (uint8, uint16, float).")
        add(QgsProcessingParameterString("BANDS", self.tr("Bands (comma-separated, default: all)"), optional=True),
            "Band numbers to train on, comma-separated (e.g. 1,2,3,4); empty uses every band. The same bands are "
            "taken from every imagery raster.")
        add(QgsProcessingParameterExtent("EXTENT", self.tr("Extent (default: whole rasters)"), optional=True),
            "Sample only inside this extent (any CRS: it is transformed into the CRS of the first imagery raster). "
            "Rasters outside it are skipped.")
        add(QgsProcessingParameterRasterLayer("GUIDE", self.tr("Guide labels"), optional=True),
            "Optional label raster (any CRS, resolution and alignment; resampled by nearest neighbour onto each "
            "imagery grid). With GUIDE_LABELS, only patches containing at least one pixel of those labels are "
            "sampled - e.g. an epitome of built-up texture.")
        add(QgsProcessingParameterString("GUIDE_LABELS", self.tr("Guide label codes (comma-separated)"),
                                         optional=True),
            "Codes of the GUIDE raster to sample around, comma-separated (e.g. 4 or 21,22,23,24). Required when "
            "GUIDE is given.")
        add(QgsProcessingParameterNumber("SIZE", self.tr("Epitome size N (pixels)"), Int, d.size, minValue=8,
                                         maxValue=4096),
            "Side N of each square epitome. Prefer FFT-friendly sizes: 256, 300, 384, 400, 480, 500, 512 (the "
            "paper uses 499). Time and memory grow with N^2.")
        add(QgsProcessingParameterNumber("COUNT", self.tr("Epitomes in the mixture"), Int, d.count, minValue=1,
                                         maxValue=64),
            "Number E of epitomes trained jointly as one mixture (the prior is normalised over all of them). With "
            "CASCADE 2 the model keeps 2 x COUNT epitomes (E1 and E2).")
        add(QgsProcessingParameterNumber("PATCH_MIN", self.tr("Smallest patch size K (odd)"), Int, d.patch_min,
                                         minValue=1, maxValue=255),
            "Smallest side K of the random training patches, in imagery pixels; must be odd (paper: 11).")
        add(QgsProcessingParameterNumber("PATCH_MAX", self.tr("Largest patch size K (odd)"), Int, d.patch_max,
                                         minValue=1, maxValue=255),
            "Largest side K of the random training patches; odd, at least PATCH_MIN and at most SIZE (paper: 31). "
            "K is drawn per batch among the odd sizes PATCH_MIN..PATCH_MAX.")
        add(QgsProcessingParameterNumber("STEPS", self.tr("Training steps"), Int, d.steps, minValue=1),
            "Number of mini-batch steps (per stage: CASCADE 2 runs 3 x STEPS). Time grows linearly: the default "
            "1000 steps of 256 patches took 14 min on a 2-core CPU for SIZE 256 and left about half of that epitome "
            "still untrained; fill a 256 px epitome with several thousand steps (a GPU helps), or continue a "
            "model with INIT.")
        add(QgsProcessingParameterNumber("BATCH_SIZE", self.tr("Patches per step"), Int, d.batch_size, minValue=1,
                                         maxValue=65536),
            "Random patches per mini-batch. Larger batches give smoother training and better GPU use but need more "
            "memory (batch x epitome pixels x COUNT values per step).")
        add(QgsProcessingParameterNumber("LEARNING_RATE", self.tr("Learning rate"), Dbl, d.learning_rate,
                                         minValue=1e-6, maxValue=10.0),
            "Adam step size for means, log-variances and prior logits (data scaled to [0, 1]).", advanced=True)
        add(QgsProcessingParameterNumber("TEMPERATURE", self.tr("Temperature (empty or 0: (K/11)^2)"), Dbl, None,
                                         optional=True, minValue=0.0),
            "Patch log-likelihoods are divided by this temperature before the posterior over windows is taken; "
            "higher values spread each patch over more windows. Empty or 0 uses (K/11)^2 for patches of side K, "
            "the reference implementation's choice.", advanced=True)
        add(QgsProcessingParameterNumber("PROMOTION", self.tr("Location promotion c (0 = off)"), Dbl, d.promotion,
                                         minValue=0.0, maxValue=0.999999),
            "Location promotion constant c in [0, 1): a window leaves the likelihood once its counter reaches "
            "c / (number of windows), so unused parts of the epitome get patches; all counters reset per "
            "PROMOTION_RESET. Counters count each training patch's most likely window (a hard posterior): the "
            "paper's soft posteriors mask every window at once while posteriors are still flat, which resets the "
            "counters at every step early on. With hard counts a window is masked once it has been a best window, "
            "for any c > 0 (as the reference code's threshold of 1e-8 masks any window that got posterior mass): "
            "c switches promotion on (> 0) or off (0); the reset share is the knob. 0 turns it off.",
            advanced=True)
        add(QgsProcessingParameterNumber("PROMOTION_RESET", self.tr("Promotion reset share delta"), Dbl,
                                         d.promotion_reset, minValue=1e-6, maxValue=0.999999),
            "The promotion counters reset when more than (1 - delta) of all windows are masked (delta in (0, 1)).",
            advanced=True)
        add(QgsProcessingParameterNumber("DIVERSIFY", self.tr("Diversify: worst-modelled share (0 = off)"), Dbl,
                                         d.diversify, minValue=0.0, maxValue=0.999999),
            "Only this share of each batch - the patches the model explains worst - is optimised (paper: 0.25, "
            "the worst quarter). 0 optimises every patch.")
        add(QgsProcessingParameterNumber("CASCADE", self.tr("Cascade (0 or 2)"), Int, d.cascade, minValue=0,
                                         maxValue=2),
            "0: one self-diversifying model. 2: the paper's cascade E0 -> E1 -> E2 (E1 trained on the patches E0 "
            "models worst, E2 on those E1 models worst), keeping E1 and E2 as a uniform mixture; 3 x STEPS steps. "
            "1 is not a valid value.")
        add(QgsProcessingParameterString("DEVICE", self.tr("Device (auto, cpu, cuda, cuda:N)"), "auto"),
            "auto follows the default device of Settings > Options > Epitome (itself auto by default: the first "
            "CUDA GPU when PyTorch sees one, else the CPU). cuda without a usable GPU falls "
            "back to the CPU with a warning.", advanced=True)
        add(QgsProcessingParameterNumber("SEED", self.tr("Random seed"), Int, d.seed, minValue=0),
            "Seed of initialisation and patch sampling: the same inputs and seed give identical models on the "
            "CPU (GPU results may differ in the last bits).", advanced=True)
        add(QgsProcessingParameterFile("INIT", self.tr("Continue from model (.epitome)"),
                                       behavior=QgsProcessingParameterFile.File, extension="epitome", optional=True),
            "A model file from an earlier run (e.g. a cancelled one) to continue training from; its SIZE, COUNT, "
            "bands and scaling are kept. Works with CASCADE 0 only.")
        add(QgsProcessingParameterEnum("BACKEND", self.tr("Likelihood backend"), options=BACKEND_TITLES,
                                       defaultValue=BACKENDS.index(d.backend)),
            "How patch likelihoods over all epitome windows are computed. auto picks the fastest for the device "
            "and patch size; the others give the same numbers within float precision.", advanced=True)
        add(QgsProcessingParameterFileDestination("MODEL", self.tr("Epitome model"),
                                                  fileFilter="Epitome model (*.epitome)"),
            "The trained model (.epitome: means, variances, prior, usage, band scaling, settings and history). "
            "Written atomically; on cancel it holds the model trained so far (settings 'complete': false).")
        add(QgsProcessingParameterRasterDestination("EPITOME_IMAGE", self.tr("Epitome image"), optional=True,
                                                    createByDefault=True),
            "GeoTIFF (no CRS) to look at the epitome. Bands, for C imagery bands: 1..C the means (in the "
            "imagery's units), C+1..2C the variances (data scaled to [0, 1]), 2C+1 the log prior (log p(window), "
            "normalised over all epitomes), 2C+2 the usage (share of training samples whose most likely window "
            "covers the pixel). Several epitomes are stacked vertically (N rows each).")
        add(QgsProcessingParameterFileDestination("REPORT_CSV", self.tr("Training report (CSV)"),
                                                  fileFilter="CSV files (*.csv)", optional=True,
                                                  createByDefault=False),
            "Optional CSV, one row per step: step, loss and worst-quartile loss (nats per value, lower is "
            "better), share of windows used as a best window in the batch, seconds.")
        add(QgsProcessingParameterFileDestination("REPORT_PNG", self.tr("Training report (PNG)"),
                                                  fileFilter="PNG files (*.png)", optional=True,
                                                  createByDefault=False),
            "Optional plot of the loss, the worst-quartile loss and the usage per step (needs matplotlib).")
        self.addOutput(QgsProcessingOutputNumber("STEPS_DONE", self.tr("Steps trained by this run")))
        self.addOutput(QgsProcessingOutputNumber("SECONDS", self.tr("Training time (s)")))
        self.addOutput(QgsProcessingOutputNumber("PATCHES_PER_SECOND", self.tr("Patches per second")))
        self.addOutput(QgsProcessingOutputNumber("FINAL_LOSS", self.tr("Final loss (nats per value)")))
        self.addOutput(QgsProcessingOutputNumber("FINAL_WORST_LOSS",
                                                 self.tr("Final worst-quartile loss (nats per value)")))
        self.addOutput(QgsProcessingOutputString("DEVICE_USED", self.tr("Device used")))

    def canExecute(self):  # noqa: N802
        from ...algorithms.device import torch_status

        return torch_status()

    # --------------------------------------------------------------------------------------------

    def _params(self, parameters, context):
        temp = parameters.get("TEMPERATURE")
        temperature = None
        if temp not in (None, ""):
            temperature = self.parameterAsDouble(parameters, "TEMPERATURE", context) or None
        return TrainParams(
            size=self.parameterAsInt(parameters, "SIZE", context),
            count=self.parameterAsInt(parameters, "COUNT", context),
            patch_min=self.parameterAsInt(parameters, "PATCH_MIN", context),
            patch_max=self.parameterAsInt(parameters, "PATCH_MAX", context),
            steps=self.parameterAsInt(parameters, "STEPS", context),
            batch_size=self.parameterAsInt(parameters, "BATCH_SIZE", context),
            learning_rate=self.parameterAsDouble(parameters, "LEARNING_RATE", context),
            temperature=temperature,
            promotion=self.parameterAsDouble(parameters, "PROMOTION", context),
            promotion_reset=self.parameterAsDouble(parameters, "PROMOTION_RESET", context),
            diversify=self.parameterAsDouble(parameters, "DIVERSIFY", context),
            cascade=self.parameterAsInt(parameters, "CASCADE", context),
            backend=BACKENDS[self.parameterAsEnum(parameters, "BACKEND", context)],
            seed=self.parameterAsInt(parameters, "SEED", context),
        )

    def _lists(self, parameters, context):
        bands = parse_int_list(self.parameterAsString(parameters, "BANDS", context), "BANDS")
        labels = parse_int_list(self.parameterAsString(parameters, "GUIDE_LABELS", context), "GUIDE_LABELS")
        if any(b < 1 for b in bands):
            raise ValueError("BANDS: band numbers start at 1.")
        return bands, labels

    def checkParameterValues(self, parameters, context):  # noqa: N802
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        try:
            self._params(parameters, context).validate()
            _, labels = self._lists(parameters, context)
        except ValueError as e:
            return False, str(e)
        guide = self.parameterAsRasterLayer(parameters, "GUIDE", context)
        if guide is not None and not labels:
            return False, self.tr("GUIDE_LABELS: give the guide label codes to sample around (e.g. 4), or leave "
                                  "GUIDE empty.")
        if labels and guide is None:
            return False, self.tr("GUIDE_LABELS needs a GUIDE label raster.")
        dev = self.parameterAsString(parameters, "DEVICE", context) or "auto"
        if not is_device_name(dev):
            return False, self.tr(f"DEVICE {dev!r} is not one of auto, cpu, cuda, cuda:N (N = GPU index).")
        init = self.parameterAsFile(parameters, "INIT", context)
        if init:
            from ...algorithms.epitome.model_file import load_model

            try:
                load_model(init)
            except EpitomeError as e:
                return False, f"INIT: {e}"
            if self.parameterAsInt(parameters, "CASCADE", context) != 0:
                return False, self.tr("INIT (continue training) works with CASCADE 0 only.")
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()
        from ...algorithms.epitome.train_job import TrainJob, run_training

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
        fb = QgsFeedbackAdapter(feedback)
        # the desktop's training monitor dock follows the run through the hub (no listener in qgis_process)
        monitor = hub()
        total = params.steps * (3 if params.cascade else 1)
        run_id = monitor.begin(feedback, dict(imagery=[os.path.basename(q) for q in paths], model=model,
                                              size=params.size, count=params.count, steps=total,
                                              batch=params.batch_size, cascade=params.cascade))
        if monitor.listening():
            job.monitor = lambda snap: monitor.post(run_id, snap)
        job.monitor_every = max(1, min(10, total // 50))
        ended = (False, self.tr("Failed"))
        try:
            stats = run_training(job, fb)
            ended = (True, self.tr("Finished: {} steps in {:.0f} s").format(stats["steps"], stats["seconds"]))
        except Cancelled:
            if os.path.isfile(model):
                ended = (False, self.tr("Cancelled: the partial model is saved to {}").format(model))
                raise QgsProcessingException(
                    f"Cancelled by the user: the partial model was saved to MODEL ({model}); give it as INIT to "
                    "continue training. No other output was written.")
            ended = (False, self.tr("Cancelled: no output was written."))
            raise QgsProcessingException("Cancelled by the user: no output was written.")
        except (EpitomeError, ValueError) as e:
            ended = (False, str(e))
            raise QgsProcessingException(str(e))
        finally:
            monitor.end(run_id, *ended)
        if image:
            style_epitome_image(context, image, self.tr("Epitome"))
        return {"MODEL": model, "EPITOME_IMAGE": image, "REPORT_CSV": csv,
                "REPORT_PNG": png if png and os.path.isfile(png) else None,
                "STEPS_DONE": stats["steps"], "SECONDS": stats["seconds"],
                "PATCHES_PER_SECOND": stats["patches_per_second"], "FINAL_LOSS": stats["final_loss"],
                "FINAL_WORST_LOSS": stats["final_worst_loss"], "DEVICE_USED": stats["device"]}
