"""Processing algorithm epitome:selfepitomiclsr - glue only: parameters, validation, outputs, styling."""

import json
import os

from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBand,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterExtent,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ...algorithms.composition.table import CompositionError, load_composition
from ...algorithms.io.label_rasters import LabelPaths
from ...algorithms.lsr.job import LsrJob, ReferenceInput, check_tile_fits, run_self_epitomic_lsr
from ...algorithms.lsr.params import FUSION_MODES, TABLE_MODES, LsrParams
from ...algorithms.lsr.trust import DEFAULT_WEIGHT
from . import align_param
from .base import (
    EpitomeAlgorithm,
    block_elements_setting,
    check_device_name,
    check_scheduler,
    device_setting,
    memory_budget,
    parse_int_list,
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
    composition_parameter,
    optional_raster_output,
)
from .device_param import device_parameter
from .layer_checks import check_not_the_same_layer
from .reference import REFERENCE, REFERENCE_FIELD, reference_source
from .styling import style_lsr_outputs

TABLE_TITLES = {
    "prior": "A prior: each pixel starts from its class's composition and follows clear appearance (default)",
    "constraint": "A constraint: each class reproduces the table's shares (the paper's EM, Eqs. 7-9)",
}

FUSION_TITLES = {
    "none": "None: appearance alone (self-epitomic p(label | pixel))",
    "product": "Naive prior: the pixel's own class composition p(label | class)",
    "bayes": "Bayes: the pixel's class composition over the area's label prior",
    "smooth": "Smooth prior: the blocks' compositions interpolated between block centres (default)",
}


