"""The "Label super-resolution" wizard: imagery + class layer -> a styled high-resolution label map.

Pages: (1) layers from the project, guessed by type and resolution (or the last ones used), with size,
CRS and resolution shown and checked; (2) the composition table p(label | class) in the composition
editor, rows filled from the class layer's codes (its own class names when it has them); (3) quality
preset, device (what this machine has), the output file (a named file, never a temporary one);
(4) run with progress and cancel. It drives the same Processing algorithms as the toolbox
(epitome:selfepitomiclsr, then epitome:evaluate when a reference layer is given) through
plugin.gui.runner.AlgorithmRun, in the background. The layers of a run go into one group named after
the input and the method; "Zoom to result" shows them.
"""

import os
import shutil

from qgis.core import (
    QgsCoordinateTransform,
    QgsLayerTreeGroup,
    QgsMapLayerProxyModel,
    QgsProject,
    QgsRasterLayer,
    QgsSettings,
    QgsUnitTypes,
)
from qgis.gui import QgsFieldComboBox, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from ...algorithms.composition.table import CompositionError
from .. import ICONS, settings
from ..i18n import tr
from ..layer_files import layer_file
from ..processing.styling import unique_name
from .device_choice import DeviceCombo
from .runner import AlgorithmRun

LSR, EVALUATE = "epitome:selfepitomiclsr", "epitome:evaluate"
KEY = "epitome/wizard/"  # QgsSettings: the last choices (layer files, table, preset, device, confidence)
INFO_STYLE = "color: #555;"


# name, parameters, what it changes and what it costs, measured against Balanced (docs/BENCHMARKS_PRESETS.md,
# scripts/bench_presets.py: two generated scenes and the eight real NAIP patches, computing time on one machine).
def presets():
    return [
        (tr("Fast"), {"SAMPLES": 0.03, "KEY_STRIDE": 4, "EM_ITERATIONS": 10},
         tr("Fast: fewer query patches (3% of the working pixels), every 4th window compared, 10 refinement steps "
            "instead of 30. About 40% less computing time than Balanced; in the benchmarks it was as accurate (0.1 "
            "to 1.2 points "
            "better). For large areas and first looks.")),
        (tr("Balanced (recommended)"), {},
         tr("Balanced: the algorithm's defaults - tiles of about 512 m of ground, 5% of the working pixels as query "
            "patches, every 3rd window compared, 30 refinement steps. The yardstick of the other two.")),
        (tr("Thorough"), {"KEY_STRIDE": 1},
         tr("Thorough: every window of a tile compared, not every 3rd. About 1.6 times the computing time of "
            "Balanced, for at most a few hundredths of a point in the benchmarks: to check a result on a small "
            "area, not for a better map.")),
    ]


def preset_parameters(preset, imagery):
    """The algorithm's parameters of a preset: TILE_METRES becomes TILE_SIZE in the imagery's pixels."""
    params = dict(preset or {})
    metres = params.pop("TILE_METRES", None)
    if metres and imagery is not None:
        px = pixel_metres(imagery)
        if px > 0:
            params["TILE_SIZE"] = int(max(32, min(8192, round(metres / px))))
    return params


def layer_path(layer):
    """The file behind a GDAL raster layer (without QGIS's options)."""
    return layer_file(layer)


def pixel_size_metres(layer):
    """(x, y) pixel size in metres: map units converted; degrees at the latitude of the layer's centre
    (a degree of longitude is cos(latitude) times a degree of latitude). None without a CRS."""
    import math

    crs = layer.crs()
    if not crs.isValid():
        return None
    dx, dy = abs(layer.rasterUnitsPerPixelX()), abs(layer.rasterUnitsPerPixelY())
    if crs.isGeographic():
        lat = max(-89.9, min(89.9, layer.extent().center().y()))
        return dx * 111320.0 * math.cos(math.radians(lat)), dy * 110574.0
    f = QgsUnitTypes.fromUnitToUnitFactor(crs.mapUnits(), QgsUnitTypes.DistanceMeters)
    return dx * f, dy * f


def layer_summary(layer):
    """One line about a raster layer: size, bands, pixel size and CRS (or why it cannot be used). A pixel size
    in degrees also in metres."""
    if layer is None:
        return tr("No layer chosen.")
    if not layer.isValid():
        return tr("The layer is not valid.")
    crs = layer.crs()
    crs_txt = crs.authid() or crs.description() if crs.isValid() else tr("no CRS")
    unit_txt = QgsUnitTypes.toAbbreviatedString(crs.mapUnits()) if crs.isValid() else "px"
    size = tr("pixel {:.4g} x {:.4g} {}").format(layer.rasterUnitsPerPixelX(), layer.rasterUnitsPerPixelY(), unit_txt)
    if crs.isValid() and crs.isGeographic():
        mx, my = pixel_size_metres(layer)
        size = tr("pixel {:.3g} x {:.3g} degrees (about {:.3g} x {:.3g} m)").format(
            layer.rasterUnitsPerPixelX(), layer.rasterUnitsPerPixelY(), mx, my)
    return tr("{} x {} px, {} band(s), {}, {}").format(layer.width(), layer.height(), layer.bandCount(), size,
                                                       crs_txt)


def alignment_problem(imagery, other, what):
    """Why `other` (the class layer or the reference) cannot be put on the imagery's grid, naming both layers;
    '' when it can."""
    ci, co = imagery.crs(), other.crs()
    if ci.isValid() != co.isValid():
        return tr("Only one of the imagery '{}' and the {} '{}' has a CRS. Set the missing CRS (layer Properties > "
                  "Source) so they can be aligned.").format(imagery.name(), what, other.name())
    if ci.isValid():
        try:
            ext = QgsCoordinateTransform(co, ci, QgsProject.instance()).transformBoundingBox(other.extent())
        except Exception:  # noqa: BLE001 - a failed transform means they cannot be checked: say so below
            ext = None
        if ext is None or not ext.intersects(imagery.extent()):
            return tr("The {} '{}' does not overlap the imagery '{}'. Choose layers of the same area.").format(
                what, other.name(), imagery.name())
        return ""
    if (imagery.width(), imagery.height()) != (other.width(), other.height()):
        return tr("Without a CRS the imagery '{}' and the {} '{}' must have the same size in pixels ({} x {} against "
                  "{} x {}).").format(imagery.name(), what, other.name(), imagery.width(), imagery.height(),
                                      other.width(), other.height())
    return ""


