"""Processing algorithm epitome:embedlabels - glue only (Eq. 6: high-resolution labels into a trained epitome)."""

import json

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFile,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterString,
)

from ...algorithms.epitome.apply import ApplyParams
from ...algorithms.epitome.embed_job import EmbedLabelsJob, run_embed_labels
from .base import EpitomeAlgorithm, check_device_name, device_setting, raster_path, require_torch, run_job
from .declarations import CoreNumber, Declared
from .predict import (
    BACKEND,
    BATCH_SIZE,
    CENTRE,
    DEVICE,
    PATCH_SIZE,
    TEMPERATURE,
    check_model,
    embedding_image_parameter,
    model_parameter,
    output_model_parameter,
    tif_outputs,
)
from .styling import style_rgb_image


def raster_paths(alg, parameters, name, context):
    return [raster_path(lyr, name) for lyr in alg.parameterAsLayerList(parameters, name, context)]


def check_pairs(alg, parameters, context, other):
    """One `other` raster per IMAGERY raster (ValueError saying what to change)."""
    n_img = len(alg.parameterAsLayerList(parameters, "IMAGERY", context))
    n_other = len(alg.parameterAsLayerList(parameters, other, context))
    if n_img == 0:
        raise ValueError("IMAGERY: give at least one raster layer.")
    if n_other != n_img:
        raise ValueError(f"{other}: give one raster per IMAGERY raster, in the same order ({n_img} imagery, "
                         f"{n_other} {other.lower()}).")


class EmbedLabelsAlgorithm(EpitomeAlgorithm):
    needs_torch = True
    icon_name = "train.svg"
    group_id = "epitomes"
    PARAMETERS = (
        model_parameter("A trained epitome (the MODEL of epitome:trainepitome). Its label embedding, if any, is "
                        "replaced in OUTPUT_MODEL."),
        Declared("IMAGERY", "Imagery",
                 "One or more imagery rasters with the bands the model was trained on (any size; read by strips).",
                 lambda n, t: QgsProcessingParameterMultipleLayers(n, t, QgsProcessing.TypeRaster)),
        Declared("LABELS", "High-resolution labels (one per imagery raster)",
                 "One label raster per IMAGERY raster, in the same order: codes 1..L, 0 (or the raster's nodata "
                 "value) = no label. Any CRS, resolution and alignment: resampled onto each imagery grid by nearest "
                 "neighbour (mode when finer than the imagery).",
                 lambda n, t: QgsProcessingParameterMultipleLayers(n, t, QgsProcessing.TypeRaster)),
        Declared("LABEL_NAMES", "Label names (comma-separated)",
                 "Names of labels 1..L, e.g. water,forest,field,built. Empty: from LABEL_TABLE, else from the first "
                 "label raster's category names and colour table, else 'label 1'..'label L'.",
                 lambda n, t: QgsProcessingParameterString(n, t, optional=True)),
        Declared("LABEL_TABLE", "Label table (CSV)",
                 "Optional CSV whose header row names the labels (the word class, then the label names: "
                 "class,water,forest,...; a composition table "
                 "works) and whose optional 'colour' row gives their colours.",
                 lambda n, t: QgsProcessingParameterFile(n, t, behavior=QgsProcessingParameterFile.File,
                                                         extension="csv", optional=True)),
        PATCH_SIZE, CENTRE,
        CoreNumber(ApplyParams, "samples", "Share of the patch grid",
                   "Share of the CENTRE x CENTRE blocks (with labels) embedded: 1 embeds every labelled pixel once; "
                   "smaller values draw a random subset (faster on large rasters)."),
        TEMPERATURE, BATCH_SIZE, BACKEND, DEVICE,
        CoreNumber(ApplyParams, "seed", "Random seed",
                   "Seed of the block subset when SAMPLES is below 1: the same inputs and seed give identical models.",
                   advanced=True),
        output_model_parameter(), embedding_image_parameter(),
    )
    OUTPUTS = (("PATCHES", "Patches embedded", QgsProcessingOutputNumber),
               ("PIXELS_PER_LABEL", "Labelled pixels embedded per label (JSON)", QgsProcessingOutputString),
               ("REACHED", "Share of epitome pixels that received labels", QgsProcessingOutputNumber),
               ("SECONDS", "Processing time (s)", QgsProcessingOutputNumber),
               ("DEVICE_USED", "Device used", QgsProcessingOutputString))

    def name(self):
        return "embedlabels"

    def displayName(self):  # noqa: N802
        return self.tr("Embed high-resolution labels into an epitome")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Puts high-resolution labels into a trained epitome (Malkin, Ortiz, Jojic, ECCV 2020, Eq. 6): each "
            "PATCH_SIZE patch of the imagery (around a CENTRE x CENTRE block) gets a posterior over every window "
            "of the epitome, and the labels of its centre block are added to the epitome pixels each window maps "
            "them to, weighted by that posterior. Normalised, this gives p(label | epitome pixel).\n"
            "Inputs: the MODEL of epitome:trainepitome, imagery with its bands and one label raster per "
            "imagery raster (codes 1..L, any CRS or grid: nearest neighbour). Label names and colours come from "
            "LABEL_NAMES, LABEL_TABLE or the label raster's categories.\nOutputs: OUTPUT_MODEL, the "
            "model with its label embedding, names and colours - give it to epitome:predict to label any imagery "
            "- and an optional picture of the embedding.\nNeeds PyTorch in QGIS's Python.")

    def check(self, parameters, context):
        check_pairs(self, parameters, context, "LABELS")
        check_model(self, parameters, context, self.core_params(parameters, context, ApplyParams))
        table = self.parameterAsFile(parameters, "LABEL_TABLE", context)
        if table:
            from ...algorithms.composition.table import load_composition

            load_composition(table)  # CompositionError: the line and what to change
        check_device_name(self.parameterAsString(parameters, "DEVICE", context))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()

        names = [t.strip() for t in (self.parameterAsString(parameters, "LABEL_NAMES", context) or "").split(",")
                 if t.strip()]
        try:
            check_pairs(self, parameters, context, "LABELS")
            params = self.core_params(parameters, context, ApplyParams)
        except ValueError as e:
            raise QgsProcessingException(str(e))
        image = tif_outputs(self, parameters, context, ("EMBEDDING_IMAGE",))["EMBEDDING_IMAGE"]
        out = self.parameterAsFileOutput(parameters, "OUTPUT_MODEL", context)
        job = EmbedLabelsJob(self.parameterAsFile(parameters, "MODEL", context),
                             raster_paths(self, parameters, "IMAGERY", context),
                             raster_paths(self, parameters, "LABELS", context), out, label_names=names,
                             label_table=self.parameterAsFile(parameters, "LABEL_TABLE", context) or None,
                             params=params,
                             device=device_setting(self.parameterAsString(parameters, "DEVICE", context)),
                             embedding_image=image)
        stats = run_job(run_embed_labels, job, feedback)
        if image:
            style_rgb_image(context, image, self.tr("Label embedding"))
        return {"OUTPUT_MODEL": out, "EMBEDDING_IMAGE": image, "PATCHES": stats["patches"],
                "PIXELS_PER_LABEL": json.dumps(stats["pixels_per_label"]), "REACHED": stats["reached"],
                "SECONDS": stats["seconds"], "DEVICE_USED": stats["device"]}