PARAMETERS = (
    Declared("IMAGERY", "Imagery",
             "High-resolution imagery (e.g. NAIP 1 m, 4 bands). Any band count and data type (uint8, uint16, float).",
             lambda n, t: QgsProcessingParameterRasterLayer(n, t)),
    Declared("BANDS", "Bands (default: all)", "Imagery bands to use; empty uses every band.",
             lambda n, t: QgsProcessingParameterBand(n, t, None, "IMAGERY", optional=True, allowMultiple=True)),
    Declared("CLASSES", "Coarse classes",
             "Coarse class layer (e.g. NLCD 30 m). Any CRS, resolution and alignment; codes must be rows of the "
             "composition table (NLCD 0 and 255 count as nodata with the built-in table).",
             lambda n, t: QgsProcessingParameterRasterLayer(n, t)),
    Declared("COMPOSITION", "Composition table p(label | class) (CSV)",
             "CSV with a header row 'class' followed by the label names (e.g. class,water,forest,field,built) and one "
             "row per coarse class code; rows are renormalised. Empty: the built-in table from NLCD codes to water, "
             "forest, field, built (Chesapeake region).",
             composition_parameter),
    align_param.ALIGN, align_param.MAX_SHIFT,
    Declared("EXTENT", "Processing extent (default: the whole imagery)",
             "Limit the run to this extent (any CRS; e.g. the map canvas extent). The outputs cover the part of the "
             "imagery inside it.",
             lambda n, t: QgsProcessingParameterExtent(n, t, optional=True)),
    CoreNumber(LsrJob, "tile_size", "Tile size (pixels, empty = about 512 m)",
               "Side of the square tiles, in imagery pixels; each tile is its own epitome. Empty: about 512 m of "
               "ground (512 px at 1 m, 1024 at 0.5 m, 1707 at 0.3 m). Larger tiles see more examples of each class "
               "(more accurate; paper: 85.9% at 256, 87.0% at 512, 87.8% at 1024) but cost more time per km2."),
    CoreNumber(LsrParams, "downsample", "Downsampling factor (empty = working pixels of about 2 m)",
               "Imagery is averaged over DOWNSAMPLE x DOWNSAMPLE blocks before matching patches. Empty: working "
               "pixels of about 2 m, as the paper's 2 for 1 m NAIP (4 at 0.5 m, 7 at 0.3 m). Results are brought "
               "back to the full imagery grid.", advanced=True),
    CoreNumber(LsrParams, "patch_size", "Patch size (working pixels, odd)",
               "Side K of the square patches compared at the working resolution (odd; 7 = 14 m at 1 m imagery with "
               "DOWNSAMPLE 2).", advanced=True),
    CoreNumber(LsrParams, "samples", "Share of working pixels used as query patches",
               "Number of query patches per tile as a share of its working pixels (the paper uses 0.05). Time grows "
               "linearly with it; 1 uses every window."),
    CoreNumber(LsrParams, "variance", "Patch variance",
               "Fixed variance of every epitome pixel for imagery scaled to [0, 1] (paper: 0.01). Log-likelihoods "
               "are divided by the temperature K^2 (K = PATCH_SIZE), so only VARIANCE x K^2 matters: smaller values "
               "make patch matching sharper.", advanced=True),
    CoreNumber(LsrParams, "em_iterations", "EM iterations (at most)",
               "Iterations of the label super-resolution EM (Eqs. 7-9); fewer when EM_TOLERANCE is reached.",
               advanced=True),
    CoreNumber(LsrParams, "em_tolerance", "EM tolerance",
               "The EM stops when no pixel's label probability moved by more than this in 5 iterations (0 = always "
               "EM_ITERATIONS).", advanced=True, optional=True),
    CoreNumber(LsrParams, "key_stride", "Key window stride (working pixels)",
               "Windows of the tile used as the epitome's keys are this many working pixels apart (1 = every "
               "window, the exact dense attention). 2 or 3 divide the attention cost by 4 or 9; queries are still "
               "drawn among all windows. The accuracy it costs is measured in docs/BENCHMARKS.md.", advanced=True,
               optional=True),
    CoreNumber(LsrParams, "patch_dims", "Patch dimensions (PCA; empty = all)",
               "Patches are compared in a basis of this many principal components of the tile's windows (the "
               "window norms stay exact). Empty = the full patch vectors (bands x K x K), exact. 16 keeps the "
               "accuracy within a few tenths of a point at a fraction of the cost (docs/BENCHMARKS.md).",
               advanced=True, optional=True),
    CoreChoice(LsrParams, "table_mode", "How the composition table is used",
               "The composition table p(label | class) is an average over a region (NLCD's is national): right on "
               "average, wrong in any one place. Prior (default): every pixel starts from its coarse class's "
               "composition and takes another label only where windows that look like it clearly carry that label "
               "elsewhere in the tile. Constraint: the paper's EM first makes every class of the tile reproduce the "
               "table's label shares, then appearance refines - strong where the table holds locally, harmful where "
               "it does not (appearance invents labels to match it).",
               options=tuple((m, TABLE_TITLES[m]) for m in TABLE_MODES), advanced=True, optional=True),
    CoreNumber(LsrParams, "appearance_iterations", "Appearance iterations",
               "Iterations of the appearance mixture: a pixel's label moves away from its class's composition where "
               "the windows that look like it (a leave-one-out density over the tile's windows) carry another label. "
               "More iterations let labels spread further through look-alike windows (and errors too). 0 = no "
               "appearance (with TABLE_MODE prior: the label-only map; with constraint: the paper's EM output).",
               advanced=True, optional=True),
    CoreChoice(LsrParams, "fusion", "Label prior that appearance is fused with",
               "The final p(label | pixel) is p_appearance^w x prior^v (normalised): appearance is the self-epitomic "
               "LSR of the pixel's tile, the prior comes from the coarse map alone. Smooth (default): each block's "
               "composition p(label | class) interpolated bilinearly between block centres, the stronger of the two "
               "label-only baselines near class boundaries. Naive: the pixel's own class composition. Bayes: the "
               "pixel's composition divided by the area's label prior. None: appearance alone. Where appearance has "
               "no evidence (windows cut by nodata) the prior decides.",
               options=tuple((m, FUSION_TITLES[m]) for m in FUSION_MODES)),
    CoreNumber(LsrParams, "appearance_weight", "Appearance weight w (empty = automatic)",
               f"Exponent w of appearance in the fusion: 0 = the label-only baseline, larger = more trust in the "
               f"imagery. Empty (default): with REFERENCE samples, chosen by cross-validated accuracy on them among "
               f"0, 0.3, 1, 3 and appearance alone, with the smooth or the naive prior; without samples "
               f"{DEFAULT_WEIGHT:g}, the weight chosen on one group of real cases and checked on the others "
               f"(docs/BENCHMARKS.md). Give a number to fix it."),
    CoreNumber(LsrParams, "fusion_weight", "Prior weight v",
               "Exponent v of the label prior in the fusion (1 by default; 0 = appearance alone).", advanced=True),
    Declared("NODATA_CODES", "No-data class codes (comma-separated)",
             "Class codes that mean 'no data' besides those in the composition table's 'nodata' row and the class "
             "layer's own nodata value (e.g. 0,255 for NLCD); such pixels are 0 in the output.",
             lambda n, t: QgsProcessingParameterString(n, t, optional=True), advanced=True),
    Declared("UNKNOWN_AS_NODATA", "Treat class codes missing from the table as nodata",
             "Off: codes absent from the composition table stop the run with a list of them. On: such pixels "
             "become nodata (0) in the output.",
             lambda n, t: QgsProcessingParameterBoolean(n, t, False), advanced=True),
    device_parameter("A GPU that runs out of memory falls back to smaller blocks, then to the CPU, with a warning."),
    CoreNumber(LsrParams, "seed", "Random seed",
               "Seed of the query sampling: the same inputs and seed give identical outputs.", advanced=True),
    REFERENCE, REFERENCE_FIELD, SCHEDULER,
    Declared("OUTPUT", "High-resolution labels",
             "Label raster on the imagery grid: codes 1..L in the composition's column order, 0 = nodata; "
             "GeoTIFF with a colour table and a .qml style.",
             lambda n, t: QgsProcessingParameterRasterDestination(n, t)),
    PROBABILITIES, CONFIDENCE,
    Declared("TRUST", "Influence of appearance",
             "Optional: one float32 band, how far appearance moved each pixel's label distribution away from the "
             "coarse map's (0 = the coarse map alone decided, 1 = appearance overturned it; -1 = nodata). Shows "
             "where the imagery was believed.", optional_raster_output),
    align_param.ALIGNED_CLASSES,
)


