"""Editor of composition tables p(label | class): a table widget, label names and colours, presets,
CSV load/save, and an estimate from a labelled area (epitome:estimatecomposition in the background).

    editor = CompositionEditor()
    editor.set_composition(load_composition(path))   # or editor.load_csv(path)
    editor.set_class_codes([11, 41, 82])             # rows for a class layer's codes (values kept)
    comp = editor.composition()                      # CompositionError with a message when invalid
    editor.save_csv(path)

The dialogs for label names and for an estimate are composition_dialogs.py; where tables and layers come from
(files, the project's layers, legends) composition_sources.py. Validation and numbers live in
algorithms/composition/cells.py (check_table, composition_from_table,
normalise_rows, read_table_cells); this module only shows them. A file the editor cannot use as it is
is shown with its cells as typed (problems in red) when its structure can be read, so it can be fixed;
nothing is ever written except where the user saves.
"""

import os

from qgis.core import QgsProcessingUtils
from qgis.gui import QgsFileWidget
from qgis.PyQt.QtCore import QEvent, Qt, pyqtSignal
from qgis.PyQt.QtGui import QBrush, QColor
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...algorithms.composition.cells import (
    cell_value,
    check_table,
    class_display_name,
    composition_from_table,
    normalise_rows,
    read_table_cells,
    row_sums,
)
from ...algorithms.composition.colours import default_colours
from ...algorithms.composition.table import (
    DEFAULT_COMPOSITION_CSV,
    CompositionError,
    load_composition,
    save_composition,
)
from .. import settings
from ..i18n import tr
from .composition_dialogs import ERROR_STYLE, EstimateDialog, LabelsDialog, swatch
from .composition_sources import (
    default_composition_path,
    editable_file,
    estimate_label_codes,
    layer_legend,
    layer_source,
    project_layer,
    raster_file,
)

ESTIMATE_ALG = "epitome:estimatecomposition"
DEFAULT_LABELS = ["water", "forest", "field", "built"]
INFO_STYLE = "QLabel { color: #205080; }"
BAD_CELL = QColor(255, 200, 200)
SUM_CELL = QColor(235, 235, 235)


