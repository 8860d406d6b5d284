"""Processing widget wrapper of the COMPOSITION parameter: the CSV path plus an "Edit…" button that opens
the composition editor (pre-filled from the current file or the built-in table, with rows for the codes of
the class layer chosen in the same dialog) and puts the saved CSV's path into the parameter.

The parameter stays a plain file path (qgis_process, models, batch): the wrapper is named by a string in
the parameter's metadata, so nothing here is imported where no GUI runs. In the model designer and in
batch mode QGIS's own file widgets are used (they offer model inputs and batch filling), so only the
algorithm dialog gets the editor.
"""

import os

from qgis.core import QgsMapLayer, QgsProcessingContext, QgsProcessingUtils, QgsProject, QgsRasterLayer
from qgis.gui import QgsFileWidget
from qgis.PyQt.QtWidgets import QDialog, QHBoxLayout, QPushButton, QWidget

from ..i18n import tr
from ..layer_files import layer_file
from .dialog_only_wrapper import DialogOnlyWrapper

CLASSES_PARAMETER = "CLASSES"
IMAGERY_PARAMETER = "IMAGERY"


def class_codes_for_table(path, band=1):
    """Class codes of a raster for the table rows (sampled; NLCD's 0 and 255 dropped when the rest are NLCD)."""
    from ...algorithms.composition.estimate import table_class_codes

    return table_class_codes(path, band)


