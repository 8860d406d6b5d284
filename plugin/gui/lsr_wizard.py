"""The "Label super-resolution" wizard: imagery + class layer -> a styled high-resolution label map.

Pages: (1) layers from the project, with CRS and resolution shown and checked; (2) the composition
table p(label | class) in the composition editor, rows filled from the class layer's codes;
(3) quality preset, device, outputs; (4) run with progress and cancel. It drives the same
Processing algorithms as the toolbox (epitome:selfepitomiclsr, then epitome:evaluate when a
reference layer is given) through plugin.gui.runner.AlgorithmRun, in the background.
"""

import os
import shutil

from qgis.core import QgsCoordinateTransform, QgsMapLayerProxyModel, QgsProject, QgsRasterLayer, QgsUnitTypes
from qgis.gui import QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import QCoreApplication, Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QMessageBox,
                                 QPlainTextEdit, QProgressBar, QPushButton, QTextBrowser, QVBoxLayout, QWidget,
                                 QWizard, QWizardPage)

from ...algorithms.composition.table import CompositionError
from .runner import AlgorithmRun

from .. import ICONS
LSR, EVALUATE = "epitome:selfepitomiclsr", "epitome:evaluate"


def tr(text):
    return QCoreApplication.translate("LsrWizard", text)


# name, parameters, tooltip (speeds: docs/BENCHMARKS.md, 2-core CPU)
PRESETS = [
    (tr("Fast"), {"TILE_SIZE": 256, "SAMPLES": 0.02},
     tr("Tiles of 256 px, 2% of windows as the epitome: about 3x faster than Balanced on a CPU, a little less "
        "accurate (-0.6 points on the benchmark scene).")),
    (tr("Balanced (recommended)"), {"TILE_SIZE": 512, "SAMPLES": 0.05},
     tr("The algorithm's defaults: tiles of 512 px, 5% of windows (about 5.7 km2/min on a 2-core CPU).")),
    (tr("Thorough"), {"TILE_SIZE": 512, "SAMPLES": 0.1, "EM_ITERATIONS": 50},
     tr("Twice the windows and more EM iterations: about half the speed of Balanced; helps on very varied "
        "scenes.")),
]


def layer_path(layer):
    """The file behind a GDAL raster layer (without |layername=... options)."""
    return layer.source().split("|")[0]


def layer_summary(layer):
    """One line about a raster layer: size, bands, pixel size and CRS (or why it cannot be used)."""
    if layer is None:
        return tr("No layer chosen.")
    if not layer.isValid():
        return tr("The layer is not valid.")
    crs = layer.crs()
    crs_txt = crs.authid() or crs.description() if crs.isValid() else tr("no CRS")
    unit_txt = QgsUnitTypes.toAbbreviatedString(crs.mapUnits()) if crs.isValid() else "px"
    return tr("{} x {} px, {} band(s), pixel {:.4g} x {:.4g} {}, {}").format(
        layer.width(), layer.height(), layer.bandCount(), layer.rasterUnitsPerPixelX(),
        layer.rasterUnitsPerPixelY(), unit_txt, crs_txt)