def check_layers(imagery, classes, reference=None):
    """(errors, warnings) about the chosen imagery, class and reference layers, with what to change; every
    message names the layers it is about."""
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
    if reference is not None:
        if reference.id() in (imagery.id(), classes.id()):
            errors.append(tr("The reference must be another layer: high-resolution labels to compare the result "
                             "with (or leave it empty)."))
        elif not reference.isValid():
            errors.append(tr("Reference: the layer '{}' is not valid.").format(reference.name()))
        elif reference.providerType() != "gdal":
            errors.append(tr("Reference: '{}' is not a file raster.").format(reference.name()))
        else:
            problem = alignment_problem(imagery, reference, tr("reference"))
            if problem:
                errors.append(problem + " " + tr("Or leave the reference empty."))
            elif reference.bandCount() > 1:
                warnings.append(tr("The reference '{}' has {} bands; band 1 is used.").format(
                    reference.name(), reference.bandCount()))
    if classes.bandCount() > 1:
        warnings.append(tr("The class layer has {} bands; band 1 is used.").format(classes.bandCount()))
    problem = alignment_problem(imagery, classes, tr("class layer"))
    if problem:
        errors.append(problem)
        return errors, warnings
    ci, cc = imagery.crs(), classes.crs()
    if ci.isValid() and ci == cc and imagery.rasterUnitsPerPixelX() >= classes.rasterUnitsPerPixelX():
        warnings.append(tr("The imagery is not finer than the class layer ({:.3g} against {:.3g} map units): "
                           "label super-resolution expects fine imagery and coarse classes.").format(
            imagery.rasterUnitsPerPixelX(), classes.rasterUnitsPerPixelX()))
    return errors, warnings


# ---- guessing the layers' roles ----------------------------------------------------------------------

INTEGER_TYPES = (1, 2, 3, 4, 5)  # Qgis.Byte, UInt16, Int16, UInt32, Int32


def pixel_metres(layer):
    """Pixel width in metres (degrees at the layer's latitude); the pixel size itself without a CRS."""
    size = pixel_size_metres(layer)
    return size[0] if size is not None else abs(layer.rasterUnitsPerPixelX())


def is_categorical(layer):
    """One band of integer codes: what a class or label layer looks like."""
    return layer.bandCount() == 1 and int(layer.dataProvider().dataType(1)) in INTEGER_TYPES


def guess_layers(layers):
    """(imagery, classes) among raster layers: imagery = the finest image with several bands (else the finest
    non-categorical layer); classes = the coarsest single-band integer layer other than it. None when
    nothing fits."""
    rasters = [lyr for lyr in layers if isinstance(lyr, QgsRasterLayer) and lyr.isValid()
               and lyr.providerType() == "gdal"]
    if not rasters:
        return None, None
    imagery = min(rasters, key=lambda lyr: (is_categorical(lyr), lyr.bandCount() < 3, pixel_metres(lyr)))
    return imagery, guess_classes(rasters, imagery)


def guess_classes(layers, imagery):
    """The coarsest single-band integer raster other than `imagery` (None when there is no other raster)."""
    others = [lyr for lyr in layers if isinstance(lyr, QgsRasterLayer) and lyr.isValid() and lyr is not imagery
              and lyr.providerType() == "gdal"]
    if not others:
        return None
    fine = pixel_metres(imagery) if imagery is not None else 0.0
    return min(others, key=lambda lyr: (not is_categorical(lyr), pixel_metres(lyr) <= 1.5 * fine,
                                        -pixel_metres(lyr)))


def remembered(role):
    return QgsSettings().value(KEY + role, "", type=str) or ""


def remember(role, value):
    QgsSettings().setValue(KEY + role, value if value is not None else "")


def layer_with_source(project, path):
    """The project's raster layer reading the file `path` (None when none does)."""
    if not path:
        return None
    want = os.path.normcase(os.path.abspath(path))
    for lyr in project.mapLayers().values():
        if isinstance(lyr, QgsRasterLayer) and lyr.providerType() == "gdal" and \
                os.path.normcase(os.path.abspath(layer_path(lyr))) == want:
            return lyr
    return None


def output_files(path):
    """The files a run writes for the label map `path` (label map, confidence, table, evaluation)."""
    base = os.path.splitext(path)[0]
    return [path, base + "_confidence.tif", base + "_composition.csv", base + "_evaluation.html"]


def default_output_path(imagery, project=None):
    """A new label map file named after the imagery: beside it when its folder is writable, else in the folder
    last saved into, the project's folder or the home folder; `_2`, `_3`... so no earlier result (or its
    confidence, table or report) is overwritten. '' when no folder is writable."""
    stem = (os.path.splitext(os.path.basename(layer_path(imagery)))[0] if imagery is not None else "labels") + \
        "_epitome"
    folders = [os.path.dirname(os.path.abspath(layer_path(imagery))) if imagery is not None else "",
               settings.last_folder(), (project or QgsProject.instance()).absolutePath() or "",
               os.path.expanduser("~")]
    for folder in folders:
        if settings.writable_folder(folder):
            n = 1
            while True:
                path = os.path.join(folder, "{}{}.tif".format(stem, "" if n == 1 else "_{}".format(n)))
                if not any(os.path.exists(p) for p in output_files(path)):
                    return path
                n += 1
    return ""


def header(page, title, subtitle):
    """Every page has the same header: a title and a one-line (or two-line) subtitle."""
    page.setTitle(title)
    page.setSubTitle(subtitle)