class CompositionWidgetWrapper(DialogOnlyWrapper):
    """File path + Edit… in the algorithm dialog; QGIS's own widgets in the modeler and batch dialogs."""

    def __init__(self, param, dialog, row=0, col=0, **kwargs):
        self.file_widget = None
        self.edit_button = None
        self.classes_wrapper = None
        self.imagery_wrapper = None
        self.preselection_note = ""
        super().__init__(param, dialog, row, col, **kwargs)

    # ---- WidgetWrapper API ------------------------------------------------------------------

    def createWidget(self, **kwargs):  # noqa: N802
        w = QWidget()
        lay = QHBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        self.file_widget = QgsFileWidget()
        self.file_widget.setStorageMode(QgsFileWidget.GetFile)
        self.file_widget.setFilter(tr("CSV files (*.csv);;All files (*)"))
        self.file_widget.lineEdit().setPlaceholderText(tr("Built-in NLCD → water, forest, field, built table"))
        self.file_widget.setToolTip("<p>{}</p>".format(self.parameterDefinition().help() or
                                                           self.parameterDefinition().description()))
        self.file_widget.fileChanged.connect(lambda _: self.widgetValueHasChanged.emit(self))
        self.edit_button = QPushButton(tr("Edit…"))
        self.edit_button.setToolTip(tr("Edit the table p(label | class) (or start from the built-in one, or estimate "
                                       "it from a labelled area) and save it as CSV"))
        self.edit_button.clicked.connect(self.edit_composition)
        lay.addWidget(self.file_widget, 1)
        lay.addWidget(self.edit_button)
        return w

    def setValue(self, value):  # noqa: N802
        if self.file_widget is None:
            return
        if value is None or (not isinstance(value, str) and str(value) in ("NULL", "")):
            value = ""
        self.file_widget.setFilePath(str(value))

    def value(self):
        if self.file_widget is None:
            return None
        v = self.file_widget.filePath().strip()
        return v or None

    def postInitialize(self, wrappers):  # noqa: N802
        for w in wrappers:
            try:
                name = w.parameterDefinition().name()
            except (AttributeError, RuntimeError):
                continue
            if name == CLASSES_PARAMETER:
                self.classes_wrapper = w
            elif name == IMAGERY_PARAMETER:
                self.imagery_wrapper = w
        self.preselect_layers()

    # ---- IMAGERY and CLASSES: never the active layer twice ------------------------------------

    def _wrapper_layer(self, w):
        if w is None:
            return None
        try:
            v = w.parameterValue()
        except (AttributeError, RuntimeError):
            return None
        if isinstance(v, QgsMapLayer):
            return v
        if isinstance(v, str) and v:
            return QgsProject.instance().mapLayer(v) or next(
                (lyr for lyr in QgsProject.instance().mapLayers().values()
                 if layer_file(lyr) == v), None)
        return None

    def preselect_layers(self):
        """QGIS fills every layer of the algorithm dialog with the active layer: IMAGERY and CLASSES then hold the
        same raster. When they do, the dialog proposes what the wizard would: the finest image as IMAGERY and the
        coarsest class layer as CLASSES (the active layer keeps the role it fits). Returns the note shown."""
        from .lsr_wizard import guess_classes, guess_layers, is_categorical

        img, cls = self._wrapper_layer(self.imagery_wrapper), self._wrapper_layer(self.classes_wrapper)
        if img is None or cls is None or img.id() != cls.id():
            return ""
        layers = list(QgsProject.instance().mapLayers().values())
        if isinstance(img, QgsRasterLayer) and img.isValid() and is_categorical(img):
            guessed_img, _ = guess_layers([lyr for lyr in layers if lyr.id() != cls.id()])
            new_img, new_cls = guessed_img, cls
        else:
            new_img, new_cls = img, guess_classes(layers, img)
        ctx = QgsProcessingContext()
        ctx.setProject(QgsProject.instance())
        changed = []
        if new_img is not None and new_img.id() != img.id():
            self.imagery_wrapper.setParameterValue(new_img, ctx)
            changed.append(new_img.name())
        if new_cls is not None and new_cls.id() != cls.id():
            self.classes_wrapper.setParameterValue(new_cls, ctx)
            changed.append(new_cls.name())
        self.preselection_note = tr("Proposed: {} as imagery and {} as coarse classes (not the active layer twice)."
                                    ).format((new_img or img).name(), (new_cls or cls).name()) if changed else ""
        bar = getattr(getattr(self, "dialog", None), "messageBar", None)
        if self.preselection_note and callable(bar):
            try:
                bar().pushInfo("", self.preselection_note)
            except (AttributeError, RuntimeError, TypeError):
                pass
        return self.preselection_note

    # ---- the editor ---------------------------------------------------------------------------

    def classes_layer_path(self):
        """File of the raster chosen as CLASSES in the same dialog, or None."""
        w = self.classes_wrapper
        if w is None:
            return None
        try:
            v = w.parameterValue()
        except (AttributeError, RuntimeError):
            return None
        layer = v if isinstance(v, QgsMapLayer) else None
        if layer is None and isinstance(v, str) and v:
            layer = QgsProject.instance().mapLayer(v)
            if layer is None:
                ctx = QgsProcessingContext()
                ctx.setProject(QgsProject.instance())
                layer = QgsProcessingUtils.mapLayerFromString(v, ctx)
                if layer is None and os.path.isfile(v):
                    return v
        if isinstance(layer, QgsRasterLayer) and layer.providerType() == "gdal":
            return layer_file(layer)
        return None

    def classes_note(self):
        """Why no rows are added for the CLASSES layer ('' when they are): a layer that looks like imagery."""
        from osgeo import gdal

        path = self.classes_layer_path()
        if not path:
            return ""
        try:
            ds = gdal.OpenEx(path, gdal.OF_RASTER)
            bands = ds.RasterCount if ds is not None else 1
        except RuntimeError:
            return ""
        if bands > 1:
            return tr("No rows were added for the Coarse classes layer: {} has {} bands - is it the imagery? Choose "
                      "the class layer (e.g. NLCD) in the dialog first.").format(os.path.basename(path), bands)
        return ""

    def class_codes(self):
        path = self.classes_layer_path()
        if not path or self.classes_note():
            return []
        try:
            return class_codes_for_table(path)
        except Exception as e:  # noqa: BLE001 - an unreadable layer only means no rows are added
            from qgis.core import Qgis, QgsMessageLog

            QgsMessageLog.logMessage(tr("Could not read the class codes of {}: {}").format(path, e), "Epitome",
                                     Qgis.Warning)
            return []

    def make_dialog(self):
        from ...algorithms.io.label_legend import legend_names, read_legend
        from .composition_editor import CompositionDialog

        current = self.value()
        classes = self.classes_layer_path()
        note = self.classes_note()
        imagery = self._wrapper_layer(self.imagery_wrapper)
        dlg = CompositionDialog(self.widget, path=current if current and os.path.isfile(current) else None,
                                class_codes=self.class_codes(), classes_path=None if note else classes,
                                class_names=legend_names(read_legend(classes)) if classes and not note else None,
                                imagery_path=layer_file(imagery) if isinstance(imagery, QgsRasterLayer)
                                and imagery.providerType() == "gdal" else None)
        if note:
            dlg.editor.show_message(note)
        return dlg

    def edit_composition(self):
        """Open the editor; when it was saved, its CSV becomes the parameter value. Returns the path or None."""
        dlg = self.make_dialog()
        try:
            if dlg.exec_() == QDialog.Accepted and dlg.saved_path:
                self.setValue(dlg.saved_path)
                return dlg.saved_path
            return None
        finally:
            dlg.deleteLater()
