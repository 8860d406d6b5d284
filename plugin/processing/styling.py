"""Styling of outputs when QGIS loads them: paletted labels with names, graded probabilities, the epitome
image as RGB (or grey) with a min/max stretch. Layers are named after their input and method (never two
layers with the same name), and the layers of one run go into one group at the top of the layer tree."""

import os

from qgis.core import (
    QgsColorRampShader,
    QgsContrastEnhancement,
    QgsLayerTreeRegistryBridge,
    QgsMultiBandColorRenderer,
    QgsPalettedRasterRenderer,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingUtils,
    QgsProject,
    QgsRasterBandStats,
    QgsRasterShader,
    QgsSingleBandGrayRenderer,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
)
from qgis.PyQt.QtGui import QColor

from ..i18n import tr

# Post-processors must outlive the algorithm run (QGIS keeps only a raw pointer).
_KEEP = []


def label_renderer(layer, labels, colours):
    classes = [QgsPalettedRasterRenderer.Class(i + 1, QColor(*c), name)
               for i, (name, c) in enumerate(zip(labels, colours))]
    return QgsPalettedRasterRenderer(layer.dataProvider(), 1, classes)


def unique_name(taken, name):
    """name, or 'name (2)', 'name (3)'...: one that is not taken."""
    if name not in taken:
        return name
    n = 2
    while "{} ({})".format(name, n) in taken:
        n += 1
    return "{} ({})".format(name, n)


class RunGroup:
    """The group of one run's layers: named (uniquely) when its first layer loads, shared by the others."""

    def __init__(self, name):
        self.base, self.name = name, None

    def node(self, root):
        if self.name is None:
            self.name = unique_name({g.name() for g in root.findGroups()}, self.base)
            group = root.insertGroup(0, self.name)
            group.setExpanded(True)
            return group
        return root.findGroup(self.name) or root.insertGroup(0, self.name)


def layer_tree_view():
    """The desktop's Layers panel (None in qgis_process and tests without an interface)."""
    try:
        from qgis.utils import iface

        return iface.layerTreeView() if iface is not None and hasattr(iface, "layerTreeView") else None
    except Exception:  # noqa: BLE001
        return None


def is_inside(node, group):
    while node is not None:
        if node is group:
            return True
        node = node.parent()
    return False


def new_layers_outside(project, group, view=None):
    """Layers added later go where QGIS would put them, never into the run's group: QGIS selects each result it
    loads and adds new layers above the selected one - inside `group` once the result is moved there. When the
    current node of the Layers panel is in `group`, the insertion point becomes the group's own place (above
    it, in its parent), as for a layer QGIS added there, and the run's first layer (the label map) stays the
    selected one; a click on another layer gives QGIS's rule back. Returns True when the insertion point was set."""
    view = view if view is not None else layer_tree_view()
    current = view.currentNode() if view is not None else None
    if current is None or group is None or not is_inside(current, group):
        return False

    layers = group.findLayers()
    if layers and layers[0].layer() is not None and view.currentLayer() is not layers[0].layer():
        view.setCurrentLayer(layers[0].layer())  # QGIS updates its insertion point here: it is set after
    parent = group.parent()
    project.layerTreeRegistryBridge().setLayerInsertionPoint(
        QgsLayerTreeRegistryBridge.InsertionPoint(parent, parent.children().index(group)))
    return True


