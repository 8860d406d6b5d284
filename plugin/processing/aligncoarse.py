"""Processing algorithm epitome:aligncoarse - a coarse map moved into place on the imagery (glue only)."""

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterBand,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ...algorithms.errors import Cancelled, EpitomeError
from ...algorithms.registration.apply import align_coarse
from ...algorithms.registration.estimate import AlignParams
from . import align_param
from .base import EpitomeAlgorithm, QgsFeedbackAdapter, parse_int_list, raster_path
from .declarations import CoreChoice, Declared
from .layer_checks import check_not_the_same_layer
from .styling import style_coarse_output

MODE = CoreChoice(
    AlignParams, "mode", "What to do with the offset found",
    "Correct (default): the map is written moved back by the offset when the data support it (the shift beats no "
    "shift in 90% of bootstrap replicates, is at least a quarter of a cell and is not at the edge of the search), "
    "as given otherwise. Estimate: the offset is reported and the map written as given. " + align_param.SIGN,
    options=tuple((m, align_param.ALIGN_TITLES[m]) for m in ("estimate", "correct")), optional=True,
    name="ALIGN")


class AlignCoarseAlgorithm(EpitomeAlgorithm):
    icon_name = "lsr.svg"
    PARAMETERS = (
        Declared("IMAGERY", "Imagery",
                 "High-resolution imagery the coarse map should sit on (e.g. NAIP 1 m). Any band count and type.",
                 lambda n, t: QgsProcessingParameterRasterLayer(n, t)),
        Declared("BANDS", "Bands (default: all)", "Imagery bands to use; empty uses every band.",
                 lambda n, t: QgsProcessingParameterBand(n, t, None, "IMAGERY", optional=True, allowMultiple=True)),
        Declared("CLASSES", "Coarse classes",
                 "The coarse class map to move into place (e.g. NLCD 30 m, an old or hand-digitised map). Any CRS; "
                 "its cells must be at least 4 times the imagery's pixels.",
                 lambda n, t: QgsProcessingParameterRasterLayer(n, t)),
        Declared("NODATA_CODES", "No-data class codes (comma-separated)",
                 "Class codes meaning 'no data' besides the layer's own nodata value (e.g. 0,255 for NLCD).",
                 lambda n, t: QgsProcessingParameterString(n, t, optional=True), advanced=True),
        MODE, align_param.MAX_SHIFT,
        Declared("OUTPUT", "Coarse map moved into place",
                 "GeoTIFF copy of the coarse map (same cells, codes, colours) with its origin moved back by the "
                 "offset found; the map as given when no correction is supported.",
                 lambda n, t: QgsProcessingParameterRasterDestination(n, t)),
    )
    OUTPUTS = tuple(o for o in align_param.OUTPUTS)

    def name(self):
        return "aligncoarse"

    def displayName(self):  # noqa: N802
        return self.tr("Align a coarse map to the imagery (registration)")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Coarse maps rarely sit exactly on the imagery: NLCD comes from Landsat (geolocation errors of 10-15 m "
            "are ordinary), old and hand-digitised maps are off by tens of metres. This algorithm estimates the "
            "offset of the coarse map from the data alone - no truth, no user input: the shift, within 2 coarse "
            "cells (MAX_SHIFT), that makes its classes most consistent with the imagery (the classes say most about "
            "the imagery's appearance clusters) - and writes the map moved back into place.\n"
            "A correction is made only when the data support it: the shift beats no shift in 90% of block-bootstrap "
            "replicates, it is at least a quarter of a coarse cell, and it is not at the edge of the search. A map "
            "already in place stays in place. A constant map, imagery without texture, too little overlap or a layer "
            "without CRS: a message says why, and the map is written as given.\n"
            "Outputs: the moved map (OUTPUT), the offset in metres east and north (SHIFT_EAST, SHIFT_NORTH), its "
            "uncertainty (SHIFT_UNCERTAINTY: bootstrap standard deviation), SHIFT_APPLIED (1 or 0) and a sentence "
            "(ALIGN_REPORT). " + align_param.SIGN + "\n"
            "The same estimate runs inside self-epitomic LSR, epitomic LSR, the baselines and estimate composition "
            "(their ALIGN parameter). No PyTorch needed.")

    def check(self, parameters, context):
        check_not_the_same_layer(self, parameters, context, "IMAGERY", "CLASSES")
        parse_int_list(self.parameterAsString(parameters, "NODATA_CODES", context), "NODATA_CODES")
        self.core_params(parameters, context, AlignParams).validate()

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        imagery = self.parameterAsRasterLayer(parameters, "IMAGERY", context)
        img = raster_path(imagery, "IMAGERY")
        classes = self.parameterAsRasterLayer(parameters, "CLASSES", context)
        cls = raster_path(classes, "CLASSES")
        out = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        try:
            params = self.core_params(parameters, context, AlignParams)
            params.validate()
            nodata = parse_int_list(self.parameterAsString(parameters, "NODATA_CODES", context), "NODATA_CODES")
            reg = align_coarse(img, cls, out, QgsFeedbackAdapter(feedback), params,
                               bands=self.parameterAsInts(parameters, "BANDS", context) or [], nodata_codes=nodata)
        except Cancelled:
            raise QgsProcessingException(self.tr("Cancelled by the user: no output was written."))
        except (EpitomeError, ValueError) as e:
            raise QgsProcessingException(str(e))
        style_coarse_output(context, out, self.tr("{} aligned").format(classes.name()))
        res = align_param.align_results(reg, parameters, context, self)
        res.pop("ALIGNED_CLASSES")
        res["OUTPUT"] = out
        return res
