"""Processing algorithm epitome:predict - glue only. Also the declarations shared by the three algorithms
that apply a trained epitome (embedlabels, epitomiclsr, predict): MODEL, the patch grid, DEVICE."""

import json
import os
from types import SimpleNamespace

from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from ...algorithms.epitome.apply import ApplyParams
from ...algorithms.epitome.model_file import load_model
from ...algorithms.epitome.predict_job import PredictJob, run_predict
from ...algorithms.errors import EpitomeError
from ...algorithms.io.label_rasters import LabelPaths
from ..i18n import tr
from .base import (
    EpitomeAlgorithm,
    check_device_name,
    check_scheduler,
    device_setting,
    raster_path,
    require_torch,
    run_job,
)
from .declarations import (
    CONFIDENCE,
    PROBABILITIES,
    SCHEDULER,
    CoreChoice,
    CoreNumber,
    Declared,
    optional_raster_output,
)
from .device_param import device_parameter
from .styling import RunGroup, is_temporary, style_label_output, style_probability_output, style_stretched_output
from .trainepitome import BACKEND_TITLES, BACKENDS


def model_parameter(help_text):
    return Declared("MODEL", "Epitome model (.epitome)", help_text,
                    lambda n, t: QgsProcessingParameterFile(n, t, behavior=QgsProcessingParameterFile.File,
                                                            extension="epitome"))


def output_model_parameter():
    return Declared("OUTPUT_MODEL", "Model with the label embedding",
                    "The MODEL with p(label | epitome pixel), the label names and colours added (.epitome; the input "
                    "MODEL is not changed). Give it to epitome:predict. Written atomically.",
                    lambda n, t: QgsProcessingParameterFileDestination(n, t, fileFilter="Epitome model (*.epitome)"))


def embedding_image_parameter():
    return Declared("EMBEDDING_IMAGE", "Picture of the label embedding",
                    "Optional RGB GeoTIFF (no CRS): each epitome pixel in the colours of its labels mixed by "
                    "p(label | pixel); pale where no patch reached it. Several epitomes are stacked vertically.",
                    optional_raster_output)


PATCH_SIZE = CoreNumber(ApplyParams, "patch_size", "Patch size K (odd)",
                        "Side K of the image patches matched against the epitome windows, in imagery pixels; odd and "
                        "at most the epitome size (paper: 31). Best within the PATCH_MIN..PATCH_MAX the model was "
                        "trained with.")
CENTRE = CoreNumber(ApplyParams, "centre", "Centre block Q (odd)",
                    "Side Q of the centre block of each patch whose labels are used: the raster is tiled by Q x Q "
                    "blocks, each seen through the K x K patch around it (paper: 11 x 11 centres of 31 x 31 "
                    "patches). Odd, at most PATCH_SIZE.")
TEMPERATURE = CoreNumber(ApplyParams, "temperature", "Temperature (empty or 0: (K/11)^2)",
                         "Patch log-likelihoods are divided by this temperature before the posterior over the epitome "
                         "windows is taken; higher values average over more windows. Empty or 0 uses (K/11)^2, the "
                         "training temperature for patches of side K.", advanced=True, zero_is_none=True)
BATCH_SIZE = CoreNumber(ApplyParams, "batch_size", "Patches per batch",
                        "Patches whose posteriors are computed at once: memory grows with BATCH_SIZE x epitome pixels "
                        "x COUNT.", advanced=True)
BACKEND = CoreChoice(ApplyParams, "backend", "Likelihood backend",
                     "How patch likelihoods over all epitome windows are computed (as in epitome:trainepitome); the "
                     "choices give the same numbers within float precision.",
                     options=tuple(zip(BACKENDS, BACKEND_TITLES)), advanced=True)
DEVICE = device_parameter("A GPU that runs out of memory goes on with smaller batches, then on the CPU, with a "
                          "warning.")
TOP_K = CoreNumber(ApplyParams, "top_k", "Windows per patch (0 = all, exact)",
                   "0: the exact posterior over every epitome window (Eq. 2). k above 0: only the k most probable "
                   "windows of each patch, renormalised - a faster approximation (docs/BENCHMARKS_EPITOME.md gives "
                   "its speed and accuracy cost).", advanced=True)


def label_scheme_of(model):
    """What styling.style_label_output reads: the labels and colours of the model's embedding."""
    return SimpleNamespace(labels=list(model.labels.names), colours=list(model.labels.colours))


def tif_outputs(alg, parameters, context, names):
    """{name: path or None} of raster destinations, each a GeoTIFF (a clear error otherwise)."""
    out = {}
    for name in names:
        path = alg.parameterAsOutputLayer(parameters, name, context) or None
        if path and os.path.splitext(path)[1].lower() not in (".tif", ".tiff"):
            raise QgsProcessingException(f"{name} must be a GeoTIFF (.tif) file; got {path!r}.")
        out[name] = path
    return out


def check_model(alg, parameters, context, params, need_labels=False):
    """The MODEL loaded (ValueError naming MODEL), and the patch parameters checked against its size."""

    path = alg.parameterAsFile(parameters, "MODEL", context)
    try:
        model = load_model(path)
    except EpitomeError as e:
        raise ValueError(f"MODEL: {e}")
    if need_labels and model.labels is None:
        raise ValueError(f"MODEL {path!r} has no label embedding: run epitome:embedlabels (high-resolution labels) "
                         "or epitome:epitomiclsr (coarse classes) on it and give their OUTPUT_MODEL.")
    params.validate(model.size)
    return model