class NamedStyler(QgsProcessingLayerPostProcessorInterface):
    """Sets a renderer (made by make_renderer(layer)) and a name on an output when QGIS loads it; the name is
    made unique in the project; with a RunGroup the layer moves into the run's group at `rank` (0 = top);
    visible=False leaves it unchecked (so the label map above it shows)."""

    def __init__(self, name, make_renderer, group=None, rank=0, visible=True):
        super().__init__()
        self.name, self.make_renderer = name, make_renderer
        self.group, self.rank, self.visible = group, rank, visible

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if layer is None or not layer.isValid():
            return
        layer.setRenderer(self.make_renderer(layer))
        project = context.project() or QgsProject.instance()
        layer.setName(unique_name({lyr.name() for lyr in project.mapLayers().values() if lyr.id() != layer.id()},
                                  self.name))
        root = project.layerTreeRoot()
        node = root.findLayer(layer.id())
        if node is not None and self.group is not None:
            group = self.group.node(root)
            ranks = [c.customProperty("epitome/rank", 0) for c in group.children()]
            at = next((i for i, r in enumerate(ranks) if int(r) > self.rank), len(ranks))
            moved = group.insertLayer(at, layer)
            moved.setCustomProperty("epitome/rank", self.rank)
            node.parent().removeChildNode(node)
            node = moved
            group.setExpanded(False)  # a view does not expand a group that was empty when inserted: toggle it
            group.setExpanded(True)
            new_layers_outside(project, group)
        if node is not None and not self.visible:
            node.setItemVisibilityChecked(False)
            node.setExpanded(False)
        layer.triggerRepaint()


def probability_renderer(layer):
    """Band 1 on a Viridis ramp over [0, 1]."""
    ramp = QgsStyle.defaultStyle().colorRamp("Viridis")
    shader_fn = QgsColorRampShader(0.0, 1.0, ramp)
    shader_fn.classifyColorRamp(5, -1)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(shader_fn)
    r = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, shader)
    r.setClassificationMin(0.0)
    r.setClassificationMax(1.0)
    return r


def drop_unset_outputs(context):
    """Batch mode passes '' for an optional output left empty, and QGIS then lists '' among the layers to load on
    completion - which it reports in red as a layer 'not correctly generated'. Only real files are loaded."""
    layers = context.layersToLoadOnCompletion()
    if any(not str(k).strip() for k in layers):
        context.setLayersToLoadOnCompletion({k: v for k, v in layers.items() if str(k).strip()})


def _attach(context, path, styler):
    if context.willLoadLayerOnCompletion(path):
        _KEEP.append(styler)
        del _KEEP[:-32]
        context.layerToLoadOnCompletionDetails(path).setPostProcessor(styler)


def style_label_output(context, path, composition, name, group=None):
    labels, colours = list(composition.labels), list(composition.colours)
    _attach(context, path, NamedStyler(name, lambda layer: label_renderer(layer, labels, colours), group, 0))


def style_probability_output(context, path, composition, name, group=None, rank=1, visible=True):
    _attach(context, path, NamedStyler(name, probability_renderer, group, rank, visible))


def is_temporary(path):
    """True for an output Processing writes into its temporary folder (e.g. .../OUTPUT.tif)."""
    return os.path.abspath(path).startswith(os.path.abspath(QgsProcessingUtils.tempFolder()) + os.sep)


def style_lsr_outputs(context, imagery_name, labels, probabilities, confidence, composition, trust=None):
    """The outputs of one label super-resolution run as QGIS loads them: named after the output file (or, for
    temporary outputs, the imagery) and the method - 'naip labels', 'naip confidence', never twice the same
    name - in one group '<imagery> – Epitome LSR' when more than one is loaded; the label map on top, the
    others unchecked."""

    def base(path):
        return imagery_name if is_temporary(path) else os.path.splitext(os.path.basename(path))[0]

    loaded = [p for p in (labels, probabilities, confidence, trust) if p and context.willLoadLayerOnCompletion(p)]
    group = RunGroup(tr("{} – Epitome LSR").format(imagery_name)) if len(loaded) > 1 else None
    style_label_output(context, labels, composition, tr("{} labels").format(base(labels)), group)
    if probabilities:
        style_probability_output(context, probabilities, composition,
                                 tr("{} probabilities").format(base(probabilities)), group, 1, False)
    if confidence:
        style_probability_output(context, confidence, None, tr("{} confidence").format(base(confidence)), group, 2,
                                 False)
    if trust:
        style_probability_output(context, trust, None, tr("{} influence of appearance").format(base(trust)), group, 3,
                                 False)


