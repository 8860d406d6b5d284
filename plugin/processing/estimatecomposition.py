"""Processing algorithm epitome:estimatecomposition - p(label | class) counted on a labelled area."""

from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBand,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from ...algorithms.composition.estimate import estimate_composition
from ...algorithms.composition.table import CompositionError, save_composition
from ...algorithms.errors import Cancelled, EpitomeError
from ...algorithms.io.outputs import check_writable
from . import align_param
from .base import EpitomeAlgorithm, QgsFeedbackAdapter, raster_path
from .declarations import Declared


class EstimateCompositionAlgorithm(EpitomeAlgorithm):
    icon_name = "epitome.svg"
    PARAMETERS = (
        Declared("REFERENCE", "Reference labels (fine)",
                 "High-resolution label raster of the labelled area (integer codes 1..L, 0 = nodata), e.g. a 1 m "
                 "land-cover map. Its grid is the one counted on.",
                 lambda n, t: QgsProcessingParameterRasterLayer(n, t)),
        Declared("REFERENCE_BAND", "Reference band",
                 "Band of REFERENCE holding the label codes. Empty: REFERENCE must have a single band (a raster of "
                 "several bands is refused: it is imagery, not labels, unless a band is chosen here).",
                 lambda n, t: QgsProcessingParameterBand(n, t, None, "REFERENCE", optional=True), advanced=True),
        Declared("CLASSES", "Coarse classes",
                 "Coarse class layer (e.g. NLCD 30 m), the same kind of layer the table will be used with. Any CRS, "
                 "resolution and alignment; it must cover the labelled area.",
                 lambda n, t: QgsProcessingParameterRasterLayer(n, t)),
        Declared("CLASSES_BAND", "Classes band",
                 "Band of CLASSES holding the class codes. Empty: CLASSES must have a single band.",
                 lambda n, t: QgsProcessingParameterBand(n, t, None, "CLASSES", optional=True), advanced=True),
        align_param.ALIGN, align_param.MAX_SHIFT,
        Declared("MIN_PIXELS", "Minimum pixels per class",
                 "Class codes covering fewer reference pixels than this are left out of the table (their estimate "
                 "would be noise); the log lists them.",
                 lambda n, t: QgsProcessingParameterNumber(n, t, QgsProcessingParameterNumber.Integer, 1, minValue=1),
                 advanced=True),
        Declared("OUTPUT", "Composition table",
                 "CSV file for the estimated table p(label | class), usable as COMPOSITION of self-epitomic LSR.",
                 lambda n, t: QgsProcessingParameterFileDestination(n, t, "CSV files (*.csv)")),
    )
    OUTPUTS = (("CLASS_COUNT", "Class codes in the table", QgsProcessingOutputNumber),
               ("LABEL_COUNT", "Labels (columns) in the table", QgsProcessingOutputNumber),
               ("PIXELS", "Pixels counted", QgsProcessingOutputNumber)) + align_param.OUTPUTS

    def name(self):
        return "estimatecomposition"

    def displayName(self):  # noqa: N802
        return self.tr("Estimate composition from a labelled area")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Makes a composition table p(label | class) - the input of self-epitomic label super-resolution - "
            "from an area where high-resolution labels are known: for every coarse class code, the share of each "
            "label among the reference pixels that fall in that class.\n"
            "The coarse class layer is resampled onto the reference grid by nearest neighbour (mode when it is "
            "finer), never interpolated; both layers may have any CRS. Label code 0 and each layer's nodata "
            "value are ignored. Rasters are read block by block.\n"
            "Output: a CSV in the format of the COMPOSITION parameter: header "
            "'class' followed by the label names, a 'colour' row, one row per class code (with at least MIN_PIXELS "
            "pixels), and comment lines with the pixel counts. The columns are the label codes 1..M of the "
            "reference (M = the largest code seen; codes absent from the area get zeros), so that a label map "
            "made with this table uses the reference's codes. Label names and colours come from the "
            "reference's category names and colour table when it has them.")

    def _band(self, parameters, name, context, layer):
        """The band given, or None: left empty, the raster must have a single band (the core refuses others)."""
        if parameters.get(name) in (None, ""):
            return None
        b = self.parameterAsInt(parameters, name, context)
        if b < 1:
            return None
        if layer is not None and b > layer.bandCount():
            raise QgsProcessingException(self.tr("{}: band {} does not exist; '{}' has {} band(s). Choose a band from "
                                                 "1 to {}.").format(name, b, layer.name(), layer.bandCount(),
                                                                    layer.bandCount()))
        return b

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802

        ref_layer = self.parameterAsRasterLayer(parameters, "REFERENCE", context)
        cls_layer = self.parameterAsRasterLayer(parameters, "CLASSES", context)
        ref = raster_path(ref_layer, "REFERENCE")
        cls = raster_path(cls_layer, "CLASSES")
        ref_band = self._band(parameters, "REFERENCE_BAND", context, ref_layer)
        cls_band = self._band(parameters, "CLASSES_BAND", context, cls_layer)
        min_pixels = self.parameterAsInt(parameters, "MIN_PIXELS", context) if parameters.get("MIN_PIXELS") not in (
            None, "") else 1
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        if not out:
            raise QgsProcessingException(self.tr("OUTPUT: no file given. Choose where to save the CSV."))
        try:
            check_writable(out, "OUTPUT")
        except EpitomeError as e:
            raise QgsProcessingException(str(e))
        with align_param.align_run(self, parameters, context, feedback, ref, cls, bands=[ref_band or 1],
                                   categorical=True, class_band=cls_band or 1) as (used, reg):
            est = self._estimate(ref, used, ref_band, cls_band, min_pixels, feedback)
        self._log(est, feedback)
        try:
            save_composition(est.composition, out, comments=est.csv_comments(ref, cls))
        except CompositionError as e:
            raise QgsProcessingException(f"OUTPUT: {e}")
        res = align_param.align_results(reg, parameters, context, self)
        res.pop("ALIGNED_CLASSES")
        return {"OUTPUT": out, "CLASS_COUNT": len(est.composition.class_codes),
                "LABEL_COUNT": est.composition.n_labels, "PIXELS": est.pixels, **res}

    def _estimate(self, ref, cls, ref_band, cls_band, min_pixels, feedback):
        """The core's estimate on the class raster the run reads (moved back by ALIGN when it corrects)."""
        try:
            est = estimate_composition(ref, cls, ref_band, cls_band, min_pixels, QgsFeedbackAdapter(feedback))
        except Cancelled:
            raise QgsProcessingException(self.tr("Cancelled by the user: no output was written."))
        except EpitomeError as e:
            raise QgsProcessingException(str(e))
        if feedback.isCanceled():
            raise QgsProcessingException(self.tr("Cancelled by the user: no output was written."))
        return est

    def _log(self, est, feedback):
        """The table counted, class by class, in the log."""
        comp = est.composition
        feedback.pushInfo(self.tr("{} pixels counted: {} classes x {} labels (label codes {}).").format(
            est.pixels, len(comp.class_codes), comp.n_labels, ", ".join(str(c) for c in est.label_codes)))
        for code, n, row in zip(comp.class_codes, est.class_pixels, comp.matrix):
            shares = ", ".join(f"{name} {v:.3f}" for name, v in zip(comp.labels, row) if v > 0)
            feedback.pushInfo(self.tr("  class {}: {} px - {}").format(code, n, shares))
