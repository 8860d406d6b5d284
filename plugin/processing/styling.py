"""Styling of outputs when QGIS loads them: paletted labels with names, graded probabilities, the epitome
image as RGB (or grey) with a min/max stretch."""

from qgis.core import (
    QgsColorRampShader,
    QgsContrastEnhancement,
    QgsMultiBandColorRenderer,
    QgsPalettedRasterRenderer,
    QgsProcessingLayerPostProcessorInterface,
    QgsRasterBandStats,
    QgsRasterShader,
    QgsSingleBandGrayRenderer,
    QgsSingleBandPseudoColorRenderer,
    QgsStyle,
)
from qgis.PyQt.QtGui import QColor

# Post-processors must outlive the algorithm run (QGIS keeps only a raw pointer).
_KEEP = []


def label_renderer(layer, labels, colours):
    classes = [QgsPalettedRasterRenderer.Class(i + 1, QColor(*c), name)
               for i, (name, c) in enumerate(zip(labels, colours))]
    return QgsPalettedRasterRenderer(layer.dataProvider(), 1, classes)


class NamedStyler(QgsProcessingLayerPostProcessorInterface):
    """Sets a renderer (made by make_renderer(layer)) and a name on an output when QGIS loads it."""

    def __init__(self, name, make_renderer):
        super().__init__()
        self.name, self.make_renderer = name, make_renderer

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if layer is None or not layer.isValid():
            return
        layer.setRenderer(self.make_renderer(layer))
        layer.setName(self.name)
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


def _attach(context, path, styler):
    if context.willLoadLayerOnCompletion(path):
        _KEEP.append(styler)
        del _KEEP[:-32]
        context.layerToLoadOnCompletionDetails(path).setPostProcessor(styler)


def style_label_output(context, path, composition, name):
    labels, colours = list(composition.labels), list(composition.colours)
    _attach(context, path, NamedStyler(name, lambda layer: label_renderer(layer, labels, colours)))


def style_probability_output(context, path, composition, name):
    _attach(context, path, NamedStyler(name, probability_renderer))


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


def style_epitome_image(context, path, name):
    _attach(context, path, NamedStyler(name, epitome_image_renderer))


def rgb_renderer(layer):
    """Bands 1, 2, 3 as red, green, blue, unstretched (uint8 colours as written)."""
    r = QgsMultiBandColorRenderer(layer.dataProvider(), 1, 2, 3)
    return r


def style_rgb_image(context, path, name):
    """An RGB picture (e.g. the label embedding's colours) shown as written."""
    _attach(context, path, NamedStyler(name, rgb_renderer))


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


def style_stretched_output(context, path, name):
    _attach(context, path, NamedStyler(name, stretched_renderer))