def format_value(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return "{:.6g}".format(float(v))


class ShareDelegate(QStyledItemDelegate):
    """Shares shown with 3 significant digits (0.0099, 0.424); the cell keeps the value as typed or loaded,
    which the editor shows when the cell is edited."""

    def displayText(self, value, locale):  # noqa: N802
        x = cell_value(value) if isinstance(value, str) and value.strip() else None
        if x is None:
            return super().displayText(value, locale)
        return "{:.3g}".format(x)


class CompositionEditor(QWidget):
    """Table p(label | class): rows = coarse class codes, columns = labels, plus a read-only sum column."""

    changed = pyqtSignal()
    loaded = pyqtSignal(str)  # a CSV file was loaded (path): the table shown is that file's

    PRESET_NLCD = "nlcd"
    PRESET_EMPTY = "empty"

    def __init__(self, parent=None, composition=None):
        super().__init__(parent)
        self._codes, self._labels, self._colours = [], [], []
        self._layer_codes = []
        self._class_names = {}
        self._source = ""
        self._nodata_codes = []  # class codes meaning "no data" (the CSV's nodata row)
        self._updating = False
        self.run = None
        self._estimate_out = None
        self.classes_layer = self.reference_layer = self.imagery_layer = None  # set_layers(): what the user chose
        self._notice_until_valid = True  # the file notice goes once the table is valid (set_file_notice)
        self._estimate_reference = None  # the reference layer of the estimate running (start_estimate)
        # the widgets, made by _build()
        self.preset_combo = self.load_button = self.save_button = self.estimate_button = None
        self.layer_only_check = self.file_notice = self.table = None
        self.add_label_button = self.remove_label_button = self.labels_button = None
        self.add_class_button = self.remove_class_button = self.normalise_button = None
        self.progress_bar = self.cancel_button = self.progress_widget = self.message_label = None
        self._build()
        self.set_composition(composition if composition is not None else load_composition(None))

    # ------------------------------------------------------------------------------------------
    # UI
    # ------------------------------------------------------------------------------------------

    def _button(self, text, tip, slot):
        b = QPushButton(text)
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    def _build(self):
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self._file_row())
        self._build_notices(lay)
        lay.addWidget(self._table_widget())
        lay.addLayout(self._edit_row())
        self._build_progress(lay)

    def _file_row(self):
        """Presets, Load, Save, Estimate from a labelled area."""
        top = QHBoxLayout()
        self.preset_combo = QComboBox()
        self.preset_combo.addItem(tr("Presets…"), "")
        self.preset_combo.addItem(tr("NLCD → water, forest, field, built (built-in)"), self.PRESET_NLCD)
        self.preset_combo.addItem(tr("Empty table for the layer's classes"), self.PRESET_EMPTY)
        self.preset_combo.setToolTip(tr("Replace the table by a preset"))
        self.preset_combo.activated.connect(self._on_preset)
        top.addWidget(self.preset_combo)
        self.load_button = self._button(tr("Load CSV…"), tr("Load a composition table from a CSV file"),
                                        self._on_load_clicked)
        self.save_button = self._button(tr("Save CSV…"), tr("Save the table as a CSV file"), self._on_save_clicked)
        self.estimate_button = self._button(
            tr("Estimate from a labelled area…"),
            tr("Count p(label | class) where high-resolution labels are known (runs in the background)"),
            self.estimate_from_area)
        for b in (self.load_button, self.save_button, self.estimate_button):
            top.addWidget(b)
        top.addStretch()
        return top

    def _build_notices(self, lay):
        """The class-layer filter and the file notice above the table."""
        self.layer_only_check = QCheckBox()
        self.layer_only_check.setChecked(True)
        self.layer_only_check.setToolTip(tr("Hide the rows of codes the class layer does not contain. Hidden rows "
                                            "stay in the table and in the saved CSV."))
        self.layer_only_check.toggled.connect(lambda _: self._apply_row_filter())
        self.layer_only_check.setVisible(False)
        lay.addWidget(self.layer_only_check)

        self.file_notice = QLabel()
        self.file_notice.setWordWrap(True)
        self.file_notice.setStyleSheet(ERROR_STYLE)
        self.file_notice.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.file_notice.setVisible(False)
        lay.addWidget(self.file_notice)

    def _table_widget(self):
        """The table p(label | class): one row per class code, one column per label."""
        self.table = QTableWidget()
        self.table.setItemDelegate(ShareDelegate(self.table))
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setToolTip(tr("p(label | class): the share of each label inside each coarse class. Rows are "
                                 "renormalised when used; empty cells count as 0."))
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.horizontalHeader().sectionDoubleClicked.connect(self._on_header_double_clicked)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.table.viewport().installEventFilter(self)  # columns follow the table's width
        return self.table

    def _edit_row(self):
        """Add/remove labels and classes, Labels..., Normalise rows."""
        row = QHBoxLayout()
        self.add_label_button = self._button(tr("Add label"), tr("Add a label (column)"), self._on_add_label)
        self.remove_label_button = self._button(tr("Remove label"), tr("Remove the selected label (column)"),
                                                self._on_remove_label)
        self.labels_button = self._button(tr("Labels…"), tr("Rename the labels and choose their colours"),
                                          lambda: self.edit_labels())
        self.add_class_button = self._button(tr("Add class"), tr("Add a row for a coarse class code"),
                                             self._on_add_class)
        self.remove_class_button = self._button(tr("Remove class"), tr("Remove the selected class rows"),
                                                self._on_remove_class)
        self.normalise_button = self._button(tr("Normalise rows"), tr("Divide every row by its sum so it sums to 1"),
                                             self.normalise)
        for b in (self.add_label_button, self.remove_label_button, self.labels_button, self.add_class_button,
                  self.remove_class_button, self.normalise_button):
            row.addWidget(b)
        row.addStretch()
        return row

    def _build_progress(self, lay):
        """The estimate's progress and Cancel, and the message line."""
        prog = QHBoxLayout()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.cancel_button = self._button(tr("Cancel"), tr("Stop the estimate"), self.cancel_estimate)
        prog.addWidget(self.progress_bar)
        prog.addWidget(self.cancel_button)
        self.progress_widget = QWidget()
        self.progress_widget.setLayout(prog)
        self.progress_widget.setVisible(False)
        lay.addWidget(self.progress_widget)

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        lay.addWidget(self.message_label)

    # ------------------------------------------------------------------------------------------
    # Table contents
    # ------------------------------------------------------------------------------------------

    @property
    def sum_column(self):
        return len(self._labels)

    def class_codes(self):
        return list(self._codes)

    def labels(self):
        return list(self._labels)

    def colours(self):
        return list(self._colours)

    def cell_texts(self):
        """[Cc][L] the text of every cell as typed."""
        out = []
        for i in range(len(self._codes)):
            row = []
            for j in range(len(self._labels)):
                it = self.table.item(i, j)
                row.append(it.text() if it is not None else "")
            out.append(row)
        return out

    def _fill(self, codes, labels, colours, rows):
        """Rebuild the table: rows [Cc][L] of values or texts."""
        self._updating = True
        try:
            self._codes = [int(c) for c in codes]
            self._labels = list(labels)
            cols = list(colours)[:len(labels)]
            self._colours = [tuple(int(v) for v in c[:3]) for c in cols] + \
                list(default_colours(self._labels))[len(cols):]
            t = self.table
            t.clear()
            t.setRowCount(len(self._codes))
            t.setColumnCount(len(self._labels) + 1)
            for i, code in enumerate(self._codes):
                t.setVerticalHeaderItem(i, QTableWidgetItem(self.class_name(code)))
                vals = list(rows[i]) if i < len(rows) else []
                for j in range(len(self._labels)):
                    it = QTableWidgetItem(format_value(vals[j] if j < len(vals) else ""))
                    it.setToolTip(tr("p({} | class {})").format(self._labels[j], code))
                    it.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
                    t.setItem(i, j, it)
                s = QTableWidgetItem("")
                s.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                s.setTextAlignment(int(Qt.AlignRight | Qt.AlignVCenter))
                s.setToolTip(tr("Sum of the row (rows are renormalised to 1 when used)"))
                t.setItem(i, self.sum_column, s)
            self._set_headers()
        finally:
            self._updating = False
        self._refresh()
        self._apply_row_filter()
        self._fit_columns()

    def _apply_row_filter(self):
        """With a class layer known: its codes' rows shown, the others hidden while the box is checked (rows
        with a problem always stay visible)."""
        layer = set(self._layer_codes)
        self.layer_only_check.setVisible(bool(layer))
        if layer:
            shown = sorted(layer)
            codes = ", ".join(str(c) for c in shown[:12]) + (", …" if len(shown) > 12 else "")
        hide = bool(layer) and self.layer_only_check.isChecked()
        bad_rows = {p.row for p in check_table(self._codes, self._labels, self.cell_texts(), self.class_name)}
        hidden = 0
        for i, code in enumerate(self._codes):
            h = hide and code not in layer and i not in bad_rows
            self.table.setRowHidden(i, h)
            hidden += h
        if layer:
            text = tr("Show only the {} code(s) of the class layer ({})").format(len(shown), codes)
            if hidden:
                text += tr("; {} other row(s) hidden").format(hidden)
            self.layer_only_check.setText(text)

    def _fit_columns(self):
        """Columns as wide as their contents, widened to fill the table when there is room (no cut-off sum)."""
        t = self.table
        n = t.columnCount()
        if n == 0:
            return
        t.resizeColumnsToContents()
        widths = [max(t.columnWidth(j), 64) for j in range(n)]
        spare = t.viewport().width() - sum(widths)
        if spare > 0 and self._labels:
            extra = spare // len(self._labels)
            widths = [w + extra if j < len(self._labels) else w for j, w in enumerate(widths)]
        for j, w in enumerate(widths):
            t.setColumnWidth(j, w)

    def eventFilter(self, obj, event):  # noqa: N802
        try:
            if event.type() == QEvent.Resize and obj is self.table.viewport():
                self._fit_columns()
        except RuntimeError:  # the table is being deleted
            pass
        return super().eventFilter(obj, event)

    def _set_headers(self):
        t = self.table
        for j, (name, rgb) in enumerate(zip(self._labels, self._colours)):
            h = QTableWidgetItem(swatch(rgb), name)
            h.setToolTip(tr("Label {}: {} - double-click to rename it or change its colour").format(j + 1, name))
            t.setHorizontalHeaderItem(j, h)
        t.setHorizontalHeaderItem(self.sum_column, QTableWidgetItem(tr("sum")))

    def _refresh(self, emit=True):
        """Sums, highlighted problems, the message; emits changed."""
        cells = self.cell_texts()
        problems = check_table(self._codes, self._labels, cells, self.class_name)
        sums = row_sums(cells)
        self._updating = True
        try:
            bad = {(p.row, p.col) for p in problems}
            for i in range(len(self._codes)):
                for j in range(len(self._labels)):
                    it = self.table.item(i, j)
                    if it is not None:
                        it.setBackground(QBrush(BAD_CELL) if (i, j) in bad else QBrush())
                s = self.table.item(i, self.sum_column)
                if s is not None:
                    # 4 digits: float32 shares of a normalised row add up to 0.999999, which reads as an error
                    s.setText("{:.4g}".format(float(sums[i])) if sums[i] is not None else "?")
                    s.setBackground(QBrush(BAD_CELL) if (i, -1) in bad else QBrush(SUM_CELL))
        finally:
            self._updating = False
        if problems:
            more = len(problems) - 1
            text = problems[0].message + (tr(" ({} more problems)").format(more) if more > 1 else
                                          tr(" (1 more problem)") if more == 1 else "")
            self.show_message(text, error=True)
        else:
            self.show_message("")
            if self._notice_until_valid:
                self.set_file_notice("")  # the loaded file's problems are fixed
        if emit:
            self.changed.emit()
        return problems

    def show_message(self, text, error=True):
        self.message_label.setStyleSheet(ERROR_STYLE if error else INFO_STYLE)
        self.message_label.setText(text)

    def message(self):
        return self.message_label.text()

    def set_file_notice(self, text, until_valid=True):
        """A line about the file loaded (why it could not be used as it is); '' hides it. until_valid: it goes
        away once the table is valid (the file's problems are fixed); else when another table is set."""
        self._notice_until_valid = until_valid
        self.file_notice.setText(text)
        self.file_notice.setVisible(bool(text))

    def is_valid(self):
        return not check_table(self._codes, self._labels, self.cell_texts(), self.class_name)

    def class_name(self, code):
        """'41 - Deciduous forest': the class layer's own name for the code when it has one, else NLCD's."""
        name = self._class_names.get(int(code))
        return "{} - {}".format(int(code), name) if name else class_display_name(code)

    def set_class_names(self, names):
        """{code: name} of the class layer (from its legend): shown as row headers."""
        self._class_names = {int(c): str(n) for c, n in (names or {}).items() if n}
        for i, code in enumerate(self._codes):
            self.table.setVerticalHeaderItem(i, QTableWidgetItem(self.class_name(code)))
        self._refresh(emit=False)

    def _on_item_changed(self, item):
        if self._updating or item.column() == self.sum_column:
            return
        self._refresh()

    # ------------------------------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------------------------------

    def composition(self):
        """The table as a Composition (rows renormalised). CompositionError (also shown) when invalid."""
        try:
            return composition_from_table(self._codes, self._labels, self.cell_texts(), self._colours,
                                          source=self._source, class_name=self.class_name,
                                          nodata_codes=self._nodata_codes)
        except CompositionError:
            self._refresh(emit=False)  # the same message as while typing (one wording, one place)
            raise

    def set_composition(self, comp):
        self._source = comp.source or ""
        self._nodata_codes = list(comp.nodata_codes)  # kept: a saved copy of the table keeps its nodata row
        self.set_file_notice("")
        self._fill(comp.class_codes, comp.labels, comp.colours, [list(map(float, r)) for r in comp.matrix])

    def load_csv(self, path, lenient=False):
        """Load a CSV into the table. A file that is not a valid table raises CompositionError (the message,
        with its line, is shown and the table is unchanged) - unless `lenient` and its structure can be read:
        then its cells are shown as typed, problems in red, with the file's message above the table, and
        None is returned. Emits loaded(path) whenever the table shown is the file's."""
        try:
            comp = load_composition(path)
        except CompositionError as e:
            if not lenient:
                self.show_message(str(e), error=True)
                raise
            try:
                with open(path, encoding="utf-8-sig") as fh:
                    typed = read_table_cells(fh.read(), source=path)
            except (OSError, UnicodeDecodeError, CompositionError):
                self.show_message(str(e), error=True)
                raise e
            self._fill(typed.class_codes, typed.labels, default_colours(typed.labels, fixed=typed.colours),
                       typed.cells)
            self._source = path
            self._nodata_codes = list(typed.nodata_codes)
            self.set_file_notice(tr("{} The file's cells are shown below as they are: fix the ones in red.")
                                 .format(e) if not self.is_valid() else "")
            self.loaded.emit(path)
            return None
        self.set_composition(comp)
        self.loaded.emit(path)
        return comp

    def save_csv(self, path):
        """Write the table as CSV (atomically); CompositionError (also shown) when invalid or not writable."""
        comp = self.composition()
        try:
            path = save_composition(comp, path)
        except CompositionError as e:
            self.show_message(str(e), error=True)
            raise
        self._source = path
        self.show_message(tr("Saved {}").format(path), error=False)
        return path

    def set_class_codes(self, codes, remove_others=False):
        """Rows for these class codes: missing rows are added (empty), known rows keep their values; rows for
        other codes are kept unless remove_others. Rows are sorted by code. The table's no-data codes get no row."""
        codes = sorted({int(c) for c in codes} - set(self._nodata_codes))
        self._layer_codes = codes
        current = dict(zip(self._codes, self.cell_texts()))
        keep = codes if remove_others else sorted(set(codes) | set(self._codes))
        if self._codes and keep == self._codes:  # nothing to add: keep the table (and its notice) as it is
            self._apply_row_filter()
            return []
        rows = [current.get(c, [""] * len(self._labels)) for c in keep]
        self._fill(keep, self._labels, self._colours, rows)
        return [c for c in codes if c not in current]

    def normalise(self):
        """Divide each row by its sum (rows with a non-number or summing to 0 are left; the message says)."""
        rows = normalise_rows(self.cell_texts())
        texts = self.cell_texts()
        merged = [[format_value(v) if v is not None else texts[i][j] for j, v in enumerate(r)]
                  for i, r in enumerate(rows)]
        self._fill(self._codes, self._labels, self._colours, merged)

    def add_label(self, name=None, colour=None):
        existing = {n.lower() for n in self._labels}
        if not name:
            k = len(self._labels) + 1
            while f"label {k}" in existing:
                k += 1
            name = f"label {k}"
        if colour is None:
            colour = default_colours(self._labels + [name], fixed=self._colours)[-1]
        rows = [r + [""] for r in self.cell_texts()]
        self._fill(self._codes, self._labels + [name], self._colours + [tuple(colour)], rows)
        return len(self._labels) - 1

    def remove_label(self, index):
        if not 0 <= index < len(self._labels):
            return
        rows = [r[:index] + r[index + 1:] for r in self.cell_texts()]
        self._fill(self._codes, self._labels[:index] + self._labels[index + 1:],
                   self._colours[:index] + self._colours[index + 1:], rows)

    def rename_label(self, index, name, colour=None):
        """Rename label `index` (0-based) and optionally set its colour (r, g, b). Duplicates show a message."""
        if not 0 <= index < len(self._labels):
            return
        self._labels[index] = name.strip()
        if colour is not None:
            self._colours[index] = tuple(int(v) for v in colour[:3])
        self._labels_changed()

    def set_labels(self, names, colours):
        for i, (n, c) in enumerate(zip(names, colours)):
            self._labels[i] = n.strip()
            self._colours[i] = tuple(int(v) for v in c[:3])
        self._labels_changed()

    def _labels_changed(self):
        """Headers, sums and column widths after label names or colours changed."""
        self._updating = True
        try:
            self._set_headers()
        finally:
            self._updating = False
        self._refresh()
        self._fit_columns()

    def add_class(self, code):
        """Add an empty row for a class code; False (and a message) when it exists already."""
        code = int(code)
        if code in self._codes:
            self.show_message(tr("Class {} is already in the table.").format(self.class_name(code)))
            return False
        current = dict(zip(self._codes, self.cell_texts()))
        keep = sorted(set(self._codes) | {code})
        self._fill(keep, self._labels, self._colours, [current.get(c, [""] * len(self._labels)) for c in keep])
        return True

    def remove_classes(self, rows):
        rows = set(rows)
        texts = self.cell_texts()
        keep = [i for i in range(len(self._codes)) if i not in rows]
        self._fill([self._codes[i] for i in keep], self._labels, self._colours, [texts[i] for i in keep])

    def apply_preset(self, key):
        if key == self.PRESET_NLCD:
            self.set_composition(load_composition(DEFAULT_COMPOSITION_CSV))
            self._source = ""
            if self._layer_codes:
                self.set_class_codes(self._layer_codes)
        elif key == self.PRESET_EMPTY:
            codes = self._layer_codes or self._codes
            if not codes:
                self.show_message(tr("No class codes known: choose a class layer first, or add class rows."))
                return
            labels = self._labels or list(DEFAULT_LABELS)
            colours = self._colours if self._labels else default_colours(labels)
            self._source = ""
            self.set_file_notice("")
            self._fill(codes, labels, colours, [[""] * len(labels) for _ in codes])

    # ------------------------------------------------------------------------------------------
    # Estimate from a labelled area (epitome:estimatecomposition through AlgorithmRun)
    # ------------------------------------------------------------------------------------------

    def set_layers(self, classes=None, reference=None, imagery=None):
        """The layers chosen where the editor is shown (the wizard's page 1, the algorithm dialog): layers or file
        paths. The estimate starts from them, and a new table is proposed beside the imagery."""
        self.classes_layer, self.reference_layer, self.imagery_layer = classes, reference, imagery

    def default_save_path(self):
        return default_composition_path(near=raster_file(self.classes_layer) or None,
                                        imagery=raster_file(self.imagery_layer) or None)

    def estimate_dialog(self):
        """The dialog of Estimate from a labelled area, pre-filled with the class layer already chosen and a
        reference that is another layer."""
        return EstimateDialog(self, classes_layer=project_layer(self.classes_layer),
                              reference_layer=project_layer(self.reference_layer),
                              imagery_layer=project_layer(self.imagery_layer))

    def estimate_from_area(self):
        """Ask for the reference and class layers, then start the estimate in the background."""
        dlg = self.estimate_dialog()
        if dlg.exec_() != QDialog.Accepted:
            return None
        return self.start_estimate(dlg.reference.currentLayer(), dlg.classes.currentLayer(),
                                   min_pixels=dlg.min_pixels.value())

    def start_estimate(self, reference, classes, reference_band=1, classes_band=1, min_pixels=1, output=None):
        """Run epitome:estimatecomposition in the background (layers or paths); the result fills the table.

        Returns the AlgorithmRun (None when it could not start; the message says why)."""
        from .runner import AlgorithmRun

        if self.run is not None and self.run.is_running():
            self.show_message(tr("An estimate is already running."))
            return None
        self._estimate_out = output or QgsProcessingUtils.generateTempFilename("composition_estimate.csv")
        self._estimate_reference = reference
        params = {"REFERENCE": layer_source(reference), "CLASSES": layer_source(classes),
                  "REFERENCE_BAND": int(reference_band), "CLASSES_BAND": int(classes_band),
                  "MIN_PIXELS": int(min_pixels), "OUTPUT": self._estimate_out}
        try:
            run = AlgorithmRun(ESTIMATE_ALG, params)
        except ValueError as e:
            self.show_message(str(e))
            return None
        self.run = run
        run.progress.connect(lambda p: self.progress_bar.setValue(int(p)))
        run.finished.connect(self._on_estimate_finished)
        self.progress_bar.setValue(0)
        self.progress_widget.setVisible(True)
        self._set_busy(True)
        self.show_message(tr("Estimating p(label | class)…"), error=False)
        run.start()
        return run

    def cancel_estimate(self):
        if self.run is not None:
            self.run.cancel()

    def _set_busy(self, busy):
        for w in (self.table, self.preset_combo, self.load_button, self.estimate_button, self.add_label_button,
                  self.remove_label_button, self.labels_button, self.add_class_button, self.remove_class_button,
                  self.normalise_button):
            w.setEnabled(not busy)

    def _on_estimate_finished(self, ok, results):
        self.progress_widget.setVisible(False)
        self._set_busy(False)
        run = self.run
        if not ok:
            errs = [e for e in (run.errors if run is not None else []) if e.strip()]
            if run is not None and run.feedback.isCanceled():
                self.show_message(tr("Estimate cancelled; the table is unchanged."))
            else:
                self.show_message(tr("The estimate failed: {}").format(errs[-1] if errs else tr("unknown error")))
            return
        path = results.get("OUTPUT", self._estimate_out)
        try:
            est = load_composition(path)
        except CompositionError as e:
            self.show_message(str(e))
            return
        self.put_estimate(est, estimate_label_codes(path, est), layer_legend(self._estimate_reference),
                          int(results.get("PIXELS", 0)))

    def put_estimate(self, est, label_codes, legend, pixels=0):
        """The estimated rows into the table, in its own labels (algorithms/composition/merge.py): names, colours
        and columns stay, the reference's codes are mapped onto them; the message says how."""
        from ...algorithms.composition.merge import merge_estimate
        from ...algorithms.composition.table import Composition

        try:
            current = self.composition()
        except CompositionError:  # a table being fixed: its labels still count, its rows do not
            import numpy as np

            current = Composition([], list(self._labels), np.zeros((0, len(self._labels))), list(self._colours),
                                  nodata_codes=list(self._nodata_codes))
        merged = merge_estimate(current, est, label_codes, legend)
        comp = merged.composition
        comp.source = ""
        layer_codes = list(self._layer_codes)
        self.set_composition(comp)
        if layer_codes:
            self.set_class_codes(layer_codes)
        rows = ", ".join(str(c) for c in est.class_codes if c not in comp.nodata_codes)
        text = tr("Estimated from {} pixels: rows of classes {}.").format(pixels, rows)
        if merged.kept_rows:
            text += " " + tr("The other {} rows are unchanged.").format(len(merged.kept_rows))
        pairs = ", ".join("{} → {}".format(c, comp.labels[j]) for c, j in sorted(merged.mapping.items()))
        if merged.how == "reference":
            text += " " + tr("The reference names other labels than the table's: its labels ({}) are used.").format(
                ", ".join(comp.labels))
        elif merged.how == "codes":
            text += " " + tr("The reference has no label names: its codes are the table's label numbers ({}).").format(
                pairs)
        else:
            text += " " + tr("Reference codes by name: {}.").format(pairs)
        if merged.added:
            text += " " + tr("New labels: {}.").format(", ".join(merged.added))
        self.show_message(text, error=False)
        return merged

    # ------------------------------------------------------------------------------------------
    # Slots of the buttons (every problem becomes a message, never an exception)
    # ------------------------------------------------------------------------------------------

    def _on_preset(self, index):
        key = self.preset_combo.itemData(index)
        self.preset_combo.setCurrentIndex(0)
        if key:
            self.apply_preset(key)

    def _on_load_clicked(self):
        path, _ = QFileDialog.getOpenFileName(self, tr("Load composition table"), os.path.dirname(self._source or ""),
                                              tr("CSV files (*.csv);;All files (*)"))
        if path:
            try:
                self.load_csv(path)
            except CompositionError:
                pass

    def _on_save_clicked(self):
        if not self.is_valid():
            self._refresh(emit=False)
            return
        start = self._source if self._source and self._source != DEFAULT_COMPOSITION_CSV and os.path.isfile(
            self._source) else self.default_save_path()
        path, _ = QFileDialog.getSaveFileName(self, tr("Save composition table"), start,
                                              tr("CSV files (*.csv)"))
        if path:
            if not path.lower().endswith(".csv"):
                path += ".csv"
            try:
                self.save_csv(path)
            except CompositionError:
                pass

    def _selected_column(self):
        cols = sorted({ix.column() for ix in self.table.selectedIndexes() if ix.column() < self.sum_column})
        if cols:
            return cols[0]
        c = self.table.currentColumn()
        return c if 0 <= c < self.sum_column else len(self._labels) - 1

    def _on_add_label(self):
        self.add_label()

    def _on_remove_label(self):
        if self._labels:
            self.remove_label(self._selected_column())

    def _on_header_double_clicked(self, index):
        if 0 <= index < len(self._labels):
            self.edit_labels(index)

    def edit_labels(self, focus=None):
        """The labels dialog (names and colours); applied when accepted."""
        if not self._labels:
            self.show_message(tr("The table has no label: add one first."))
            return False
        dlg = LabelsDialog(self._labels, self._colours, self,
                           focus=self._selected_column() if focus is None else focus)
        if dlg.exec_() != QDialog.Accepted:
            return False
        self.set_labels(dlg.names(), dlg.colours())
        return True

    def _on_add_class(self):
        code, ok = QInputDialog.getInt(self, tr("Add class"), tr("Coarse class code:"), 0, -2147483647, 2147483647)
        if ok:
            self.add_class(code)

    def _on_remove_class(self):
        rows = {ix.row() for ix in self.table.selectedIndexes()}
        if not rows and self.table.currentRow() >= 0:
            rows = {self.table.currentRow()}
        if rows:
            self.remove_classes(rows)


