"""Processing algorithm epitome:baselines - the naive and smooth label-only maps (glue only)."""

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ...algorithms.composition.table import CompositionError, load_composition
from ...algorithms.errors import Cancelled, EpitomeError
from ...algorithms.evaluate.baselines import BaselineJob, run_baselines
from . import align_param
from .base import EpitomeAlgorithm, QgsFeedbackAdapter, check_scheduler, parse_int_list, raster_path
from .declarations import SCHEDULER, Declared, composition_parameter
from .layer_checks import check_not_the_same_layer
from .styling import style_label_output


class BaselinesAlgorithm(EpitomeAlgorithm):
    icon_name = "lsr.svg"
    PARAMETERS = (
        Declared("IMAGERY", "Imagery (or any raster on the target grid)",
                 "The maps are made on this raster's grid, e.g. the imagery a super-resolution run uses; where it "
                 "has no data (in any band) the maps are 0 (nodata), as a super-resolution run of it would be.",
                 lambda n, t: QgsProcessingParameterRasterLayer(n, t)),
        Declared("CLASSES", "Coarse classes",
                 "Coarse class layer (e.g. NLCD 30 m), any CRS, resolution and alignment.",
                 lambda n, t: QgsProcessingParameterRasterLayer(n, t)),
        Declared("COMPOSITION", "Composition table p(label | class) (CSV)",
                 "Same CSV rules as self-epitomic LSR; empty: the built-in NLCD table.", composition_parameter),
        Declared("NODATA_CODES", "No-data class codes (comma-separated)",
                 "Class codes meaning 'no data' besides the table's 'nodata' row and the layer's nodata value.",
                 lambda n, t: QgsProcessingParameterString(n, t, optional=True), advanced=True),
        Declared("UNKNOWN_AS_NODATA", "Treat class codes missing from the table as nodata",
                 "Off: codes absent from the composition table stop the run with a list of them. On: such pixels "
                 "become nodata (0).", lambda n, t: QgsProcessingParameterBoolean(n, t, False), advanced=True),
        Declared("NAIVE", "Naive baseline",
                 "Each pixel gets argmax p(label | class) of its coarse class (nearest). Labels 1..L in the "
                 "composition's column order, 0 = nodata.",
                 lambda n, t: QgsProcessingParameterRasterDestination(n, t, optional=True)),
        Declared("SMOOTH", "Smooth baseline",
                 "Each coarse block's p(label | class) interpolated bilinearly between block centres onto the grid, "
                 "then argmax: the stronger label-only map near class boundaries, and the prior self-epitomic LSR "
                 "fuses appearance with.",
                 lambda n, t: QgsProcessingParameterRasterDestination(n, t, optional=True)),
        align_param.ALIGNED_CLASSES,
        SCHEDULER,
    )
    OUTPUTS = align_param.OUTPUTS

    def name(self):
        return "baselines"

    def displayName(self):  # noqa: N802
        return self.tr("Label-only baselines (naive and smooth)")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "The two maps every label super-resolution result should be compared with, made from the coarse "
            "classes and the composition table alone (no imagery content): naive, the most likely label of "
            "each pixel's coarse class, and smooth, the blocks' label distributions interpolated bilinearly "
            "between block centres, then the most likely label. Self-epitomic LSR reports how many pixels it "
            "changed against the smooth map; Evaluate a label map scores both next to a prediction when given "
            "the coarse classes (CLASSES). No PyTorch needed.")

    def check(self, parameters, context):
        check_not_the_same_layer(self, parameters, context, "IMAGERY", "CLASSES")
        path = self.parameterAsFile(parameters, "COMPOSITION", context)
        if path:
            load_composition(path)
        parse_int_list(self.parameterAsString(parameters, "NODATA_CODES", context), "NODATA_CODES")
        check_scheduler(self.parameterAsString(parameters, "SCHEDULER", context))
        if not (parameters.get("NAIVE") or parameters.get("SMOOTH")):
            raise ValueError(self.tr("Give NAIVE or SMOOTH (or both): the baseline maps to write."))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802

        imagery = self.parameterAsRasterLayer(parameters, "IMAGERY", context)
        grid = raster_path(imagery, "IMAGERY")
        cls = raster_path(self.parameterAsRasterLayer(parameters, "CLASSES", context), "CLASSES")
        naive = self.parameterAsOutputLayer(parameters, "NAIVE", context) or None
        smooth = self.parameterAsOutputLayer(parameters, "SMOOTH", context) or None
        try:
            comp = load_composition(self.parameterAsFile(parameters, "COMPOSITION", context) or None)
            nodata = parse_int_list(self.parameterAsString(parameters, "NODATA_CODES", context), "NODATA_CODES")
        except (CompositionError, ValueError) as e:
            raise QgsProcessingException(str(e))
        with align_param.align_run(self, parameters, context, feedback, grid, cls, nodata_codes=nodata) as (used, reg):
            self._run(grid, used, comp, naive, smooth, nodata, parameters, context, feedback)
        for path, title in ((naive, self.tr("Naive baseline")), (smooth, self.tr("Smooth baseline"))):
            if path:
                style_label_output(context, path, comp, "{} ({})".format(title, imagery.name()))
        return {"NAIVE": naive, "SMOOTH": smooth, **align_param.align_results(reg, parameters, context, self)}

    def _run(self, grid, cls, comp, naive, smooth, nodata, parameters, context, feedback):
        """The core job on the class raster the run reads (moved back by ALIGN when it corrects)."""
        try:
            job = BaselineJob(grid, cls, comp, naive, smooth, nodata,
                              self.parameterAsBool(parameters, "UNKNOWN_AS_NODATA", context),
                              scheduler=self.parameterAsString(parameters, "SCHEDULER", context) or "")
            run_baselines(job, QgsFeedbackAdapter(feedback))
        except Cancelled:
            raise QgsProcessingException(self.tr("Cancelled by the user: no output was written."))
        except (EpitomeError, CompositionError, ValueError) as e:
            raise QgsProcessingException(str(e))
