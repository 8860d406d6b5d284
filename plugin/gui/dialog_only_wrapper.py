"""Base of the plugin's Processing widget wrappers that replace a parameter's widget in the algorithm dialog
only: in the model designer and in batch mode QGIS's own widgets are kept (they offer model inputs and batch
filling), so a wrapper subclassing this one is constructed only for the algorithm dialog."""

from processing.gui.wrappers import WidgetWrapper
from qgis.gui import QgsGui, QgsProcessingGui


class DialogOnlyWrapper(WidgetWrapper):
    """WidgetWrapper that hands the modeler and batch dialogs QGIS's own widget for the parameter."""

    def __new__(cls, param, dialog, row=0, col=0, **kwargs):
        kind = dialog.__class__.__name__
        if kind == "ModelerParametersDialog":
            return QgsGui.processingGuiRegistry().createModelerParameterWidget(dialog.model, dialog.childId, param,
                                                                               dialog.context)
        if kind == "BatchAlgorithmDialog":
            w = QgsGui.processingGuiRegistry().createParameterWidgetWrapper(param, QgsProcessingGui.Batch)
            if w is not None:
                w.setDialog(dialog)
                return w
        return super().__new__(cls)
