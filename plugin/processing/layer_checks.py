"""Checks of layer parameters shared by several algorithms (in their check(), before anything runs)."""

from ..layer_files import layer_file

MESSAGES = {
    ("IMAGERY", "CLASSES"): "IMAGERY and CLASSES are the same layer ('{}'): give the fine imagery as IMAGERY and the "
                            "coarse class layer (e.g. NLCD at 30 m) as CLASSES.",
    ("PREDICTION", "REFERENCE"): "PREDICTION and REFERENCE are the same layer ('{}'): REFERENCE must be other labels "
                                 "of the same area to compare the prediction with.",
}


def check_not_the_same_layer(alg, parameters, context, first, second):
    """ValueError when two raster parameters name the same layer (or the same file) - e.g. the toolbox dialog
    pre-selects the active layer for both - with a message that says which parameter should hold what."""
    if parameters.get(first) in (None, "") or parameters.get(second) in (None, ""):
        return
    a = alg.parameterAsRasterLayer(parameters, first, context)
    b = alg.parameterAsRasterLayer(parameters, second, context)
    if a is None or b is None:
        return
    if a.id() == b.id() or (layer_file(a) and layer_file(a) == layer_file(b)):
        raise ValueError(alg.tr(MESSAGES[(first, second)]).format(a.name()))