def check_layers(imagery, classes):
    """(errors, warnings) about the chosen imagery and class layers, with what to change."""
    errors, warnings = [], []
    for lyr, what in ((imagery, tr("Imagery")), (classes, tr("Class layer"))):
        if lyr is None:
            errors.append(tr("{}: choose a raster layer.").format(what))
        elif not lyr.isValid():
            errors.append(tr("{}: the layer is not valid.").format(what))
        elif lyr.providerType() != "gdal":
            errors.append(tr("{}: '{}' is not a file raster; save it as a GeoTIFF first (Raster > Conversion > "
                             "Translate).").format(what, lyr.name()))
    if errors:
        return errors, warnings
    if imagery.id() == classes.id():
        errors.append(tr("Imagery and class layer are the same layer: choose the coarse classes (e.g. NLCD) as the "
                         "class layer."))
        return errors, warnings
    if classes.bandCount() > 1:
        warnings.append(tr("The class layer has {} bands; band 1 is used.").format(classes.bandCount()))
    ci, cc = imagery.crs(), classes.crs()
    if ci.isValid() != cc.isValid():
        errors.append(tr("Only one of the two layers has a CRS. Set the missing CRS (layer Properties > Source) "
                         "so they can be aligned."))
        return errors, warnings
    if ci.isValid():
        try:
            ext = QgsCoordinateTransform(cc, ci, QgsProject.instance()).transformBoundingBox(classes.extent())
        except Exception:
            ext = None
        if ext is None or not ext.intersects(imagery.extent()):
            errors.append(tr("The class layer does not overlap the imagery. Choose layers of the same area."))
            return errors, warnings
        if ci == cc and imagery.rasterUnitsPerPixelX() >= classes.rasterUnitsPerPixelX():
            warnings.append(tr("The imagery is not finer than the class layer ({:.3g} against {:.3g} map units): "
                               "label super-resolution expects fine imagery and coarse classes.").format(
                imagery.rasterUnitsPerPixelX(), classes.rasterUnitsPerPixelX()))
    elif (imagery.width(), imagery.height()) != (classes.width(), classes.height()):
        errors.append(tr("Without a CRS both layers must have the same size in pixels ({} x {} against {} x {})."
                         ).format(imagery.width(), imagery.height(), classes.width(), classes.height()))
    return errors, warnings


class LayersPage(QWizardPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        self.setTitle(tr("Imagery and coarse classes"))
        self.setSubTitle(tr("Pick fine imagery (e.g. NAIP, 1 m) and the coarse class layer (e.g. NLCD, 30 m) from "
                            "the project. The class layer may have any CRS and grid: it is aligned on the fly."))
        form = QFormLayout(self)
        self.imagery = QgsMapLayerComboBox()
        self.imagery.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.imagery.setToolTip(tr("High-resolution imagery: all its bands are used."))
        self.imagery_info = QLabel()
        self.classes = QgsMapLayerComboBox()
        self.classes.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.classes.setToolTip(tr("Coarse classes (integer codes, band 1), e.g. NLCD."))
        self.classes_info = QLabel()
        self.reference = QgsMapLayerComboBox()
        self.reference.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.reference.setAllowEmptyLayer(True)
        self.reference.setLayer(None)
        self.reference.setToolTip(tr("Optional: high-resolution reference labels (codes 1..L as in the composition) "
                                     "to evaluate the result (overall accuracy, IoU)."))
        self.checks = QLabel()
        self.checks.setWordWrap(True)
        for w in (self.imagery_info, self.classes_info):
            w.setWordWrap(True)
            w.setStyleSheet("color: #555;")
        form.addRow(tr("Imagery"), self._with_info(self.imagery, self.imagery_info))
        form.addRow(tr("Class layer"), self._with_info(self.classes, self.classes_info))
        form.addRow(tr("Reference (optional)"), self.reference)
        form.addRow(self.checks)
        if self.classes.count() > 1 and self.classes.currentIndex() == self.imagery.currentIndex():
            self.classes.setCurrentIndex(1)
        self.imagery.layerChanged.connect(self._update)
        self.classes.layerChanged.connect(self._update)
        self._update()

    @staticmethod
    def _with_info(combo, info):
        """The layer combo with its summary line right under it (one form row)."""
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 4)
        lay.setSpacing(2)
        lay.addWidget(combo)
        lay.addWidget(info)
        return box

    def _update(self, *_):
        self.imagery_info.setText(layer_summary(self.imagery.currentLayer()))
        self.classes_info.setText(layer_summary(self.classes.currentLayer()))
        errors, warnings = check_layers(self.imagery.currentLayer(), self.classes.currentLayer())
        lines = ["<span style='color:#b00020'>{}</span>".format(e) for e in errors]
        lines += ["<span style='color:#8a6d00'>{}</span>".format(w) for w in warnings]
        if not lines:
            lines = ["<span style='color:#1b5e20'>\u2714 {}</span>".format(tr("The layers fit together."))]
        self.checks.setText("<br>".join(lines))
        self.completeChanged.emit()

    def isComplete(self):  # noqa: N802
        return not check_layers(self.imagery.currentLayer(), self.classes.currentLayer())[0]


