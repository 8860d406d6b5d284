"""The file behind a QGIS layer, as the core opens it (one rule for the algorithms and the dialogs)."""

from qgis.core import QgsProviderRegistry


def layer_file(layer) -> str:
    """What GDAL opens for a layer: a GDAL raster's dataset name (a path, /vsizip/..., GPKG:file:table) without
    QGIS's open options (|option:...), an OGR layer's file (its layer name aside: QgsProviderRegistry.decodeUri);
    "" for None; another provider's source as it is (a memory layer, a database table: no file)."""
    if layer is None:
        return ""
    registry = QgsProviderRegistry.instance()
    parts = registry.decodeUri(layer.providerType(), layer.source())
    if layer.providerType() == "gdal":
        parts.pop("openOptions", None)
        return registry.encodeUri("gdal", parts) or layer.source()
    return parts.get("path") or layer.source()
