"""The REFERENCE and REFERENCE_FIELD parameters: reference samples for calibration (glue only).

REFERENCE is a point or polygon vector layer with a label field, or a label raster. The core reads files
(algorithms/io/samples.py), so a vector layer that is not a file (a memory layer, a database table) is written
to a temporary GeoPackage first.
"""

import os

from qgis.core import (
    QgsMapLayer,
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterField,
    QgsProcessingParameterMapLayer,
    QgsProcessingUtils,
    QgsProviderRegistry,
    QgsVectorFileWriter,
)

from ..layer_files import layer_file
from .declarations import Declared

REFERENCE = Declared(
    "REFERENCE", "Reference samples (optional: points, polygons or a label raster)",
    "Labelled samples of the area, as analysts collect them: a point or polygon layer with a label field "
    "(REFERENCE_FIELD), or a label raster. Labels are the composition's label codes 1..L or its label names. "
    "When given, the fusion (the label prior and the appearance weight) is chosen by cross-validated accuracy on the "
    "samples - a setting replaces the default only where the samples clearly prefer it - and the accuracy of the "
    "result, with a 95% interval, and of both label-only baselines is estimated on them (ESTIMATED_ACCURACY). "
    "About 100 points spread over the area are enough; more give narrower intervals. Never required.",
    lambda n, t: QgsProcessingParameterMapLayer(
        n, t, optional=True,
        types=[QgsProcessing.TypeVectorPoint, QgsProcessing.TypeVectorPolygon, QgsProcessing.TypeRaster]))

REFERENCE_FIELD = Declared(
    "REFERENCE_FIELD", "Label field of the reference samples",
    "The field of REFERENCE that holds each sample's label (a code 1..L or a label name). Not used for a raster.",
    lambda n, t: QgsProcessingParameterField(n, t, parentLayerParameterName="REFERENCE", optional=True))


def reference_source(alg, parameters, context, feedback):
    """(path, layer name, field) of the REFERENCE samples for the core, or None when none are given."""
    if parameters.get("REFERENCE") in (None, ""):
        return None
    layer = alg.parameterAsLayer(parameters, "REFERENCE", context)
    if layer is None:
        raise QgsProcessingException("REFERENCE could not be loaded as a layer: give a point or polygon layer with a "
                                     "label field, or a label raster.")
    field = alg.parameterAsString(parameters, "REFERENCE_FIELD", context) or ""
    if layer.type() == QgsMapLayer.RasterLayer:
        if layer.providerType() != "gdal":
            raise QgsProcessingException(f"REFERENCE: the raster '{layer.name()}' is not a file raster; save it as a "
                                         "GeoTIFF first.")
        return layer_file(layer), "", ""
    if not field:
        names = ", ".join(f.name() for f in layer.fields())
        raise QgsProcessingException(f"REFERENCE is a vector layer: choose its label field in REFERENCE_FIELD "
                                     f"(fields: {names or 'none'}).")
    if layer.providerType() == "ogr":
        parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
        path = parts.get("path", "")
        if path and os.path.exists(path) and not parts.get("subset"):
            return path, parts.get("layerName") or "", field
    # not a plain file layer (memory, database, or a filtered layer): a temporary GeoPackage of its features
    path = QgsProcessingUtils.generateTempFilename("reference.gpkg")
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    err = QgsVectorFileWriter.writeAsVectorFormatV2(layer, path, context.transformContext(), options)
    if err[0] != QgsVectorFileWriter.NoError:
        raise QgsProcessingException(f"REFERENCE: the layer '{layer.name()}' could not be read ({err[1]}).")
    feedback.pushInfo(f"REFERENCE '{layer.name()}' is not a file layer: its features were copied to {path}.")
    return path, "", field
