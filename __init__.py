"""Epitome QGIS plugin: label super-resolution with epitomic representations."""


def classFactory(iface):  # noqa: N802 (QGIS entry point)
    from .plugin.plugin import EpitomePlugin

    return EpitomePlugin(iface)
