"""The composition editor's small dialogs: label names and colours, and an estimate from a labelled area."""

from qgis.core import QgsMapLayerProxyModel
from qgis.gui import QgsColorButton, QgsMapLayerComboBox
from qgis.PyQt.QtGui import QColor, QIcon, QPixmap
from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
)

from ..i18n import tr
from .composition_sources import guess_reference

ERROR_STYLE = "QLabel { color: #c00000; }"


def swatch(rgb, size=14):
    pm = QPixmap(size, size)
    pm.fill(QColor(*rgb[:3]))
    return QIcon(pm)


def add_message_and_buttons(dialog, add):
    """A red message line and OK/Cancel wired to the dialog, added with add(widget); returns the line."""
    message = QLabel()
    message.setStyleSheet(ERROR_STYLE)
    message.setWordWrap(True)
    add(message)
    box = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    add(box)
    return message


class LabelsDialog(QDialog):
    """Names and colours of the labels (columns): one line edit and one colour button per label."""

    def __init__(self, labels, colours, parent=None, focus=0):
        super().__init__(parent)
        self.setWindowTitle(tr("Labels"))
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(tr("Label codes 1..L follow this order in the output raster.")))
        grid = QGridLayout()
        self.name_edits, self.colour_buttons = [], []
        for i, (name, rgb) in enumerate(zip(labels, colours)):
            grid.addWidget(QLabel(str(i + 1)), i, 0)
            e = QLineEdit(name)
            e.setToolTip(tr("Name of label {} (unique)").format(i + 1))
            b = QgsColorButton()
            b.setAllowOpacity(False)
            b.setShowNoColor(False)
            b.setColor(QColor(*rgb[:3]))
            b.setToolTip(tr("Colour of label {} in the output style").format(i + 1))
            grid.addWidget(e, i, 1)
            grid.addWidget(b, i, 2)
            self.name_edits.append(e)
            self.colour_buttons.append(b)
        lay.addLayout(grid)
        self.message = add_message_and_buttons(self, lay.addWidget)
        if 0 <= focus < len(self.name_edits):
            self.name_edits[focus].setFocus()
            self.name_edits[focus].selectAll()

    def names(self):
        return [e.text().strip() for e in self.name_edits]

    def colours(self):
        return [(b.color().red(), b.color().green(), b.color().blue()) for b in self.colour_buttons]

    def problem(self):
        names = self.names()
        for i, n in enumerate(names):
            if not n:
                return tr("Label {} has no name.").format(i + 1)
            if n.lower() in [m.lower() for m in names[:i]]:
                return tr("The name '{}' is used twice: label names must be unique.").format(n)
        return ""

    def accept(self):
        p = self.problem()
        if p:
            self.message.setText(p)
            return
        super().accept()


class EstimateDialog(QDialog):
    """Asks for the layers of epitome:estimatecomposition: reference labels and coarse classes."""

    def __init__(self, parent=None, classes_layer=None, reference_layer=None, imagery_layer=None):
        super().__init__(parent)
        self.setWindowTitle(tr("Estimate from a labelled area"))
        form = QFormLayout(self)
        form.addRow(QLabel(tr("Counts, for every coarse class, the share of each label in an area whose "
                              "high-resolution labels are known.")))
        self.reference = QgsMapLayerComboBox()
        self.reference.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.reference.setAllowEmptyLayer(True)
        self.reference.setToolTip(tr("High-resolution label raster (codes 1..L, 0 = nodata)"))
        self.classes = QgsMapLayerComboBox()
        self.classes.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.classes.setAllowEmptyLayer(True)
        self.classes.setToolTip(tr("Coarse class layer (e.g. NLCD) covering the labelled area"))
        self.classes.setLayer(classes_layer)  # the class layer already chosen (the wizard's, the dialog's CLASSES)
        self.reference.setLayer(reference_layer if reference_layer is not None else
                                guess_reference(classes_layer, imagery_layer))
        self.min_pixels = QSpinBox()
        self.min_pixels.setRange(1, 10 ** 9)
        self.min_pixels.setToolTip(tr("Classes with fewer labelled pixels are left out"))
        form.addRow(tr("Reference labels"), self.reference)
        form.addRow(tr("Coarse classes"), self.classes)
        form.addRow(tr("Minimum pixels per class"), self.min_pixels)
        self.message = add_message_and_buttons(self, form.addRow)

    def accept(self):
        if self.reference.currentLayer() is None or self.classes.currentLayer() is None:
            self.message.setText(tr("Choose both layers (load them into the project first)."))
            return
        if self.reference.currentLayer() is self.classes.currentLayer():
            self.message.setText(tr("Choose two different layers: the fine labels and the coarse classes."))
            return
        super().accept()