class CompositionDialog(QDialog):
    """The editor with OK / Cancel; OK validates the table and saves it to the file shown in "Save to".

    "Save to" only ever holds a file the user has seen: the CSV being edited (given, or loaded with Load
    CSV...), a suggested new file for a new table (default_composition_path), or nothing. A file that cannot
    be read is never in it: its problems are shown, and the table starts anew."""

    def __init__(self, parent=None, path=None, composition=None, class_codes=None, save_path=None,
                 classes_path=None, class_names=None, imagery_path=None):
        super().__init__(parent)
        self.setWindowTitle(tr("Composition table p(label | class)"))
        self.resize(760, 560)
        self.saved_path = None
        self.unreadable = None  # the given file, when it could not be shown at all
        lay = QVBoxLayout(self)
        self.editor = CompositionEditor(self)
        self.editor.set_layers(classes=classes_path, imagery=imagery_path)
        lay.addWidget(self.editor)
        if class_names:
            self.editor.set_class_names(class_names)
        editing = None
        if composition is not None:
            self.editor.set_composition(composition)
        elif path and os.path.isfile(path):
            try:
                self.editor.load_csv(path, lenient=True)
                editing = path
            except CompositionError as e:
                self.unreadable = path
                self.editor.set_file_notice(tr("{} A new table is shown instead; your file is left as it is. Fix "
                                               "the file and load it again (Load CSV…), or build the table here "
                                               "and save it under a new name.").format(e), until_valid=False)
        if class_codes:
            self.editor.set_class_codes(class_codes)
        save_row = QHBoxLayout()
        save_row.addWidget(QLabel(tr("Save to")))
        self.save_widget = QgsFileWidget()
        self.save_widget.setStorageMode(QgsFileWidget.SaveFile)
        self.save_widget.setFilter(tr("CSV files (*.csv)"))
        self.save_widget.setConfirmOverwrite(True)
        self.save_widget.setToolTip(tr("CSV file the table is saved to when you press OK"))
        self.save_widget.lineEdit().setPlaceholderText(tr("Choose a file for the table"))
        if not save_path:
            if editing and editable_file(editing):
                save_path = editing
            elif self.unreadable is None:
                save_path = self.editor.default_save_path()
        self.save_widget.setFilePath(save_path or "")
        self.editor.loaded.connect(self._on_loaded)
        save_row.addWidget(self.save_widget)
        lay.addLayout(save_row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def _on_loaded(self, path):
        """Load CSV... inside the editor: the table is that file's, so OK saves to it (when it may)."""
        self.unreadable = None
        self.save_widget.setFilePath(path if editable_file(path) else "")

    def save_path(self):
        return self.save_widget.filePath().strip()

    def accept(self):
        try:
            self.editor.composition()
        except CompositionError:
            return  # the editor shows what to change
        path = self.save_path()
        if not path:
            self.editor.show_message(tr("Choose where to save the table (Save to)."))
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        if os.path.abspath(path) == os.path.abspath(DEFAULT_COMPOSITION_CSV):
            self.editor.show_message(tr("The built-in table cannot be overwritten: choose another file."))
            return
        try:
            self.saved_path = self.editor.save_csv(path)
        except CompositionError:
            return
        settings.set_last_folder(self.saved_path)
        super().accept()

    def reject(self):
        self.editor.cancel_estimate()
        super().reject()
