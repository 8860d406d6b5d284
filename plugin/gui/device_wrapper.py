"""Processing widget wrapper of the DEVICE parameter (plugin/processing/device_param.py): the devices this
machine has, in the algorithm dialog. The modeler and batch dialogs keep QGIS's own text widget."""

from qgis.PyQt.QtWidgets import QLabel, QVBoxLayout, QWidget

from .device_choice import DeviceCombo
from .dialog_only_wrapper import DialogOnlyWrapper


class DeviceWidgetWrapper(DialogOnlyWrapper):
    def __init__(self, param, dialog, row=0, col=0, **kwargs):
        self.combo = None
        self.info_label = None
        super().__init__(param, dialog, row, col, **kwargs)

    def createWidget(self, **kwargs):  # noqa: N802
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        self.combo = DeviceCombo(w, value=self.parameterDefinition().defaultValue() or "auto")
        self.combo.setToolTip("<p>{}</p>".format(self.parameterDefinition().help() or
                                                 self.parameterDefinition().description()))
        self.combo.currentTextChanged.connect(lambda _: self.widgetValueHasChanged.emit(self))
        self.info_label = QLabel()
        self.combo.describe_into(self.info_label)
        lay.addWidget(self.combo)
        lay.addWidget(self.info_label)
        return w

    def setValue(self, value):  # noqa: N802
        if self.combo is None:
            return
        if value is None or str(value) in ("NULL", ""):
            value = "auto"
        self.combo.set_value(str(value))

    def value(self):
        return self.combo.value() if self.combo is not None else None