class SelfEpitomicLsrAlgorithm(EpitomeAlgorithm):
    needs_torch = True
    icon_name = "lsr.svg"
    PARAMETERS = PARAMETERS
    OUTPUTS = (("TILES", "Tiles processed", QgsProcessingOutputNumber),
               ("SECONDS", "Processing time (s)", QgsProcessingOutputNumber),
               ("LABEL_COUNTS", "Pixels per label (JSON)", QgsProcessingOutputString),
               ("DEVICE_USED", "Device used", QgsProcessingOutputString),
               ("APPEARANCE_WEIGHT_USED", "Appearance weight w used (-1 = appearance alone)",
                QgsProcessingOutputNumber),
               ("FUSION_USED", "Label prior used in the fusion (smooth, naive, ...)", QgsProcessingOutputString),
               ("CHANGED_FROM_SMOOTH", "Pixels whose label differs from the smooth baseline",
                QgsProcessingOutputNumber),
               ("CHANGED_SHARE", "Share of labelled pixels appearance changed (0..1)", QgsProcessingOutputNumber),
               ("EVIDENCE", "Per coarse class: label shares of the result, departure from the table, pixels changed "
                            "(JSON)", QgsProcessingOutputString),
               ("ESTIMATED_ACCURACY", "Estimated accuracy of the result (0..1; with REFERENCE)",
                QgsProcessingOutputNumber),
               ("ESTIMATED_ACCURACY_LOW", "Estimated accuracy: lower end of the 95% interval",
                QgsProcessingOutputNumber),
               ("ESTIMATED_ACCURACY_HIGH", "Estimated accuracy: upper end of the 95% interval",
                QgsProcessingOutputNumber),
               ("NAIVE_ACCURACY_ESTIMATE", "Accuracy of the naive baseline on the same samples",
                QgsProcessingOutputNumber),
               ("SMOOTH_ACCURACY_ESTIMATE", "Accuracy of the smooth baseline on the same samples",
                QgsProcessingOutputNumber)) + align_param.OUTPUTS

    def name(self):
        return "selfepitomiclsr"

    def displayName(self):  # noqa: N802
        return self.tr("Self-epitomic label super-resolution")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Turns a coarse class layer (e.g. NLCD at 30 m) into a detailed label map on the grid of the imagery "
            "(e.g. aerial photos at 1 m), with no training data. Every pixel starts from what its coarse class "
            "usually holds (the composition table: for each class, the share of each label) and takes another label "
            "only where the imagery clearly says so: where windows that look like it carry that label elsewhere in "
            "its tile of about 512 m. The table is treated as a regional average, right on average and wrong in any "
            "one place, never as a quota each area must meet.\n"
            "What it adds is shown, not hidden: the log says which share of pixels appearance changed and for which "
            "coarse classes the map departs far from the table (where the table looks locally wrong - look there); "
            "TRUST maps the influence of appearance per pixel. Compare with the label-only baselines (the Baselines "
            "and Evaluate algorithms of Epitome).\n"
            "With reference samples (REFERENCE: about 100 labelled points, or polygons, or a label raster) the "
            "fusion is chosen by cross-validated accuracy on them, and the accuracy of the result with a 95% "
            "interval, and of both baselines, is estimated on the same samples (ESTIMATED_ACCURACY, _LOW, _HIGH); "
            "the confidence is calibrated on them too.\n"
            "Inputs: the class layer may have any CRS, resolution and alignment (resampled onto the imagery grid by "
            "nearest neighbour, or mode when finer, never interpolated). Imagery nodata (nodata value, alpha or "
            "mask) and class nodata give 0 in the output. uint8 imagery is scaled by 1/255, other types by per-band "
            "0.5-99.5 percentiles.\n"
            "Outputs: labels 1..L in the column order of the composition table (0 = nodata), a GeoTIFF with a colour "
            "table and a .qml style; optional probabilities (L bands), confidence (the largest probability) and "
            "TRUST.\n"
            "Method (for specialists; docs/METHOD.md; Malkin, Ortiz, Jojic, ECCV 2020, self-epitomic LSR - each tile "
            "is its own epitome): the tile is downsampled to working pixels of about 2 m; K x K query patches are "
            "compared with the tile's windows (a tempered Gaussian likelihood: attention, leave-one-out); a "
            "noisy-label mixture EM started from the coarse map's compositions lets a query's label follow the labels "
            "of the windows that look like it, with each class's composition re-estimated under a Dirichlet prior "
            "centred on the table (TABLE_MODE constraint: the paper's EM, Eqs. 7-9, first makes each class reproduce "
            "the table). The result is fused with the smooth label-only prior as p ∝ p_appearance^w x prior. Tiles "
            "overlap and are blended, so no seams show.\n"
            "Needs PyTorch in QGIS's Python. Runs on the GPU when DEVICE is auto and CUDA is available.")

    def check(self, parameters, context):
        check_not_the_same_layer(self, parameters, context, "IMAGERY", "CLASSES")
        path = self.parameterAsFile(parameters, "COMPOSITION", context)
        if path:
            load_composition(path)  # CompositionError: the line and what to change
        params = self.core_params(parameters, context, LsrParams)
        params.validate()
        check_tile_fits(self.declared_value(parameters, context, "TILE_SIZE"), params)
        check_device_name(self.parameterAsString(parameters, "DEVICE", context))
        parse_int_list(self.parameterAsString(parameters, "NODATA_CODES", context), "NODATA_CODES")
        check_scheduler(self.parameterAsString(parameters, "SCHEDULER", context))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()

        imagery = self.parameterAsRasterLayer(parameters, "IMAGERY", context)
        classes = self.parameterAsRasterLayer(parameters, "CLASSES", context)
        img_path = raster_path(imagery, "IMAGERY")
        cls_path = raster_path(classes, "CLASSES")
        try:
            comp = load_composition(self.parameterAsFile(parameters, "COMPOSITION", context) or None)
            params = self.core_params(parameters, context, LsrParams,
                                      block_elements=block_elements_setting(LsrParams().block_elements))
            params.validate()
        except (CompositionError, ValueError) as e:
            raise QgsProcessingException(str(e))
        out = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        prob = self.parameterAsOutputLayer(parameters, "PROBABILITIES", context) or None
        conf = self.parameterAsOutputLayer(parameters, "CONFIDENCE", context) or None
        trust = self.parameterAsOutputLayer(parameters, "TRUST", context) or None
        for path, name in ((out, "OUTPUT"), (prob, "PROBABILITIES"), (conf, "CONFIDENCE"), (trust, "TRUST")):
            if path and os.path.splitext(path)[1].lower() not in (".tif", ".tiff"):
                raise QgsProcessingException(f"{name} must be a GeoTIFF (.tif) file; got {path!r}.")
        if not imagery.crs().isValid() or not classes.crs().isValid():
            feedback.pushInfo("Note: a layer has no CRS; layers of identical size are matched pixel by pixel.")
        nodata = parse_int_list(self.parameterAsString(parameters, "NODATA_CODES", context), "NODATA_CODES")
        with align_param.align_run(self, parameters, context, feedback, img_path, cls_path, nodata_codes=nodata,
                                   bands=self.parameterAsInts(parameters, "BANDS", context) or []) as (used, reg):
            stats = self._run(parameters, context, feedback, img_path, used, comp, params, nodata, imagery,
                              (out, prob, conf, trust))
        style_lsr_outputs(context, imagery.name(), out, prob, conf, comp, trust)
        return {**self._outputs(stats, out, prob, conf, trust), **align_param.align_results(reg, parameters, context,
                                                                                            self)}

    def _run(self, parameters, context, feedback, img_path, cls_path, comp, params, nodata, imagery, paths):
        """The core job on the class raster the run reads (moved back by ALIGN when it corrects)."""
        out, prob, conf, trust = paths
        job = self.core_params(
            parameters, context, LsrJob, imagery=img_path, classes=cls_path, composition=comp,
            outputs=LabelPaths(labels=out, probabilities=prob, confidence=conf, trust=trust),
            reference=self._reference(parameters, context, feedback),
            bands=self.parameterAsInts(parameters, "BANDS", context) or [],
            device=device_setting(self.parameterAsString(parameters, "DEVICE", context)),
            unknown_as_nodata=self.parameterAsBool(parameters, "UNKNOWN_AS_NODATA", context), params=params,
            nodata_codes=nodata, extent=self._extent(parameters, context, imagery), memory_budget_mb=memory_budget(),
            scheduler=self.parameterAsString(parameters, "SCHEDULER", context) or "")
        return run_job(run_self_epitomic_lsr, job, feedback)

    @staticmethod
    def _outputs(stats, out, prob, conf, trust):
        """The algorithm's results from the job's statistics (estimates only with REFERENCE; absent otherwise)."""
        w = stats["appearance_weight"]
        res = {"OUTPUT": out, "PROBABILITIES": prob, "CONFIDENCE": conf, "TRUST": trust, "TILES": stats["tiles"],
               "SECONDS": stats["seconds"], "LABEL_COUNTS": json.dumps(stats["label_counts"]),
               "DEVICE_USED": stats["device"], "APPEARANCE_WEIGHT_USED": -1.0 if w == float("inf") else float(w),
               "FUSION_USED": stats["fusion_prior"], "CHANGED_FROM_SMOOTH": stats["changed_from_smooth"],
               "CHANGED_SHARE": stats["changed_share"], "EVIDENCE": json.dumps(stats["evidence"])}
        for key, name in (("estimated_accuracy", "ESTIMATED_ACCURACY"),
                          ("estimated_accuracy_low", "ESTIMATED_ACCURACY_LOW"),
                          ("estimated_accuracy_high", "ESTIMATED_ACCURACY_HIGH"),
                          ("naive_estimate", "NAIVE_ACCURACY_ESTIMATE"),
                          ("smooth_estimate", "SMOOTH_ACCURACY_ESTIMATE")):
            if key in stats:
                res[name] = stats[key]
        return res

    def _reference(self, parameters, context, feedback):
        src = reference_source(self, parameters, context, feedback)
        return None if src is None else ReferenceInput(src[0], src[2], src[1])

    def _extent(self, parameters, context, imagery):
        """EXTENT in the imagery's CRS as (xmin, ymin, xmax, ymax), or None for the whole imagery."""
        if parameters.get("EXTENT") in (None, ""):
            return None
        rect = self.parameterAsExtent(parameters, "EXTENT", context, imagery.crs())
        if rect.isNull() or rect.isEmpty():
            return None
        return rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum()