class CompositionPage(QWizardPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        from .composition_editor import CompositionEditor

        self.setTitle(tr("Composition of the coarse classes"))
        self.setSubTitle(tr("p(label | class): what share of each coarse class is each high-resolution label. Start "
                            "from the built-in NLCD table, a CSV, or estimate it from a labelled area."))
        lay = QVBoxLayout(self)
        self.editor = CompositionEditor(self)
        lay.addWidget(self.editor)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        lay.addWidget(self.error)
        self._codes_for = None

    def initializePage(self):  # noqa: N802
        layer = self.wizard().layers.classes.currentLayer()
        if layer is not None and layer.id() != self._codes_for:
            from ...algorithms.composition.estimate import table_class_codes

            try:
                self.editor.set_class_codes(table_class_codes(layer_path(layer), 1))
                self._codes_for = layer.id()
            except Exception as e:  # show it; the user can still edit the table by hand
                self.error.setText(tr("Could not read the class codes: {}").format(e))

    def validatePage(self):  # noqa: N802

        try:
            self.wizard().composition = self.editor.composition()
        except CompositionError as e:
            self.error.setText(str(e))
            return False
        self.error.setText("")
        return True


class SettingsPage(QWizardPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        self.setTitle(tr("Quality, device and outputs"))
        form = QFormLayout(self)
        self.preset = QComboBox()
        for i, (name, params, tip) in enumerate(PRESETS):
            self.preset.addItem(name, params)
            self.preset.setItemData(i, tip, Qt.ToolTipRole)
        self.preset.setCurrentIndex(1)
        self.preset.setToolTip(tr("Speed against thoroughness; hover over an entry for details."))
        self.device = QComboBox()
        self.device.setEditable(True)
        self.device.addItems(["auto", "cpu", "cuda"])
        self.device.setToolTip(tr("auto: the GPU when PyTorch sees one, else the CPU. cuda:N picks a GPU."))
        from ..settings import default_device

        self.device.setCurrentText(default_device())
        self.output = QgsFileWidget()
        self.output.setStorageMode(QgsFileWidget.SaveFile)
        self.output.setFilter(tr("GeoTIFF (*.tif)"))
        self.output.setToolTip(tr("Where to write the label map; empty: a temporary file."))
        self.confidence = QCheckBox(tr("Also add a confidence layer (max p per pixel)"))
        self.confidence.setChecked(True)
        form.addRow(tr("Quality"), self.preset)
        form.addRow(tr("Device"), self.device)
        form.addRow(tr("Label map"), self.output)
        form.addRow("", self.confidence)


class RunPage(QWizardPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        self.setTitle(tr("Run"))
        lay = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        lay.addWidget(self.bar)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        lay.addWidget(self.log, 1)
        self.result = QTextBrowser()
        self.result.setMaximumHeight(150)
        lay.addWidget(self.result)
        self.run_button = QPushButton(QIcon(os.path.join(ICONS, "lsr.svg")), tr("Run"))
        self.run_button.setToolTip(tr("Start label super-resolution in the background (QGIS stays usable)."))
        self.cancel_button = QPushButton(tr("Stop run"))
        self.cancel_button.setToolTip(tr("Stop the run; nothing half-written is left behind."))
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(wizard.start)
        self.cancel_button.clicked.connect(wizard.cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        lay.addLayout(buttons)

    def initializePage(self):  # noqa: N802
        self.summary.setText(self.wizard().summary())

    def isComplete(self):  # noqa: N802
        return self.wizard().done_ok


class LsrWizard(QWizard):
    """The wizard. `iface` may be None (tests): layers are added to the project either way."""

    def __init__(self, iface=None, parent=None, project=None):
        super().__init__(parent)
        self.iface = iface
        self.project = project or QgsProject.instance()
        self.setWindowTitle(tr("Epitome: label super-resolution"))
        self.setWindowIcon(QIcon(os.path.join(ICONS, "lsr.svg")))
        self.setWizardStyle(QWizard.ModernStyle)
        self.setOption(QWizard.HaveHelpButton, True)
        self.helpRequested.connect(self.show_help)
        self.composition = None
        self.run = None
        self.eval_run = None
        self.done_ok = False
        self.added_layers = []
        self.evaluation = {}
        self.layers = LayersPage(self)
        self.compo = CompositionPage(self)
        self.settings = SettingsPage(self)
        self.run_page = RunPage(self)
        for page in (self.layers, self.compo, self.settings, self.run_page):
            self.addPage(page)
        self.resize(760, 620)

    # ----------------------------------------------------------------------------------------------
    def parameters(self):
        """The epitome:selfepitomiclsr parameters the wizard's choices amount to. The composition goes
        to a temporary CSV; it is copied next to the result only when the run succeeds."""
        from qgis.core import QgsProcessingUtils

        from ...algorithms.composition.table import save_composition

        out = self.settings.output.filePath().strip() or QgsProcessingUtils.generateTempFilename("labels.tif")
        if not out.lower().endswith((".tif", ".tiff")):
            out += ".tif"
        folder = os.path.dirname(os.path.abspath(out))
        if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
            raise OSError(tr("Cannot write into the output folder {}. Choose another place for the label map."
                             ).format(folder))
        comp_csv = save_composition(self.composition, QgsProcessingUtils.generateTempFilename("composition.csv"))
        params = {"IMAGERY": layer_path(self.layers.imagery.currentLayer()),
                  "CLASSES": layer_path(self.layers.classes.currentLayer()),
                  "COMPOSITION": comp_csv, "DEVICE": self.settings.device.currentText().strip() or "auto",
                  "OUTPUT": out}
        params.update(self.settings.preset.currentData())
        if self.settings.confidence.isChecked():
            params["CONFIDENCE"] = os.path.splitext(out)[0] + "_confidence.tif"
        return params

    def summary(self):
        lyr = self.layers
        return tr("<b>{}</b> + <b>{}</b> with {} labels ({}), quality {}, device {}.{}").format(
            lyr.imagery.currentLayer().name(), lyr.classes.currentLayer().name(),
            len(self.composition.labels) if self.composition else 0,
            ", ".join(self.composition.labels) if self.composition else "",
            self.settings.preset.currentText(), self.settings.device.currentText(),
            tr(" Then evaluated against <b>{}</b>.").format(lyr.reference.currentLayer().name())
            if lyr.reference.currentLayer() else "")

    def start(self):
        page = self.run_page
        try:
            params = self.parameters()
            self.run = AlgorithmRun(LSR, params, project=self.project)
        except (OSError, ValueError, CompositionError) as e:
            page.result.setHtml("<span style='color:#b00020'>{}</span>".format(e))
            return False
        self.done_ok = False
        page.log.clear()
        page.result.clear()
        page.bar.setValue(0)
        self.run.progress.connect(lambda v: page.bar.setValue(int(v)))
        self.run.message.connect(lambda level, text: page.log.appendPlainText(
            text if level == "info" else "{}: {}".format(level.upper(), text)))
        self.run.finished.connect(self._lsr_finished)
        page.run_button.setEnabled(False)
        page.cancel_button.setEnabled(True)
        self.button(QWizard.BackButton).setEnabled(False)
        if not self.run.start():
            return False
        return True

    def cancel(self):
        for r in (self.run, self.eval_run):
            if r is not None and r.is_running():
                r.cancel()
        self.run_page.log.appendPlainText(tr("Cancelling…"))

    def _lsr_finished(self, ok, results):
        page = self.run_page
        page.cancel_button.setEnabled(False)
        page.run_button.setEnabled(True)
        self.button(QWizard.BackButton).setEnabled(True)
        if not ok:
            why = "<br>".join(self.run.errors) or tr("Cancelled.")
            page.result.setHtml("<span style='color:#b00020'>{}</span>".format(why))
            return
        self._add_outputs(results)
        base = os.path.splitext(results["OUTPUT"])[0]
        try:  # the table used, kept next to the result as a record
            shutil.copyfile(self.run.params["COMPOSITION"], base + "_composition.csv")
        except OSError as e:
            page.log.appendPlainText(tr("WARNING: the composition table could not be saved next to the result: {}"
                                        ).format(e))
        ref = self.layers.reference.currentLayer()
        if ref is not None:
            page.log.appendPlainText(tr("Evaluating against {}…").format(ref.name()))
            # label names come from the result's own categories (a name may contain a comma)
            self.eval_run = AlgorithmRun(EVALUATE, {"PREDICTION": results["OUTPUT"], "REFERENCE": layer_path(ref),
                                                    "REPORT": base + "_evaluation.html"},
                                         project=self.project)
            self.eval_run.finished.connect(self._eval_finished)
            page.cancel_button.setEnabled(True)
            self.eval_run.start()
        else:
            self._done()

    def _add_outputs(self, results):
        from ..processing.styling import label_renderer, probability_renderer

        out = results["OUTPUT"]
        base = os.path.splitext(os.path.basename(out))[0]
        # Both go to the top of the layer tree (not where the current selection happens to be), the label
        # map above its confidence layer, which is left unchecked so the label map is visible.
        root = self.project.layerTreeRoot()
        conf = results.get("CONFIDENCE")
        if conf and os.path.isfile(conf):
            c = QgsRasterLayer(conf, tr("{} (confidence)").format(base))
            if c.isValid():
                c.setRenderer(probability_renderer(c))
                self.project.addMapLayer(c, False)
                node = root.insertLayer(0, c)
                node.setItemVisibilityChecked(False)
                node.setExpanded(False)
                self.added_layers.append(c)
        lab = QgsRasterLayer(out, tr("{} (Epitome labels)").format(base))
        if lab.isValid():
            lab.setRenderer(label_renderer(lab, list(self.composition.labels), list(self.composition.colours)))
            self.project.addMapLayer(lab, False)
            root.insertLayer(0, lab).setExpanded(True)  # the legend shows the label names and colours
            self.added_layers.insert(0, lab)
        self.run_page.result.setHtml(tr("Label map written to <a href='file://{0}'>{0}</a> and added to the map."
                                        ).format(out))

    def _eval_finished(self, ok, results):
        page = self.run_page
        page.cancel_button.setEnabled(False)
        if ok:
            self.evaluation = results
            page.log.appendPlainText(tr("Evaluation done."))
            page.result.append(tr("<b>Evaluation</b>: overall accuracy {:.1%}, mean IoU {:.3f} over {:,} pixels. "
                                  "Report: <a href='file://{}'>HTML</a>").format(
                results["OVERALL_ACCURACY"], results["MEAN_IOU"], int(results["PIXELS"]), results.get("REPORT", "")))
        else:
            page.result.append("<span style='color:#b00020'>{}</span>".format(
                tr("Evaluation failed: {}").format("<br>".join(self.eval_run.errors) or tr("cancelled"))))
        self._done()

    def _done(self):
        self.done_ok = True
        self.run_page.bar.setValue(100)
        self.run_page.completeChanged.emit()
        if self.iface is not None and self.added_layers:
            try:
                self.iface.messageBar().pushSuccess(tr("Epitome"), tr("Label map added: {}").format(
                    self.added_layers[0].name()))
            except Exception:
                pass

    def show_help(self):
        from qgis.core import QgsApplication

        alg = QgsApplication.processingRegistry().algorithmById(LSR)
        box = QMessageBox(self)
        box.setWindowTitle(tr("Help: label super-resolution"))
        box.setTextFormat(Qt.RichText)
        box.setText(alg.shortHelpString() if alg is not None else tr("The Epitome provider is not loaded."))
        box.setStandardButtons(QMessageBox.Close)
        box.open()
        self._help_box = box
        return box

    def reject(self):
        if any(r is not None and r.is_running() for r in (self.run, self.eval_run)):
            self.cancel()  # closing the wizard stops its run; nothing half-written is left
        super().reject()