def _stretch(provider, band):
    stats = provider.bandStatistics(band, QgsRasterBandStats.Min | QgsRasterBandStats.Max)
    ce = QgsContrastEnhancement(provider.dataType(band))
    ce.setContrastEnhancementAlgorithm(QgsContrastEnhancement.StretchToMinimumMaximum)
    ce.setMinimumValue(stats.minimumValue)
    ce.setMaximumValue(stats.maximumValue)
    return ce


def epitome_image_renderer(layer):
    provider = layer.dataProvider()
    n_mean = max(1, (layer.bandCount() - 2) // 2)
    if n_mean >= 3:
        r = QgsMultiBandColorRenderer(provider, 1, 2, 3)
        r.setRedContrastEnhancement(_stretch(provider, 1))
        r.setGreenContrastEnhancement(_stretch(provider, 2))
        r.setBlueContrastEnhancement(_stretch(provider, 3))
    else:
        r = QgsSingleBandGrayRenderer(provider, 1)
        r.setContrastEnhancement(_stretch(provider, 1))
    return r


class EpitomeImageStyler(NamedStyler):
    """The epitome image: RGB of its mean bands, named after its file. An epitome is a picture, not a place:
    the GeoTIFF has no CRS, so it is given the project's (drawn in pixel units at the map's origin) - never a
    CRS prompt or an unknown-CRS layer in the project."""

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if layer is not None and layer.isValid() and not layer.crs().isValid():
            project = context.project() or QgsProject.instance()
            if project.crs().isValid():
                layer.setCrs(project.crs())
        super().postProcessLayer(layer, context, feedback)


def style_epitome_image(context, path, name):

    if not is_temporary(path):
        stem = os.path.splitext(os.path.basename(path))[0]
        name = stem if "epitome" in stem.lower() else tr("{} epitome").format(stem)
    _attach(context, path, EpitomeImageStyler(name, epitome_image_renderer))


def rgb_renderer(layer):
    """Bands 1, 2, 3 as red, green, blue, unstretched (uint8 colours as written)."""
    return QgsMultiBandColorRenderer(layer.dataProvider(), 1, 2, 3)


def style_rgb_image(context, path, name):
    """An RGB picture without a CRS (the label embedding's colours) shown as written, like the epitome image."""
    _attach(context, path, EpitomeImageStyler(name, rgb_renderer))


def stretched_renderer(layer):
    """Band 1 on a Magma ramp between its minimum and maximum (e.g. novelty: bright = unfamiliar)."""
    provider = layer.dataProvider()
    stats = provider.bandStatistics(1, QgsRasterBandStats.Min | QgsRasterBandStats.Max)
    ramp = QgsStyle.defaultStyle().colorRamp("Magma")
    shader_fn = QgsColorRampShader(stats.minimumValue, stats.maximumValue, ramp)
    shader_fn.classifyColorRamp(5, -1)
    shader = QgsRasterShader()
    shader.setRasterShaderFunction(shader_fn)
    r = QgsSingleBandPseudoColorRenderer(provider, 1, shader)
    r.setClassificationMin(stats.minimumValue)
    r.setClassificationMax(stats.maximumValue)
    return r


def style_stretched_output(context, path, name, group=None, rank=1, visible=True):
    _attach(context, path, NamedStyler(name, stretched_renderer, group, rank, visible))


def class_renderer(layer):
    """A coarse class map as GDAL describes it: its colour table (paletted) when it has one, else QGIS's default."""
    renderer = layer.renderer()
    return renderer.clone() if renderer is not None else None


def style_coarse_output(context, path, name):
    """A moved coarse map (ALIGNED_CLASSES, epitome:aligncoarse): named, drawn as the class map it copies."""
    if path:
        _attach(context, path, NamedStyler(name, class_renderer))
