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


class LabelStyler(QgsProcessingLayerPostProcessorInterface):
    def __init__(self, labels, colours, name):
        super().__init__()
        self.labels, self.colours, self.name = list(labels), list(colours), name

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if layer is None or not layer.isValid():
            return
        layer.setRenderer(label_renderer(layer, self.labels, self.colours))
        layer.setName(self.name)
        layer.triggerRepaint()


class GradientStyler(QgsProcessingLayerPostProcessorInterface):
    def __init__(self, name):
        super().__init__()
        self.name = name

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if layer is None or not layer.isValid():
            return
        ramp = QgsStyle.defaultStyle().colorRamp("Viridis")
        shader_fn = QgsColorRampShader(0.0, 1.0, ramp)
        shader_fn.classifyColorRamp(5, -1)
        shader = QgsRasterShader()
        shader.setRasterShaderFunction(shader_fn)
        r = QgsSingleBandPseudoColorRenderer(layer.dataProvider(), 1, shader)
        r.setClassificationMin(0.0)
        r.setClassificationMax(1.0)
        layer.setRenderer(r)
        layer.setName(self.name)
        layer.triggerRepaint()


def _attach(context, path, styler):
    if context.willLoadLayerOnCompletion(path):
        _KEEP.append(styler)
        del _KEEP[:-32]
        context.layerToLoadOnCompletionDetails(path).setPostProcessor(styler)


def style_label_output(context, path, composition, name):
    _attach(context, path, LabelStyler(composition.labels, composition.colours, name))


def style_probability_output(context, path, composition, name):
    _attach(context, path, GradientStyler(name))


class EpitomeImageStyler(QgsProcessingLayerPostProcessorInterface):
    """EPITOME_IMAGE (2C + 2 bands): RGB of the first three mean bands with a min/max stretch, or the first
    mean band in grey when the imagery has fewer than 3 bands."""

    def __init__(self, name):
        super().__init__()
        self.name = name

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if layer is None or not layer.isValid():
            return
        layer.setRenderer(epitome_image_renderer(layer))
        layer.setName(self.name)
        layer.triggerRepaint()


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
    _attach(context, path, EpitomeImageStyler(name))
