"""Processing algorithm epitome:epitomiclsr - glue only (all-tile epitomic label super-resolution,
Eqs. 7-11: coarse classes into a trained epitome, then the LSR EM)."""

import json

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterMultipleLayers,
)

from ...algorithms.composition.table import CompositionError, load_composition
from ...algorithms.epitome.apply import ApplyParams
from ...algorithms.epitome.model_file import load_model
from ...algorithms.io.label_rasters import LabelPaths
from ...algorithms.lsr.epitomic_job import EpitomicLsrJob, run_epitomic_lsr
from . import align_param
from .base import EpitomeAlgorithm, check_device_name, check_scheduler, device_setting, require_torch, run_job
from .declarations import SCHEDULER, CoreNumber, Declared, optional_raster_output
from .embedlabels import check_pairs, raster_paths
from .predict import (
    BACKEND,
    BATCH_SIZE,
    CENTRE,
    DEVICE,
    PATCH_SIZE,
    TEMPERATURE,
    TOP_K,
    check_model,
    embedding_image_parameter,
    model_parameter,
    output_model_parameter,
    style_predictions,
    tif_outputs,
)
from .selfepitomiclsr import composition_parameter
from .styling import style_rgb_image


class EpitomicLsrAlgorithm(EpitomeAlgorithm):
    needs_torch = True
    icon_name = "lsr.svg"
    PARAMETERS = (
        model_parameter("A trained epitome (the MODEL of epitome:trainepitome), ideally trained on imagery like "
                        "IMAGERY. Its label embedding, if any, is replaced in OUTPUT_MODEL."),
        Declared("IMAGERY", "Imagery",
                 "One or more imagery rasters with the bands the model was trained on (any size; read by strips).",
                 lambda n, t: QgsProcessingParameterMultipleLayers(n, t, QgsProcessing.TypeRaster)),
        Declared("CLASSES", "Coarse classes (one per imagery raster)",
                 "One coarse class raster (e.g. NLCD 30 m) per IMAGERY raster, in the same order. Any CRS, "
                 "resolution and alignment: resampled onto each imagery grid by nearest neighbour (mode when finer), "
                 "never interpolated. Codes must be rows of the composition table (NLCD 0 and 255 count as nodata "
                 "with the built-in table).",
                 lambda n, t: QgsProcessingParameterMultipleLayers(n, t, QgsProcessing.TypeRaster)),
        Declared("COMPOSITION", "Composition table p(label | class) (CSV)",
                 "CSV with a header row 'class' followed by the label names (e.g. class,water,forest,field,built) and "
                 "one row per coarse class code; rows are renormalised. Empty: the built-in table from NLCD codes to "
                 "water, forest, field, built (Chesapeake region). The same table as epitome:selfepitomiclsr.",
                 composition_parameter),
        align_param.ALIGN, align_param.MAX_SHIFT,
        Declared("UNKNOWN_AS_NODATA", "Treat class codes missing from the table as nodata",
                 "Off: codes absent from the composition table stop the run with a list of them. On: such pixels "
                 "are left out.", lambda n, t: QgsProcessingParameterBoolean(n, t, False), advanced=True),
        PATCH_SIZE, CENTRE,
        CoreNumber(ApplyParams, "samples", "Share of the patch grid",
                   "Share of the CENTRE x CENTRE blocks (with a class) embedded: 1 embeds every pixel's class once; "
                   "smaller values draw a random subset (faster on large rasters)."),
        CoreNumber(ApplyParams, "em_iterations", "EM iterations",
                   "Iterations of the label super-resolution EM (Eqs. 7-9) over the epitome pixels.", advanced=True),
        TEMPERATURE, TOP_K, BATCH_SIZE, BACKEND, DEVICE, SCHEDULER,
        CoreNumber(ApplyParams, "seed", "Random seed",
                   "Seed of the block subset when SAMPLES is below 1: the same inputs and seed give identical outputs.",
                   advanced=True),
        output_model_parameter(), embedding_image_parameter(),
        Declared("OUTPUT", "Labels of the first imagery raster",
                 "Optional: the label map of the first IMAGERY raster predicted with OUTPUT_MODEL in the same run "
                 "(as epitome:predict): codes 1..L in the composition's column order, 0 = nodata, styled. Label "
                 "other rasters with epitome:predict.",
                 optional_raster_output),
    )
    OUTPUTS = (("PATCHES", "Patches embedded", QgsProcessingOutputNumber),
               ("CLASS_SHARES", "Observed class shares p(c) (JSON)", QgsProcessingOutputString),
               ("SECONDS", "Processing time (s)", QgsProcessingOutputNumber),
               ("DEVICE_USED", "Device used", QgsProcessingOutputString)) + align_param.OUTPUTS

    def name(self):
        return "epitomiclsr"

    def displayName(self):  # noqa: N802
        return self.tr("Epitomic label super-resolution (trained epitome)")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "All-tile epitomic label super-resolution (Malkin, Ortiz, Jojic, ECCV 2020, section 4): the coarse "
            "classes of the imagery are embedded into a trained epitome - p(epitome pixel | class), from the "
            "posteriors of the patches of each class (Eqs. 10-11) - and an EM weighted by the observed share of "
            "each class finds p(label | epitome pixel) whose class statistics match the composition table "
            "(Eqs. 7-9). No high-resolution labels are needed.\nInputs: the MODEL of "
            "epitome:trainepitome, imagery and one coarse class raster per imagery raster (any CRS), the "
            "composition table (same rules as epitome:selfepitomiclsr).\nOutputs: OUTPUT_MODEL with "
            "the label embedding (give it to epitome:predict for any imagery), a picture of the embedding and, "
            "optionally, the label map of the first imagery raster.\nNeeds PyTorch in QGIS's Python.")

    def check(self, parameters, context):
        check_pairs(self, parameters, context, "CLASSES")
        path = self.parameterAsFile(parameters, "COMPOSITION", context)
        if path:
            load_composition(path)  # CompositionError: the line and what to change
        check_model(self, parameters, context, self.core_params(parameters, context, ApplyParams))
        check_device_name(self.parameterAsString(parameters, "DEVICE", context))
        check_scheduler(self.parameterAsString(parameters, "SCHEDULER", context))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()

        try:
            check_pairs(self, parameters, context, "CLASSES")
            comp = load_composition(self.parameterAsFile(parameters, "COMPOSITION", context) or None)
            params = self.core_params(parameters, context, ApplyParams)
        except (CompositionError, ValueError) as e:
            raise QgsProcessingException(str(e))
        outs = tif_outputs(self, parameters, context, ("EMBEDDING_IMAGE", "OUTPUT"))
        out_model = self.parameterAsFileOutput(parameters, "OUTPUT_MODEL", context)
        imagery = raster_paths(self, parameters, "IMAGERY", context)
        given = raster_paths(self, parameters, "CLASSES", context)
        with align_param.align_run_pairs(self, parameters, context, feedback, imagery, given) as (classes, regs):
            stats = self._run(parameters, context, feedback, imagery, (classes, given), comp, params, outs, out_model)
        if outs["EMBEDDING_IMAGE"]:
            style_rgb_image(context, outs["EMBEDDING_IMAGE"], self.tr("Label embedding (LSR)"))
        if outs["OUTPUT"]:
            first = self.parameterAsLayerList(parameters, "IMAGERY", context)[0].name()
            style_predictions(context, {"OUTPUT": outs["OUTPUT"]}, load_model(out_model), first,
                              self.tr("Epitomic LSR"))
        return {"OUTPUT_MODEL": out_model, "EMBEDDING_IMAGE": outs["EMBEDDING_IMAGE"], "OUTPUT": outs["OUTPUT"],
                "PATCHES": stats["patches"], "CLASS_SHARES": json.dumps(stats["p_class"]),
                "SECONDS": stats["seconds"], "DEVICE_USED": stats["device"],
                **align_param.pairs_results(regs, parameters, context, self)}

    def _run(self, parameters, context, feedback, imagery, classes, comp, params, outs, out_model):
        """The core job on the class rasters the run reads (moved back by ALIGN when it corrects; classes: those and
        the rasters as given)."""
        classes, given = classes
        job = EpitomicLsrJob(self.parameterAsFile(parameters, "MODEL", context), imagery, classes, comp, out_model,
                             outputs=LabelPaths(outs["OUTPUT"]) if outs["OUTPUT"] else None,
                             unknown_as_nodata=self.parameterAsBool(parameters, "UNKNOWN_AS_NODATA", context),
                             params=params,
                             device=device_setting(self.parameterAsString(parameters, "DEVICE", context)),
                             embedding_image=outs["EMBEDDING_IMAGE"], given_classes=given,
                             scheduler=self.parameterAsString(parameters, "SCHEDULER", context) or "")
        return run_job(run_epitomic_lsr, job, feedback)