class PredictAlgorithm(EpitomeAlgorithm):
    needs_torch = True
    icon_name = "lsr.svg"
    group_id = "epitomes"
    PARAMETERS = (
        model_parameter("A model with a label embedding: the OUTPUT_MODEL of epitome:embedlabels or "
                        "epitome:epitomiclsr (a model straight from epitome:trainepitome has no labels yet)."),
        Declared("IMAGERY", "Imagery",
                 "The imagery to label, with the bands the model was trained on (the model's band scaling is used). "
                 "Any size: it is read and written by strips.",
                 lambda n, t: QgsProcessingParameterRasterLayer(n, t)),
        PATCH_SIZE, CENTRE, TEMPERATURE, TOP_K, BATCH_SIZE, BACKEND, DEVICE, SCHEDULER,
        Declared("OUTPUT", "Labels",
                 "Label raster on the imagery grid: codes 1..L in the order of the model's labels, 0 = nodata; GeoTIFF "
                 "with a colour table, label names and a .qml style.",
                 lambda n, t: QgsProcessingParameterRasterDestination(n, t)),
        PROBABILITIES, CONFIDENCE,
        Declared("NOVELTY", "Novelty",
                 "Optional: one float32 band, -log p(patch) per value under the model (nats; the patch around each "
                 "centre block, temperature 1): high where the imagery is unlike anything the epitome learned, so "
                 "the labels should not be trusted there. -9999 = nodata.",
                 optional_raster_output),
    )
    OUTPUTS = (("SECONDS", "Processing time (s)", QgsProcessingOutputNumber),
               ("KM2_PER_MINUTE", "Speed (km^2 per minute)", QgsProcessingOutputNumber),
               ("LABEL_COUNTS", "Pixels per label (JSON)", QgsProcessingOutputString),
               ("DEVICE_USED", "Device used", QgsProcessingOutputString))

    def name(self):
        return "predict"

    def displayName(self):  # noqa: N802
        return self.tr("Predict labels with a trained epitome")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Labels imagery with a trained epitome that carries a label embedding (Malkin, Ortiz, Jojic, ECCV "
            "2020, Eq. 2): the raster is tiled by CENTRE x CENTRE blocks; for each, the PATCH_SIZE patch around it "
            "gets a posterior over every window of the epitome, and each pixel's label distribution is the "
            "posterior-weighted mean of the embedded p(label | epitome pixel) it maps to. Cost is linear in the "
            "area.\nInputs: a MODEL from epitome:embedlabels or epitome:epitomiclsr, and imagery with "
            "its bands. Nodata pixels, and pixels beyond the raster's edge, drop out of the patch likelihoods; "
            "nodata pixels get label 0.\nOutputs: labels (styled), optional probabilities, confidence "
            "and NOVELTY - how unlike the epitome each patch is, to see where the map should not be trusted. The "
            "raster is processed by strips with a fixed patch grid, so the result does not depend on the strip "
            "size (no seams).\nNeeds PyTorch in QGIS's Python. Runs on the GPU when DEVICE is auto and CUDA "
            "is available.")

    def check(self, parameters, context):
        check_model(self, parameters, context, self.core_params(parameters, context, ApplyParams), need_labels=True)
        check_device_name(self.parameterAsString(parameters, "DEVICE", context))
        check_scheduler(self.parameterAsString(parameters, "SCHEDULER", context))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()

        img = raster_path(self.parameterAsRasterLayer(parameters, "IMAGERY", context), "IMAGERY")
        try:
            params = self.core_params(parameters, context, ApplyParams)
            model = check_model(self, parameters, context, params, need_labels=True)
        except (ValueError, EpitomeError) as e:
            raise QgsProcessingException(str(e))
        outs = tif_outputs(self, parameters, context, ("OUTPUT", "PROBABILITIES", "CONFIDENCE", "NOVELTY"))
        job = PredictJob(self.parameterAsFile(parameters, "MODEL", context), img,
                         LabelPaths(outs["OUTPUT"], outs["PROBABILITIES"], outs["CONFIDENCE"], novelty=outs["NOVELTY"]),
                         params, device_setting(self.parameterAsString(parameters, "DEVICE", context)),
                         scheduler=self.parameterAsString(parameters, "SCHEDULER", context) or "")
        stats = run_job(run_predict, job, feedback)
        layer = self.parameterAsRasterLayer(parameters, "IMAGERY", context)
        style_predictions(context, outs, model, layer.name(), self.tr("Epitome prediction"))
        return dict(outs, SECONDS=stats["seconds"], KM2_PER_MINUTE=stats["km2_per_minute"],
                    LABEL_COUNTS=json.dumps(stats["label_counts"]), DEVICE_USED=stats["device"])


def style_predictions(context, outs, model, imagery_name, method):
    """The outputs as QGIS loads them, named after their file (or, for temporary outputs, the imagery) -
    '<name> labels', '<name> novelty' - in one group '<imagery> – <method>' when more than one is loaded: the
    labels paletted with the model's names and colours on top, the others graded and unchecked."""

    def base(path):
        return imagery_name if is_temporary(path) else os.path.splitext(os.path.basename(path))[0]

    loaded = [p for p in outs.values() if p and context.willLoadLayerOnCompletion(p)]
    group = RunGroup(tr("{} – {}").format(imagery_name, method)) if len(loaded) > 1 else None
    if outs.get("OUTPUT"):
        style_label_output(context, outs["OUTPUT"], label_scheme_of(model),
                           tr("{} labels").format(base(outs["OUTPUT"])),
                           group)
    for rank, (name, title) in enumerate(((n, t) for n, t in (("PROBABILITIES", tr("{} probabilities")),
                                                               ("CONFIDENCE", tr("{} confidence"))) if outs.get(n)), 1):
        style_probability_output(context, outs[name], None, title.format(base(outs[name])), group, rank, False)
    if outs.get("NOVELTY"):
        style_stretched_output(context, outs["NOVELTY"], tr("{} novelty").format(base(outs["NOVELTY"])), group, 3,
                               False)