class LayersPage(QWizardPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        header(self, tr("Imagery and coarse classes"),
               tr("Pick fine imagery (e.g. NAIP, 1 m) and the coarse class layer (e.g. NLCD, 30 m) from the "
                  "project. The class layer may have any CRS and grid: it is aligned on the fly."))
        form = QFormLayout(self)
        self.imagery = QgsMapLayerComboBox()
        self.imagery.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.imagery.setToolTip(tr("High-resolution imagery: all its bands are used."))
        self.classes = QgsMapLayerComboBox()
        self.classes.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.classes.setToolTip(tr("Coarse classes (integer codes, band 1), e.g. NLCD."))
        self.reference = QgsMapLayerComboBox()
        self.reference.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.reference.setAllowEmptyLayer(True)
        self.reference.setLayer(None)
        self.reference.setToolTip(tr("Optional: high-resolution reference labels (codes 1..L as in the composition) "
                                     "to evaluate the result (overall accuracy, IoU) against two label-only "
                                     "baselines."))
        self.samples = QgsMapLayerComboBox()
        self.samples.setFilters(QgsMapLayerProxyModel.PointLayer | QgsMapLayerProxyModel.PolygonLayer |
                                QgsMapLayerProxyModel.RasterLayer)
        self.samples.setAllowEmptyLayer(True)
        self.samples.setLayer(None)
        self.samples.setToolTip(tr("Optional: labelled samples of the area - about 100 points (or polygons, or a "
                                   "label raster) whose label field holds the composition's label codes or names. They "
                                   "choose how much to believe the imagery and estimate the accuracy of the result "
                                   "with a 95% interval, beside both label-only baselines."))
        self.samples_field = QgsFieldComboBox()
        self.samples_field.setToolTip(tr("The field of the samples that holds each label (a code 1..L or a label "
                                         "name)."))
        self.samples.layerChanged.connect(self._samples_changed)
        self.imagery_info, self.classes_info, self.reference_info = QLabel(), QLabel(), QLabel()
        self.checks = QLabel()
        self.checks.setWordWrap(True)
        for w in (self.imagery_info, self.classes_info, self.reference_info):
            w.setWordWrap(True)
            w.setStyleSheet(INFO_STYLE)
        form.addRow(tr("Imagery"), self._with_info(self.imagery, self.imagery_info))
        form.addRow(tr("Class layer"), self._with_info(self.classes, self.classes_info))
        form.addRow(tr("Reference (optional)"), self._with_info(self.reference, self.reference_info))
        samples_row = QWidget()
        row = QHBoxLayout(samples_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.samples, 2)
        row.addWidget(QLabel(tr("label field")))
        row.addWidget(self.samples_field, 1)
        form.addRow(tr("Reference samples (optional)"), samples_row)
        form.addRow(self.checks)
        self.guess(wizard.project)
        for combo in (self.imagery, self.classes, self.reference):
            combo.layerChanged.connect(self._update)
        self._update()

    def guess(self, project):
        """The last layers used when they are in the project, else a guess by type and resolution."""
        layers = list(project.mapLayers().values())
        img, cls = guess_layers(layers)
        img = layer_with_source(project, remembered("imagery")) or img
        last_cls = layer_with_source(project, remembered("classes"))
        if last_cls is not None and last_cls is not img:
            cls = last_cls
        elif cls is None or cls is img:
            cls = guess_classes(layers, img)
        ref = layer_with_source(project, remembered("reference"))
        if img is not None:
            self.imagery.setLayer(img)
        if cls is not None:
            self.classes.setLayer(cls)
        self.reference.setLayer(ref if ref is not None and ref not in (img, cls) else None)

    def _samples_changed(self, layer):
        """The label field follows the samples layer (a vector layer; a raster has none): a field named like a
        label field is proposed."""
        from qgis.core import QgsMapLayer

        vector = layer is not None and layer.type() == QgsMapLayer.VectorLayer
        self.samples_field.setLayer(layer if vector else None)
        self.samples_field.setEnabled(vector)
        if vector:
            names = [f.name() for f in layer.fields()]
            pick = next((n for n in names if n.lower() in ("label", "labels", "class", "code", "landcover")), None)
            if pick:
                self.samples_field.setField(pick)

    def samples_parameters(self):
        """REFERENCE and REFERENCE_FIELD for the chosen samples ({} when none)."""
        from qgis.core import QgsMapLayer

        layer = self.samples.currentLayer()
        if layer is None:
            return {}
        if layer.type() == QgsMapLayer.RasterLayer:
            return {"REFERENCE": layer_path(layer)}
        return {"REFERENCE": layer.source(), "REFERENCE_FIELD": self.samples_field.currentField()}

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
        ref = self.reference.currentLayer()
        self.reference_info.setText(layer_summary(ref) if ref is not None else tr("None: the result is not "
                                                                                  "evaluated."))
        errors, warnings = check_layers(self.imagery.currentLayer(), self.classes.currentLayer(), ref)
        lines = ["<span style='color:#b00020'>{}</span>".format(e) for e in errors]
        lines += ["<span style='color:#8a6d00'>{}</span>".format(w) for w in warnings]
        if not lines:
            lines = ["<span style='color:#1b5e20'>\u2714 {}</span>".format(tr("The layers fit together."))]
        self.checks.setText("<br>".join(lines))
        self.completeChanged.emit()

    def isComplete(self):  # noqa: N802
        samples = self.samples.currentLayer()
        if samples is not None and self.samples_field.isEnabled() and not self.samples_field.currentField():
            return False
        return not check_layers(self.imagery.currentLayer(), self.classes.currentLayer(),
                                self.reference.currentLayer())[0]


class CompositionPage(QWizardPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        from .composition_editor import CompositionEditor

        header(self, tr("Composition of the coarse classes"),
               tr("p(label | class): what share of each coarse class is each high-resolution label. Start from the "
                  "built-in NLCD table, a CSV (Load CSV…), or estimate it from a labelled area."))
        lay = QVBoxLayout(self)
        self.editor = CompositionEditor(self)
        lay.addWidget(self.editor)  # its own message line shows every problem (one place, one wording)
        self._codes_for = None
        self._started = False

    def initializePage(self):  # noqa: N802
        layers = self.wizard().layers
        layer = layers.classes.currentLayer()
        # Estimate from a labelled area starts from these; a table saved by hand is proposed beside the imagery
        self.editor.set_layers(classes=layer, reference=layers.reference.currentLayer(),
                               imagery=layers.imagery.currentLayer())
        if layer is None or layer.id() == self._codes_for:
            return
        from ...algorithms.composition.estimate import table_class_codes
        from .composition_editor import layer_legend

        self._codes_for = layer.id()
        self.editor.set_class_names({c: n for c, (n, _) in layer_legend(layer).items() if n})
        try:
            codes = table_class_codes(layer_path(layer), 1)
        except Exception as e:  # noqa: BLE001 - shown; the user can still edit the table by hand
            self.editor.show_message(tr("Could not read the class codes of {}: {}").format(layer.name(), e))
            return
        if not self._started:
            self._started = True
            start = self.starting_table(codes)
            if start is not None:
                self.editor.set_composition(start)
        self.editor.set_class_codes(codes)

    @staticmethod
    def starting_table(codes):
        """The table to start from: the last one used when it has rows for all of the layer's codes, else the
        built-in NLCD table when it has, else the last one used (rows for the other codes are added empty)."""
        from ...algorithms.composition.table import load_composition, parse_composition

        candidates = []
        text = remembered("composition")
        if text:
            try:
                candidates.append(parse_composition(text))
            except CompositionError:
                pass
        candidates.append(load_composition(None))
        for comp in candidates:
            if set(codes) <= set(comp.class_codes):
                return comp
        return candidates[0]

    def validatePage(self):  # noqa: N802
        try:
            self.wizard().composition = self.editor.composition()
        except CompositionError:
            return False  # the editor's message line says what to change
        return True


def lsr_takes_extent():
    """True when epitome:selfepitomiclsr has an EXTENT parameter (the wizard then offers the canvas extent)."""
    from qgis.core import QgsApplication

    alg = QgsApplication.processingRegistry().algorithmById(LSR)
    return alg is not None and alg.parameterDefinition("EXTENT") is not None


def extent_value(rect, crs):
    """A Processing extent value: 'xmin,xmax,ymin,ymax [AUTHID]'."""
    return "{},{},{},{} [{}]".format(rect.xMinimum(), rect.xMaximum(), rect.yMinimum(), rect.yMaximum(),
                                     crs.authid())


class SettingsPage(QWizardPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        header(self, tr("Quality, device and outputs"),
               tr("How thorough the run is, where it computes, and where the label map is written."))
        form = QFormLayout(self)
        self.preset = QComboBox()
        for i, (name, params, tip) in enumerate(presets()):
            self.preset.addItem(name, params)
            self.preset.setItemData(i, tip, Qt.ToolTipRole)
        last = QgsSettings().value(KEY + "preset", 1, type=int)
        self.preset.setCurrentIndex(last if 0 <= last < self.preset.count() else 1)
        self.preset.setToolTip(tr("Speed against thoroughness: what each changes and costs is written under the "
                                  "list."))
        self.preset_info = QLabel()
        self.preset_info.setWordWrap(True)
        self.preset_info.setStyleSheet(INFO_STYLE)
        self.preset.currentIndexChanged.connect(lambda _: self._describe_preset())
        self._describe_preset()
        self.device = DeviceCombo(self, value=remembered("device") or settings.default_device())
        self.device.setToolTip(tr("auto: the GPU when PyTorch sees one, else the CPU. cuda:N picks a GPU."))
        self.device_info = QLabel()
        self.device.describe_into(self.device_info)
        self.output = QgsFileWidget()
        self.output.setStorageMode(QgsFileWidget.SaveFile)
        self.output.setFilter(tr("GeoTIFF (*.tif)"))
        self.output.setConfirmOverwrite(True)
        self.output.setToolTip(tr("Where to write the label map (GeoTIFF). Beside it go the confidence layer, the "
                                  "table used (_composition.csv) and, with a reference, the evaluation report."))
        self.output.lineEdit().setPlaceholderText(tr("Choose a file for the label map"))
        self.output_info = QLabel()
        self.output_info.setWordWrap(True)
        self.output_info.setStyleSheet(INFO_STYLE)
        self.output.fileChanged.connect(lambda _: self._describe_output())
        self._suggested = ""
        self.confidence = QCheckBox(tr("Also add a confidence layer (max p per pixel)"))
        self.confidence.setChecked(QgsSettings().value(KEY + "confidence", True, type=bool))
        self.canvas_extent = QCheckBox(tr("Only the area shown in the map canvas"))
        self.canvas_extent.setToolTip(tr("Process only where the imagery meets the map canvas's current extent "
                                         "(zoom there first), without clipping files by hand."))
        self.canvas_extent.setVisible(lsr_takes_extent() and wizard.iface is not None)
        form.addRow(tr("Quality"), self._stack(self.preset, self.preset_info))
        form.addRow(tr("Device"), self._stack(self.device, self.device_info))
        form.addRow(tr("Label map"), self._stack(self.output, self.output_info))
        form.addRow("", self.confidence)
        form.addRow("", self.canvas_extent)

    def _describe_preset(self):
        tip = self.preset.itemData(self.preset.currentIndex(), Qt.ToolTipRole)
        self.preset_info.setText(tip or "")

    @staticmethod
    def _stack(widget, info):
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 4)
        lay.setSpacing(2)
        lay.addWidget(widget)
        lay.addWidget(info)
        return box

    def initializePage(self):  # noqa: N802
        """A named file beside the imagery (or in the last folder used) unless the user chose one."""
        current = self.output.filePath().strip()
        if not current or current == self._suggested:
            wiz = self.wizard()
            self._suggested = default_output_path(wiz.layers.imagery.currentLayer(), wiz.project)
            self.output.setFilePath(self._suggested)
        self._describe_output()

    def output_path(self):
        """The label map file: as chosen (.tif added), or the suggestion when the field was emptied."""
        out = self.output.filePath().strip()
        if not out:
            wiz = self.wizard()
            out = default_output_path(wiz.layers.imagery.currentLayer(), wiz.project)
        if out and not out.lower().endswith((".tif", ".tiff")):
            out += ".tif"
        return out

    def _describe_output(self):
        out = self.output.filePath().strip()
        if not out:
            self.output_info.setText(tr("Empty: a new file beside the imagery (or in the last folder used)."))
        elif os.path.exists(out):
            self.output_info.setText(tr("{} exists and will be replaced.").format(os.path.basename(out)))
        else:
            self.output_info.setText(tr("A new file in {}.").format(os.path.dirname(os.path.abspath(out))))


class RunPage(QWizardPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        header(self, tr("Run"), tr("Runs in the background: QGIS stays usable, and you may close this window - you are "
                                   "asked whether the run goes on (its result is added to the map when it is done) "
                                   "or stops."))
        lay = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        lay.addWidget(self.summary)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        lay.addWidget(self.bar)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        lay.addWidget(self.log, 1)
        self.result = QTextBrowser()
        self.result.setOpenExternalLinks(True)
        self.result.setMaximumHeight(170)
        lay.addWidget(self.result)
        self.run_button = QPushButton(QIcon(os.path.join(ICONS, "lsr.svg")), tr("Run"))
        self.run_button.setToolTip(tr("Start label super-resolution in the background (QGIS stays usable)."))
        self.cancel_button = QPushButton(tr("Stop run"))
        self.cancel_button.setToolTip(tr("Stop the run; nothing half-written is left behind."))
        self.cancel_button.setEnabled(False)
        self.zoom_button = QPushButton(tr("Zoom to result"))
        self.zoom_button.setToolTip(tr("Show the whole label map in the map canvas."))
        self.zoom_button.setEnabled(False)
        self.run_button.clicked.connect(wizard.start)
        self.cancel_button.clicked.connect(wizard.cancel)
        self.zoom_button.clicked.connect(wizard.zoom_to_result)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.zoom_button)
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
        self.in_background = False  # closed during a run that goes on
        self.run = None
        self.eval_run = None
        self.done_ok = False
        self.added_layers = []
        self.group = None
        self.evaluation = {}
        self.layers = LayersPage(self)
        self.compo = CompositionPage(self)
        self.settings = SettingsPage(self)
        self.run_page = RunPage(self)
        for page in (self.layers, self.compo, self.settings, self.run_page):
            self.addPage(page)
        self.resize(780, 660)

    # ----------------------------------------------------------------------------------------------
    def parameters(self):
        """The epitome:selfepitomiclsr parameters the wizard's choices amount to. The composition goes
        to a temporary CSV; it is copied next to the result only when the run succeeds."""
        from qgis.core import QgsProcessingUtils

        from ...algorithms.composition.table import save_composition

        out = self.settings.output_path()
        if not out:
            raise OSError(tr("Choose a file for the label map (no writable folder was found for a default)."))
        folder = os.path.dirname(os.path.abspath(out))
        if not (os.path.isdir(folder) and os.access(folder, os.W_OK)):
            raise OSError(tr("Cannot write into the output folder {}. Choose another place for the label map."
                             ).format(folder))
        comp_csv = save_composition(self.composition, QgsProcessingUtils.generateTempFilename("composition.csv"))
        params = {"IMAGERY": layer_path(self.layers.imagery.currentLayer()),
                  "CLASSES": layer_path(self.layers.classes.currentLayer()),
                  "COMPOSITION": comp_csv, "DEVICE": self.settings.device.value(), "OUTPUT": out}
        params.update(preset_parameters(self.settings.preset.currentData(), self.layers.imagery.currentLayer()))
        if self.settings.canvas_extent.isVisibleTo(self.settings) and self.settings.canvas_extent.isChecked():
            canvas = self.iface.mapCanvas()
            params["EXTENT"] = extent_value(canvas.extent(), canvas.mapSettings().destinationCrs())
        if self.settings.confidence.isChecked():
            params["CONFIDENCE"] = os.path.splitext(out)[0] + "_confidence.tif"
            params["TRUST"] = os.path.splitext(out)[0] + "_influence.tif"
        params.update(self.layers.samples_parameters())
        return params

    def summary(self):
        lyr = self.layers
        text = tr("<b>{}</b> + <b>{}</b> with {} labels ({}), quality {}, device {}.").format(
            lyr.imagery.currentLayer().name(), lyr.classes.currentLayer().name(),
            len(self.composition.labels) if self.composition else 0,
            ", ".join(self.composition.labels) if self.composition else "",
            self.settings.preset.currentText(), self.settings.device.value())
        if lyr.samples.currentLayer():
            text += " " + tr("Calibrated on the samples <b>{}</b>.").format(lyr.samples.currentLayer().name())
        if lyr.reference.currentLayer():
            text += " " + tr("Then evaluated against <b>{}</b>.").format(lyr.reference.currentLayer().name())
        if self.settings.canvas_extent.isVisibleTo(self.settings) and self.settings.canvas_extent.isChecked():
            text += " " + tr("Only the area shown in the map canvas.")
        if self.settings.confidence.isChecked():
            text += " " + tr("With confidence and appearance-influence layers.")
        out = self.settings.output_path()
        if out:
            text += "<br>" + tr("Label map: {}").format(out)
        return text

    def remember_choices(self):
        """The choices of a run, offered again next time."""
        lyr = self.layers
        remember("imagery", layer_path(lyr.imagery.currentLayer()))
        remember("classes", layer_path(lyr.classes.currentLayer()))
        ref = lyr.reference.currentLayer()
        remember("reference", layer_path(ref) if ref is not None else "")
        if self.composition is not None:
            remember("composition", self.composition.to_csv())
        remember("device", self.settings.device.value())
        QgsSettings().setValue(KEY + "preset", self.settings.preset.currentIndex())
        QgsSettings().setValue(KEY + "confidence", self.settings.confidence.isChecked())

    def start(self):
        page = self.run_page
        try:
            params = self.parameters()
            self.run = AlgorithmRun(LSR, params, project=self.project)
        except (OSError, ValueError, CompositionError) as e:
            page.result.setHtml("<span style='color:#b00020'>{}</span>".format(e))
            return False
        self.remember_choices()
        self.done_ok = False
        self.in_background = False
        self.evaluation = {}
        page.log.clear()
        page.result.clear()
        page.bar.setValue(0)
        page.zoom_button.setEnabled(False)
        self.run.progress.connect(lambda v: page.bar.setValue(int(v)))
        self.run.message.connect(lambda level, text: page.log.appendPlainText(
            text if level == "info" else "{}: {}".format(level.upper(), text)))
        self.run.finished.connect(self._lsr_finished)
        page.run_button.setEnabled(False)
        page.cancel_button.setEnabled(True)
        self.button(QWizard.BackButton).setEnabled(False)
        page.log.appendPlainText(tr("Writing the label map to {}").format(params["OUTPUT"]))
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
            if self.in_background and self.iface is not None:  # the window is closed: say it where it is seen
                from qgis.core import Qgis

                self.iface.messageBar().pushMessage(
                    tr("Epitome"), tr("Label super-resolution failed: {} (open the wizard again for its log)").format(
                        "; ".join(self.run.errors) or tr("cancelled")), Qgis.Warning, 0)
            return
        settings.set_last_folder(results["OUTPUT"])
        base = os.path.splitext(results["OUTPUT"])[0]
        table = base + "_composition.csv"
        try:  # the table used, kept next to the result as a record
            shutil.copyfile(self.run.params["COMPOSITION"], table)
        except OSError as e:
            table = self.run.params["COMPOSITION"]
            page.log.appendPlainText(tr("WARNING: the composition table could not be saved next to the result: {}"
                                        ).format(e))
        self._add_outputs(results, table)
        ref = self.layers.reference.currentLayer()
        if ref is not None:
            page.log.appendPlainText(tr("Evaluating against {}…").format(ref.name()))
            self.eval_run = AlgorithmRun(EVALUATE, self.evaluation_parameters(results["OUTPUT"], ref, table),
                                         project=self.project)
            self.eval_run.finished.connect(self._eval_finished)
            page.cancel_button.setEnabled(True)
            self.eval_run.start()
        else:
            self._done()

    def evaluation_parameters(self, prediction, reference, table):
        """epitome:evaluate's parameters; with CLASSES and COMPOSITION when the algorithm takes them, so that
        it also scores the two label-only baselines (naive and smooth) on the same pixels."""
        from qgis.core import QgsApplication

        params = {"PREDICTION": prediction, "REFERENCE": layer_path(reference),
                  "REPORT": os.path.splitext(prediction)[0] + "_evaluation.html"}
        alg = QgsApplication.processingRegistry().algorithmById(EVALUATE)
        if alg is not None and alg.parameterDefinition("CLASSES") is not None and \
                alg.parameterDefinition("COMPOSITION") is not None:
            params["CLASSES"] = layer_path(self.layers.classes.currentLayer())
            params["COMPOSITION"] = table
        return params

    def _add_outputs(self, results, table=None):
        """The run's layers in one group at the top of the layer tree, named after the input and the method;
        the label map (styled with the table's names and colours) above its confidence layer, which is left
        unchecked so the label map shows."""
        from ..processing.styling import label_renderer, new_layers_outside, probability_renderer

        out = results["OUTPUT"]
        stem = os.path.splitext(os.path.basename(out))[0]
        root = self.project.layerTreeRoot()
        taken = {g.name() for g in root.findGroups()}
        imagery = self.layers.imagery.currentLayer()
        group_name = unique_name(taken, tr("{} – Epitome LSR").format(imagery.name() if imagery else stem))
        group = QgsLayerTreeGroup(group_name)  # filled first, then inserted at the top
        self.added_layers = []
        lab = QgsRasterLayer(out, tr("{} labels").format(stem))
        if lab.isValid():
            lab.setRenderer(label_renderer(lab, list(self.composition.labels), list(self.composition.colours)))
            self.project.addMapLayer(lab, False)
            group.addLayer(lab).setExpanded(True)  # the legend shows the label names and colours
            self.added_layers.append(lab)
        conf = results.get("CONFIDENCE")
        if conf and os.path.isfile(conf):
            c = QgsRasterLayer(conf, tr("{} confidence").format(stem))
            if c.isValid():
                c.setRenderer(probability_renderer(c))
                self.project.addMapLayer(c, False)
                node = group.addLayer(c)
                node.setItemVisibilityChecked(False)
                node.setExpanded(False)
                self.added_layers.append(c)
        trust = results.get("TRUST")
        if trust and os.path.isfile(trust):
            t = QgsRasterLayer(trust, tr("{} influence of appearance").format(stem))
            if t.isValid():
                t.setRenderer(probability_renderer(t))
                self.project.addMapLayer(t, False)
                node = group.addLayer(t)
                node.setItemVisibilityChecked(False)
                node.setExpanded(False)
                self.added_layers.append(t)
        root.insertChildNode(0, group)
        self.group = root.findGroup(group_name)
        self.group.setExpanded(False)  # the Layers panel does not always expand an inserted group: toggle it
        self.group.setExpanded(True)
        new_layers_outside(self.project, self.group, self.layer_tree_view())
        self.run_page.zoom_button.setEnabled(bool(self.added_layers))
        text = tr("Label map written to <a href='file://{0}'>{0}</a> and added to the map (group “{1}”).").format(
            out, group_name)
        if table:
            text += " " + tr("The table used: <a href='file://{0}'>{1}</a>.").format(table, os.path.basename(table))
        self.run_page.result.setHtml(text + "<br>" + trust_html(results, self.composition) + shift_html(results))

    def _eval_finished(self, ok, results):
        page = self.run_page
        page.cancel_button.setEnabled(False)
        if ok:
            self.evaluation = results
            page.log.appendPlainText(tr("Evaluation done."))
            page.result.append(self.evaluation_html(results))
        else:
            page.result.append("<span style='color:#b00020'>{}</span>".format(
                tr("Evaluation failed: {}").format("<br>".join(self.eval_run.errors) or tr("cancelled"))))
        self._done()

    @staticmethod
    def evaluation_html(results):
        """The scores; beside the two label-only baselines when the evaluation gave them."""
        report = results.get("REPORT", "")
        if results.get("NAIVE_ACCURACY") is None:
            return tr("<b>Evaluation</b>: overall accuracy {:.1%}, mean IoU {:.3f} over {:,} pixels. "
                      "Report: <a href='file://{}'>HTML</a>").format(
                results["OVERALL_ACCURACY"], results["MEAN_IOU"], int(results["PIXELS"]), report)
        rows = [(tr("Epitome (this result)"), results["OVERALL_ACCURACY"], results["MEAN_IOU"], True),
                (tr("Naive: each pixel's class → its most likely label"), results["NAIVE_ACCURACY"],
                 results.get("NAIVE_MEAN_IOU"), False)]
        if results.get("SMOOTH_ACCURACY") is not None:
            rows.append((tr("Smooth: the classes' compositions interpolated, then the most likely label"),
                         results["SMOOTH_ACCURACY"], results.get("SMOOTH_MEAN_IOU"), False))
        best = max(r[1] for r in rows[1:])
        gain = results["OVERALL_ACCURACY"] - best
        cells = "".join(
            "<tr><td>{}{}{}</td><td align='right'>{:.1%}</td><td align='right'>{}</td></tr>".format(
                "<b>" if bold else "", name, "</b>" if bold else "", acc,
                "{:.3f}".format(miou) if miou is not None else "–") for name, acc, miou, bold in rows)
        verdict = (tr("{:+.1f} points of accuracy over the better baseline.") if gain >= 0 else
                   tr("{:+.1f} points against the better baseline: the imagery did not help here.")).format(100 * gain)
        return tr("<b>Evaluation</b> over {:,} pixels (<a href='file://{}'>report</a>):").format(
            int(results["PIXELS"]), report) + \
            "<table cellspacing='0' cellpadding='2'><tr><th></th><th>{}</th><th>{}</th></tr>{}</table>".format(
                tr("accuracy"), tr("mean IoU"), cells) + verdict

    def _done(self):
        self.done_ok = True
        self.run_page.bar.setValue(100)
        self.run_page.completeChanged.emit()
        if self.iface is not None and self.added_layers:
            self._announce()

    def _announce(self):
        """A message bar line with a Zoom button (the wizard may be closed by then)."""
        from qgis.core import Qgis
        from qgis.gui import QgsMessageBar

        bar = self.iface.messageBar()
        text = tr("Label map added: {}").format(self.added_layers[0].name())
        item = QgsMessageBar.createMessage(tr("Epitome"), text)
        button = QPushButton(tr("Zoom to result"))
        layer_id = self.added_layers[0].id()
        button.clicked.connect(lambda _=False: self.zoom_to_layer(self.project.mapLayer(layer_id)))
        item.layout().addWidget(button)
        bar.pushWidget(item, Qgis.Success, 15)

    def layer_tree_view(self):
        """The Layers panel of QGIS (None without an interface)."""
        return self.iface.layerTreeView() if self.iface is not None and hasattr(self.iface, "layerTreeView") else None

    def zoom_to_result(self):
        return self.zoom_to_layer(self.added_layers[0] if self.added_layers else None)

    def zoom_to_layer(self, layer):
        """Show the whole layer in the map canvas (its extent in the canvas CRS). False when impossible."""
        if layer is None or self.iface is None:
            return False
        canvas = self.iface.mapCanvas()
        extent = layer.extent()
        dest = canvas.mapSettings().destinationCrs()
        if layer.crs().isValid() and dest.isValid() and layer.crs() != dest:
            try:
                extent = QgsCoordinateTransform(layer.crs(), dest, self.project).transformBoundingBox(extent)
            except Exception:  # noqa: BLE001 - keep the layer's own extent
                pass
        extent.scale(1.05)
        canvas.setExtent(extent)
        canvas.refresh()
        return True

    def show_help(self):
        """The wizard's help, in an analyst's words (the algorithm's own help is for specialists)."""
        box = HelpDialog(tr("Help: label super-resolution"), wizard_help_html(), self)
        box.open()
        self._help_box = box
        return box

    # ---- closing while a run goes on ------------------------------------------------------------
    def running(self):
        return any(r is not None and r.is_running() for r in (self.run, self.eval_run))

    def close_question(self):
        """The question asked when the window is closed during a run: keep it running (the result arrives as
        usual), stop it, or stay."""
        box = QMessageBox(QMessageBox.Question, tr("Label super-resolution is running"),
                          tr("The run is at {}%. Closing this window does not have to stop it.").format(
                              self.run_page.bar.value()), QMessageBox.NoButton, self)
        box.setInformativeText(tr("Keep running: it goes on as a QGIS task (see the task bar at the bottom of the "
                                  "QGIS window); the label map is added to the map and announced in the message "
                                  "bar when it is done.\nStop the run: nothing is written."))
        box.keep = box.addButton(tr("Keep running in the background"), QMessageBox.AcceptRole)
        box.stop = box.addButton(tr("Stop the run"), QMessageBox.DestructiveRole)
        box.stay = box.addButton(tr("Back to the wizard"), QMessageBox.RejectRole)
        box.setDefaultButton(box.keep)
        box.setEscapeButton(box.stay)
        return box

    def ask_about_running_run(self):
        """'background', 'stop' or None (stay), from close_question()."""
        box = self.close_question()
        box.exec_()
        clicked = box.clickedButton()
        return "background" if clicked is box.keep else "stop" if clicked is box.stop else None

    def shutdown(self):
        """The plugin is unloaded: stop a run without asking, and close."""
        self.cancel() if self.running() else None
        QWizard.reject(self)

    def reject(self):
        if self.running():
            choice = self.ask_about_running_run()
            if choice is None:
                return  # the window stays open, the run goes on
            if choice == "stop":
                self.cancel()  # nothing half-written is left
            elif self.running():  # (it may have ended while the question was open: then nothing to say)
                self.in_background = True
                self.run_page.log.appendPlainText(tr("The window was closed: the run goes on in the background."))
                if self.iface is not None:
                    from qgis.core import Qgis

                    self.iface.messageBar().pushMessage(
                        tr("Epitome"), tr("Label super-resolution goes on in the background; its result will be "
                                          "added to the map."), Qgis.Info, 8)
        super().reject()


def trust_html(results, composition=None):
    """What appearance added, in an analyst's words: the fusion used, the share of pixels changed, the classes for
    which the table looks locally wrong and, with reference samples, the estimated accuracy beside both baselines."""
    import json

    w = results.get("APPEARANCE_WEIGHT_USED")
    how = tr("appearance alone") if w is not None and w < 0 else tr("appearance weight {:g}, {} prior").format(
        w if w is not None else 0, results.get("FUSION_USED", ""))
    parts = [tr("<b>What the imagery changed</b>: {:.1%} of the labelled pixels differ from the label-only map "
                "({}).").format(results.get("CHANGED_SHARE") or 0.0, how)]
    try:
        evidence = json.loads(results.get("EVIDENCE") or "{}")
    except ValueError:
        evidence = {}
    total = sum(e.get("pixels", 0) for e in evidence.values()) or 1
    wrong = [(code, e) for code, e in evidence.items()
             if (e.get("departure_from_table") or 0) >= 0.25 and e.get("pixels", 0) >= 0.01 * total]
    if wrong:
        names = ", ".join(tr("class {} ({:.0%} of its pixels changed)").format(code, e["changed"] / max(e["pixels"], 1))
                          for code, e in wrong)
        parts.append(tr("The table looks locally wrong for {}: look there first.").format(names))
    if results.get("ESTIMATED_ACCURACY") is not None:
        parts.append(tr("<b>Estimated accuracy</b> on the reference samples: {:.1%} (95% interval {:.1%} to {:.1%}); "
                        "naive baseline {:.1%}, smooth baseline {:.1%} on the same samples.").format(
            results["ESTIMATED_ACCURACY"], results["ESTIMATED_ACCURACY_LOW"], results["ESTIMATED_ACCURACY_HIGH"],
            results["NAIVE_ACCURACY_ESTIMATE"], results["SMOOTH_ACCURACY_ESTIMATE"]))
    return " ".join(parts)


def shift_html(results):
    """The registration of the coarse map (ALIGN) on the run page: the offset found in metres east and north, its
    uncertainty, and whether the map was moved back ('' when ALIGN was off or nothing was reported)."""
    east, north = results.get("SHIFT_EAST"), results.get("SHIFT_NORTH")
    if east is None or north is None or east != east or north != north:  # NaN: off or not estimable
        report = results.get("ALIGN_REPORT")
        if not report or report.startswith("ALIGN off"):
            return ""
        return "<br>" + tr("<b>Coarse map offset</b>: {}").format(report)
    unc = results.get("SHIFT_UNCERTAINTY") or 0.0
    done = tr("moved back into place") if results.get("SHIFT_APPLIED") else tr("left where it lies")
    return "<br>" + tr("<b>Coarse map offset</b>: {:+.1f} m east, {:+.1f} m north (± {:.1f} m); the coarse map was "
                       "{}.").format(east, north, unc, done)


class HelpDialog(QDialog):
    """A help page that scrolls (links open in the browser); text() gives its HTML."""

    def __init__(self, title, html, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self._html = html
        lay = QVBoxLayout(self)
        view = QTextBrowser()
        view.setOpenExternalLinks(True)
        view.setHtml(html)
        lay.addWidget(view)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.resize(640, 600)

    def text(self):
        return self._html


def wizard_help_html():
    """The wizard's help page: what it does, what it needs, the presets and how to judge the result, in plain
    words; the method's details stay in the algorithm's help."""
    items = "".join("<li>{}</li>".format(tip) for _, _, tip in presets())
    return tr(
        "<h3>What this does</h3>"
        "<p>It turns a coarse land-cover map - for example NLCD at 30 m - into a detailed map on the grid of your "
        "imagery - for example 1 m aerial photographs. No training data is needed: it finds out from the imagery "
        "itself which places look alike.</p>"
        "<h3>What you need</h3><ul>"
        "<li><b>Imagery</b>: the detailed image of the area (any number of bands).</li>"
        "<li><b>Class layer</b>: the coarse map of the same area, in any projection and resolution.</li>"
        "<li><b>Composition table</b> (page 2): for every coarse class, the share of each detailed label it usually "
        "holds - e.g. NLCD's deciduous forest is mostly forest with some field. Start from the built-in NLCD table, "
        "load your own, or count it from an area whose detailed labels you have (Estimate from a labelled "
        "area).</li>"
        "<li>Optionally a <b>reference</b>: detailed labels of the same area, to measure how good the result "
        "is.</li></ul>"
        "<h3>How it works, in short</h3>"
        "<p>The imagery is cut into tiles of about 512 m. Within a tile, pixels whose surroundings look alike get "
        "the same label, while each coarse class keeps the label shares of the table. Where the imagery says "
        "little, the result follows the coarse map itself.</p>"
        "<h3>Quality</h3><ul>{}</ul>"
        "<h3>Is the result good?</h3>"
        "<p>Give a reference layer: the last page then shows the <b>accuracy</b> (the share of pixels with the "
        "right label) and the <b>mean IoU</b> (for each label, the area both maps give it divided by the area "
        "either gives it, averaged over the labels: from 0 to 1, higher is better) of the result, beside two maps "
        "made from the coarse layer alone: <i>naive</i> (each pixel gets the most common label of its class) and "
        "<i>smooth</i> (the classes' label shares blended between neighbouring cells). Where the result does not "
        "beat them, the imagery did not help.</p>"
        "<h3>What is written</h3>"
        "<p>The label map (a GeoTIFF with the label names and colours), optionally a confidence layer (how sure each "
        "pixel is, from 1 / number of labels to 1), the table used (<i>_composition.csv</i>) and, with a reference, "
        "an HTML report. The run goes on if you close the window, when you choose so.</p>"
        "<p>The method in detail, for specialists: Processing Toolbox > Epitome > Label super-resolution > "
        "Self-epitomic label super-resolution (its Help).</p>").format(items)
