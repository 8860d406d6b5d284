"""Processing algorithm epitome:selfepitomiclsr - glue only: parameters, validation, outputs, styling."""

import os

from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBand,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ...algorithms.composition.table import CompositionError, load_composition
from ...algorithms.errors import Cancelled, EpitomeError
from ...algorithms.lsr.params import FUSION_MODES, LsrParams
from .base import EpitomeAlgorithm, QgsFeedbackAdapter, block_elements_setting, device_setting, raster_path, require_torch
from .styling import style_label_output, style_probability_output

DEFAULTS = LsrParams()
FUSION_TITLES = {
    "none": "None: pure self-epitomic p(label | pixel)",
    "product": "Product with the pixel's own class composition p(label | class)",
    "bayes": "Bayes: replace the tile's label prior by the pixel's class composition",
}


class SelfEpitomicLsrAlgorithm(EpitomeAlgorithm):
    icon_name = "lsr.svg"

    def name(self):
        return "selfepitomiclsr"

    def displayName(self):  # noqa: N802
        return self.tr("Self-epitomic label super-resolution")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "<p>Turns a coarse class layer (e.g. NLCD at 30 m) into a high-resolution label map on the grid of "
            "the imagery (e.g. NAIP at 1 m), with no training data: each tile of imagery is used as its own "
            "epitome (Malkin, Ortiz, Jojic, ECCV 2020, self-epitomic LSR).</p>"
            "<p>For every tile: the imagery is downsampled, K x K patches are sampled as queries, each query's "
            "posterior over all windows of the tile (Gaussian likelihood, fixed variance, uniform prior) spreads "
            "its coarse class over the windows that look alike; an EM then finds per-pixel label distributions "
            "p(label | pixel) whose class statistics match the composition table p(label | class), weighted by "
            "the observed share of each class in the tile. Tiles overlap and are blended, so no seams show.</p>"
            "<p><b>Inputs</b>: the class layer may have any CRS, resolution and alignment: it is resampled onto "
            "the imagery grid by nearest neighbour (mode when it is finer than the imagery), never interpolated. "
            "Imagery nodata (nodata value, alpha or mask) and class nodata give 0 in the output. uint8 imagery is "
            "scaled by 1/255; other types by per-band 0.5-99.5 percentiles of the whole raster.</p>"
            "<p><b>Outputs</b>: labels 1..L in the column order of the composition table (0 = nodata), a GeoTIFF "
            "with a colour table and a .qml style; optional probabilities (L float32 bands) and confidence "
            "(max_l p(label), 1/L..1).</p>"
            "<p>Needs PyTorch in QGIS's Python. Runs on the GPU when DEVICE is auto and CUDA is available.</p>")

    def initAlgorithm(self, config=None):  # noqa: N802
        d = DEFAULTS

        add = self.add_param

        add(QgsProcessingParameterRasterLayer("IMAGERY", self.tr("Imagery")),
            "High-resolution imagery (e.g. NAIP 1 m, 4 bands). Any band count and data type (uint8, uint16, float).")
        add(QgsProcessingParameterBand("BANDS", self.tr("Bands (default: all)"), None, "IMAGERY",
                                       optional=True, allowMultiple=True),
            "Imagery bands to use; empty uses every band.")
        add(QgsProcessingParameterRasterLayer("CLASSES", self.tr("Coarse classes")),
            "Coarse class layer (e.g. NLCD 30 m). Any CRS, resolution and alignment; codes must be rows of the "
            "composition table (NLCD 0 and 255 count as nodata with the built-in table).")
        composition = QgsProcessingParameterFile("COMPOSITION", self.tr("Composition table p(label | class) (CSV)"),
                                                 behavior=QgsProcessingParameterFile.File, extension="csv",
                                                 optional=True)
        # The algorithm dialog shows an "Edit..." button (plugin/composition_wrapper.py); the value stays a plain
        # file path. Named by a string, so qgis_process never imports the GUI module.
        composition.setMetadata({"widget_wrapper": {
            "class": __package__.rsplit(".", 1)[0] + ".gui.composition_wrapper.CompositionWidgetWrapper"}})
        add(composition,
            "CSV with header 'class,<label 1>,<label 2>,...' and one row per coarse class code; rows are "
            "renormalised. Empty: the built-in NLCD -> water, forest, field, built table (Chesapeake region).")
        add(QgsProcessingParameterNumber("TILE_SIZE", self.tr("Tile size (pixels)"),
                                         QgsProcessingParameterNumber.Integer, 512, minValue=32, maxValue=8192),
            "Side of the square tiles, in imagery pixels; each tile is its own epitome. Larger tiles see more "
            "examples of each class (more accurate, paper: 256 < 512 < 1024) but cost time ~ tile^4 / tile^2 "
            "per pixel. 512 is the benchmarked default.")
        add(QgsProcessingParameterNumber("DOWNSAMPLE", self.tr("Downsampling factor"),
                                         QgsProcessingParameterNumber.Integer, d.downsample, minValue=1, maxValue=16),
            "Imagery is averaged over DOWNSAMPLE x DOWNSAMPLE blocks before matching patches (2 for 1 m imagery, "
            "as in the paper). Results are brought back to the full imagery grid.", advanced=True)
        add(QgsProcessingParameterNumber("PATCH_SIZE", self.tr("Patch size (working pixels, odd)"),
                                         QgsProcessingParameterNumber.Integer, d.patch_size, minValue=1, maxValue=31),
            "Side K of the square patches compared at the working resolution (odd; 7 = 14 m at 1 m imagery with "
            "DOWNSAMPLE 2).", advanced=True)
        add(QgsProcessingParameterNumber("SAMPLES", self.tr("Share of working pixels used as query patches"),
                                         QgsProcessingParameterNumber.Double, d.samples, minValue=0.001, maxValue=1.0),
            "Number of query patches per tile as a share of its working pixels (the paper uses 0.05). Time grows "
            "linearly with it; 1 uses every window.")
        add(QgsProcessingParameterNumber("VARIANCE", self.tr("Patch variance"),
                                         QgsProcessingParameterNumber.Double, d.variance, minValue=1e-5, maxValue=10.0),
            "Fixed variance of every epitome pixel for imagery scaled to [0, 1] (paper: 0.01). Log-likelihoods "
            "are divided by the temperature K^2 (K = PATCH_SIZE), so only VARIANCE x K^2 matters: smaller values "
            "make patch matching sharper.", advanced=True)
        add(QgsProcessingParameterNumber("EM_ITERATIONS", self.tr("EM iterations"),
                                         QgsProcessingParameterNumber.Integer, d.em_iterations, minValue=1,
                                         maxValue=1000),
            "Iterations of the label super-resolution EM (Eqs. 7-9).", advanced=True)
        add(QgsProcessingParameterNumber("APPEARANCE_ITERATIONS", self.tr("Appearance refinement iterations"),
                                         QgsProcessingParameterNumber.Integer, d.appearance_iterations,
                                         optional=True, minValue=0, maxValue=100),
            "Iterations of a noisy-label mixture EM run after the LSR EM, in which a patch's label may depart from "
            "its class's composition where its appearance (a leave-one-out density over the tile's windows) is "
            "decisive. 0 = the paper's output. Helps where the coarse map is outdated; costs about 30% more "
            "time.", advanced=True)
        add(QgsProcessingParameterEnum("FUSION", self.tr("Fuse with each pixel's own coarse class"),
                                       options=[self.tr(FUSION_TITLES[m]) for m in FUSION_MODES],
                                       defaultValue=FUSION_MODES.index(d.fusion)),
            "How the final label combines the self-epitomic p(label | pixel) with the composition of the pixel's "
            "own coarse class. Fusion helps where labels are smooth (hand-drawn maps) and keeps results close to "
            "the coarse map where imagery is ambiguous.")
        add(QgsProcessingParameterNumber("FUSION_WEIGHT", self.tr("Fusion weight"),
                                         QgsProcessingParameterNumber.Double, d.fusion_weight, minValue=0.0,
                                         maxValue=10.0),
            "Exponent of the class-composition term in the fusion (0 = no fusion).", advanced=True)
        add(QgsProcessingParameterBoolean("UNKNOWN_AS_NODATA", self.tr("Treat class codes missing from the table as "
                                                                       "nodata"), False),
            "Off: codes absent from the composition table stop the run with a list of them. On: such pixels "
            "become nodata (0) in the output.", advanced=True)
        add(QgsProcessingParameterString("DEVICE", self.tr("Device (auto, cpu, cuda, cuda:N)"), "auto"),
            "auto follows the default device of Settings > Options > Epitome (itself auto by default: the first "
            "CUDA GPU when PyTorch sees one, else the CPU). A GPU that runs out of memory "
            "falls back to smaller blocks, then to the CPU, with a warning.", advanced=True)
        add(QgsProcessingParameterNumber("SEED", self.tr("Random seed"), QgsProcessingParameterNumber.Integer,
                                         d.seed, minValue=0),
            "Seed of the query sampling: the same inputs and seed give identical outputs.", advanced=True)
        add(QgsProcessingParameterRasterDestination("OUTPUT", self.tr("High-resolution labels")),
            "Label raster on the imagery grid: codes 1..L in the composition's column order, 0 = nodata; "
            "GeoTIFF with a colour table and a .qml style.")
        add(QgsProcessingParameterRasterDestination("PROBABILITIES", self.tr("Label probabilities"), optional=True,
                                                    createByDefault=False),
            "Optional: L float32 bands, p(label) per pixel (-1 = nodata).")
        add(QgsProcessingParameterRasterDestination("CONFIDENCE", self.tr("Confidence"), optional=True,
                                                    createByDefault=False),
            "Optional: one float32 band, the largest label probability max_l p(label) (1/L = no idea, 1 = sure; "
            "-1 = nodata).")
        self.addOutput(QgsProcessingOutputNumber("TILES", self.tr("Tiles processed")))
        self.addOutput(QgsProcessingOutputNumber("SECONDS", self.tr("Processing time (s)")))
        self.addOutput(QgsProcessingOutputString("LABEL_COUNTS", self.tr("Pixels per label (JSON)")))
        self.addOutput(QgsProcessingOutputString("DEVICE_USED", self.tr("Device used")))

    def _int_or_default(self, parameters, name, context, default):
        """Optional parameters added after 0.1 keep models saved without them valid."""
        if parameters.get(name) in (None, ""):
            return default
        return self.parameterAsInt(parameters, name, context)

    def canExecute(self):  # noqa: N802
        from ...algorithms.device import torch_status

        return torch_status()

    def checkParameterValues(self, parameters, context):  # noqa: N802
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            return ok, msg
        k = self.parameterAsInt(parameters, "PATCH_SIZE", context)
        if k % 2 == 0:
            return False, self.tr("PATCH_SIZE must be odd (e.g. 5, 7 or 9).")
        path = self.parameterAsFile(parameters, "COMPOSITION", context)
        if path:
            try:
                load_composition(path)
            except CompositionError as e:
                return False, str(e)
        tile = self.parameterAsInt(parameters, "TILE_SIZE", context)
        f = self.parameterAsInt(parameters, "DOWNSAMPLE", context)
        if tile // f < k:
            return False, self.tr(f"TILE_SIZE / DOWNSAMPLE = {tile // f} working pixels is smaller than PATCH_SIZE "
                                  f"{k}: raise TILE_SIZE or lower DOWNSAMPLE/PATCH_SIZE.")
        return True, ""

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()
        from ...algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr

        imagery = self.parameterAsRasterLayer(parameters, "IMAGERY", context)
        classes = self.parameterAsRasterLayer(parameters, "CLASSES", context)
        img_path = raster_path(imagery, "IMAGERY")
        cls_path = raster_path(classes, "CLASSES")
        try:
            comp = load_composition(self.parameterAsFile(parameters, "COMPOSITION", context) or None)
        except CompositionError as e:
            raise QgsProcessingException(str(e))
        params = LsrParams(
            downsample=self.parameterAsInt(parameters, "DOWNSAMPLE", context),
            patch_size=self.parameterAsInt(parameters, "PATCH_SIZE", context),
            samples=self.parameterAsDouble(parameters, "SAMPLES", context),
            variance=self.parameterAsDouble(parameters, "VARIANCE", context),
            em_iterations=self.parameterAsInt(parameters, "EM_ITERATIONS", context),
            appearance_iterations=self._int_or_default(parameters, "APPEARANCE_ITERATIONS", context,
                                                       DEFAULTS.appearance_iterations),
            fusion=FUSION_MODES[self.parameterAsEnum(parameters, "FUSION", context)],
            fusion_weight=self.parameterAsDouble(parameters, "FUSION_WEIGHT", context),
            seed=self.parameterAsInt(parameters, "SEED", context),
            block_elements=block_elements_setting(DEFAULTS.block_elements),
        )
        try:
            params.validate()
        except ValueError as e:
            raise QgsProcessingException(str(e))
        out = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        prob = self.parameterAsOutputLayer(parameters, "PROBABILITIES", context) or None
        conf = self.parameterAsOutputLayer(parameters, "CONFIDENCE", context) or None
        for p, name in ((out, "OUTPUT"), (prob, "PROBABILITIES"), (conf, "CONFIDENCE")):
            if p and os.path.splitext(p)[1].lower() not in (".tif", ".tiff"):
                raise QgsProcessingException(f"{name} must be a GeoTIFF (.tif) file; got {p!r}.")
        if not imagery.crs().isValid() or not classes.crs().isValid():
            feedback.pushInfo("Note: a layer has no CRS; layers of identical size are matched pixel by pixel.")
        job = LsrJob(
            imagery=img_path, classes=cls_path, composition=comp,
            outputs=LsrOutputs(labels=out, probabilities=prob, confidence=conf),
            bands=self.parameterAsInts(parameters, "BANDS", context) or [],
            tile_size=self.parameterAsInt(parameters, "TILE_SIZE", context),
            device=device_setting(self.parameterAsString(parameters, "DEVICE", context)),
            unknown_as_nodata=self.parameterAsBool(parameters, "UNKNOWN_AS_NODATA", context),
            params=params,
        )
        fb = QgsFeedbackAdapter(feedback)
        try:
            stats = run_self_epitomic_lsr(job, fb)
        except Cancelled:
            raise QgsProcessingException("Cancelled by the user: no output was written.")
        except (EpitomeError, ValueError) as e:
            raise QgsProcessingException(str(e))
        style_label_output(context, out, comp, self.tr("High-resolution labels"))
        if prob:
            style_probability_output(context, prob, comp, self.tr("Label probabilities"))
        if conf:
            style_probability_output(context, conf, None, self.tr("Confidence"))
        import json

        return {"OUTPUT": out, "PROBABILITIES": prob, "CONFIDENCE": conf, "TILES": stats["tiles"],
                "SECONDS": stats["seconds"], "LABEL_COUNTS": json.dumps(stats["label_counts"]),
                "DEVICE_USED": stats["device"]}
