"""The composition editor (real widgets, offscreen), its dialog, and the COMPOSITION widget wrapper inside a
real Processing algorithm dialog."""

import os

import numpy as np
import pytest
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtWidgets import QDialog

from qgis_scenes import FIELD, FOREST, IMG_EPSG, halves, img_gt, wait_for, write_raster

CSV = """class,water,forest,field
colour,#0000ff,#00aa00,#ffff00
11,0.9,0.05,0.05
41,0,0.8,0.2
82,0,0.1,0.9
"""


@pytest.fixture
def editor(qgis_app, epitome_provider):
    from epitome.plugin.gui.composition_editor import CompositionEditor

    ed = CompositionEditor()
    yield ed
    ed.cancel_estimate()
    ed.deleteLater()
    QCoreApplication.processEvents()


@pytest.fixture
def csv_path(tmp_path):
    p = tmp_path / "in.csv"
    p.write_text(CSV)
    return str(p)


def cell(ed, code, label):
    return ed.table.item(ed.class_codes().index(code), ed.labels().index(label))


def sums(ed):
    return [float(ed.table.item(i, ed.sum_column).text()) for i in range(len(ed.class_codes()))]


def test_starts_with_the_builtin_table(editor):
    from epitome.algorithms.composition.table import load_composition

    c = load_composition(None)
    assert editor.labels() == c.labels and editor.class_codes() == c.class_codes
    assert editor.table.verticalHeaderItem(editor.class_codes().index(41)).text() == "41 - Deciduous forest"
    assert editor.table.horizontalHeaderItem(editor.sum_column).text() == "sum"
    assert not editor.table.horizontalHeaderItem(0).icon().isNull()
    np.testing.assert_allclose(editor.composition().matrix, c.matrix, atol=1e-6)
    assert editor.message() == ""


def test_csv_round_trip_with_an_edited_cell(editor, csv_path, tmp_path):
    from epitome.algorithms.composition.table import load_composition

    editor.load_csv(csv_path)
    assert editor.labels() == ["water", "forest", "field"] and editor.class_codes() == [11, 41, 82]
    seen = []
    editor.changed.connect(lambda: seen.append(1))
    cell(editor, 41, "field").setText("0.6")  # as if typed: 41 = 0, 0.8, 0.6
    assert seen and editor.table.item(1, editor.sum_column).text() == "1.4"
    out = str(tmp_path / "out.csv")
    assert editor.save_csv(out) == out
    c = load_composition(out)
    assert c.class_codes == [11, 41, 82] and c.labels == ["water", "forest", "field"]
    np.testing.assert_allclose(c.matrix[1], [0, 0.8 / 1.4, 0.6 / 1.4], rtol=1e-5)
    np.testing.assert_allclose(c.matrix[0], [0.9, 0.05, 0.05], rtol=1e-5)
    assert c.colours == [(0, 0, 255), (0, 170, 0), (255, 255, 0)]
    assert not [n for n in os.listdir(tmp_path) if ".partial" in n]


def test_label_rename_and_colour_survive_the_round_trip(editor, csv_path, tmp_path, monkeypatch):
    from qgis.PyQt.QtGui import QColor

    from epitome.algorithms.composition.table import load_composition
    from epitome.plugin.gui import composition_editor as ce

    editor.load_csv(csv_path)
    editor.rename_label(1, "trees", (1, 2, 3))
    assert editor.table.horizontalHeaderItem(1).text() == "trees"

    def fake_exec(dlg):  # the Labels... dialog, as a user would fill it
        dlg.name_edits[2].setText("crops")
        dlg.colour_buttons[2].setColor(QColor(10, 20, 30))
        dlg.accept()
        return QDialog.Accepted if dlg.result() == QDialog.Accepted else QDialog.Rejected

    monkeypatch.setattr(ce.LabelsDialog, "exec_", fake_exec)
    assert editor.edit_labels(2) is True
    out = str(tmp_path / "renamed.csv")
    editor.save_csv(out)
    c = load_composition(out)
    assert c.labels == ["water", "trees", "crops"]
    assert c.colours == [(0, 0, 255), (1, 2, 3), (10, 20, 30)]
    editor2 = ce.CompositionEditor()
    editor2.load_csv(out)
    assert editor2.labels() == c.labels and editor2.colours() == c.colours
    editor2.deleteLater()


def test_labels_dialog_refuses_duplicates(qgis_app):
    from epitome.plugin.gui.composition_editor import LabelsDialog

    dlg = LabelsDialog(["a", "b"], [(0, 0, 0), (1, 1, 1)])
    dlg.name_edits[1].setText("A")
    dlg.accept()
    assert dlg.result() != QDialog.Accepted and "twice" in dlg.message.text()
    dlg.deleteLater()


def test_normalise_rows(editor, csv_path):
    editor.load_csv(csv_path)
    cell(editor, 11, "water").setText("3")
    cell(editor, 82, "field").setText("9")
    assert sums(editor)[0] == pytest.approx(3.1)
    editor.normalise_button.click()
    assert sums(editor) == pytest.approx([1, 1, 1], abs=1e-5)
    assert float(cell(editor, 11, "water").text()) == pytest.approx(3 / 3.1, rel=1e-5)
    assert editor.message() == ""


@pytest.mark.parametrize("action,needle", [
    (lambda ed: cell(ed, 41, "forest").setText("-0.2"), "negative"),
    (lambda ed: cell(ed, 41, "forest").setText("lots"), "not a number"),
    (lambda ed: [cell(ed, 82, n).setText("0") for n in ("water", "forest", "field")], "every value is zero"),
    (lambda ed: ed.rename_label(2, "Forest"), "used twice"),
])
def test_bad_input_gives_a_message_and_composition_raises(editor, csv_path, tmp_path, action, needle):
    from epitome.algorithms.composition.table import CompositionError

    editor.load_csv(csv_path)
    action(editor)
    assert needle in editor.message()
    assert not editor.is_valid()
    with pytest.raises(CompositionError, match=needle):
        editor.composition()
    with pytest.raises(CompositionError):
        editor.save_csv(str(tmp_path / "never.csv"))
    assert not (tmp_path / "never.csv").exists()


def test_bad_cell_is_highlighted_and_message_goes_away(editor, csv_path):
    editor.load_csv(csv_path)
    it = cell(editor, 41, "forest")
    it.setText("x")
    assert it.background().color().red() == 255 and it.background().color().green() < 255
    it.setText("0.8")
    assert editor.message() == "" and editor.is_valid()


def test_loading_a_bad_csv_shows_the_line(editor, tmp_path):
    from epitome.algorithms.composition.table import CompositionError

    p = tmp_path / "bad.csv"
    p.write_text("class,a,b\ncolour,#00000g,#000000\n1,1,0\n")
    before = editor.class_codes()
    with pytest.raises(CompositionError):
        editor.load_csv(str(p))
    assert "line 2" in editor.message() and editor.class_codes() == before


def test_set_class_codes_adds_rows_with_nlcd_names_and_keeps_values(editor, csv_path):
    editor.load_csv(csv_path)
    cell(editor, 41, "forest").setText("0.7")
    added = editor.set_class_codes([41, 90, 7])
    assert added == [7, 90]
    assert editor.class_codes() == [7, 11, 41, 82, 90]
    headers = [editor.table.verticalHeaderItem(i).text() for i in range(5)]
    assert headers == ["7", "11 - Open water", "41 - Deciduous forest", "82 - Cultivated crops",
                       "90 - Woody wetlands"]
    assert cell(editor, 41, "forest").text() == "0.7" and cell(editor, 90, "forest").text() == ""
    assert "every value is zero" in editor.message()  # the new rows are to be filled
    editor.set_class_codes([41, 82], remove_others=True)
    assert editor.class_codes() == [41, 82]


def test_add_remove_labels_and_classes(editor, csv_path):
    editor.load_csv(csv_path)
    j = editor.add_label("built")
    assert editor.labels()[j] == "built" and editor.colours()[j] == (230, 0, 0)
    assert editor.table.columnCount() == 5
    editor.remove_label(0)
    assert editor.labels() == ["forest", "field", "built"]
    assert editor.add_class(95) and not editor.add_class(95)
    assert "already" in editor.message()
    editor.remove_classes([editor.class_codes().index(95)])
    assert editor.class_codes() == [11, 41, 82]
    assert cell(editor, 41, "forest").text() == "0.8"


def test_presets(editor, csv_path):
    from epitome.algorithms.composition.table import load_composition

    editor.load_csv(csv_path)
    editor.set_class_codes([41, 82])
    editor.preset_combo.activated.emit(editor.preset_combo.findData(editor.PRESET_EMPTY))
    assert editor.class_codes() == [41, 82] and editor.labels() == ["water", "forest", "field"]
    assert all(t == "" for row in editor.cell_texts() for t in row)
    assert "every value is zero" in editor.message()
    editor.preset_combo.activated.emit(editor.preset_combo.findData(editor.PRESET_NLCD))
    assert editor.preset_combo.currentIndex() == 0
    c = load_composition(None)
    assert editor.class_codes() == c.class_codes and editor.labels() == c.labels
    np.testing.assert_allclose(editor.composition().matrix, c.matrix, atol=1e-6)


def test_estimate_fills_the_table(editor, scene):
    """The truth raster has no colour table (codes 2 and 3 only): the table keeps its labels - names, colours,
    all four columns, built too - and the reference's codes fill the table's label numbers."""
    labels, colours = editor.labels(), editor.colours()
    assert labels == ["water", "forest", "field", "built"]
    run = editor.start_estimate(scene.truth, scene.classes)
    assert run is not None and editor.progress_widget.isVisibleTo(editor)
    assert wait_for(lambda: run.ok is not None, 120) and run.ok
    QCoreApplication.processEvents()
    assert editor.labels() == labels and editor.colours() == colours
    assert {FOREST, FIELD, 11} <= set(editor.class_codes())  # the area's rows estimated, the others kept
    comp = editor.composition()
    forest, field = comp.class_codes.index(FOREST), comp.class_codes.index(FIELD)
    assert comp.matrix[forest, 1] > 0.8 and comp.matrix[field, 2] > 0.8 and comp.matrix[forest, 3] == 0
    assert "Estimated from 9216 pixels" in editor.message() and "no label names" in editor.message()
    assert not editor.progress_widget.isVisibleTo(editor) and editor.table.isEnabled()


def test_estimate_failure_is_a_message(editor, tmp_path):
    lab = write_raster(tmp_path / "lab.tif", halves(left=1, right=2), img_gt(), IMG_EPSG)
    far = write_raster(tmp_path / "far.tif", halves(), img_gt(x0=100000.0), IMG_EPSG)
    before = editor.class_codes()
    run = editor.start_estimate(lab, far)
    if run is not None:
        wait_for(lambda: run.ok is not None, 120)
    QCoreApplication.processEvents()
    assert "failed" in editor.message() and "do not overlap" in editor.message()
    assert editor.class_codes() == before and editor.table.isEnabled()


def test_composition_dialog_saves_to_the_chosen_path(qgis_app, epitome_provider, csv_path, tmp_path):
    from epitome.algorithms.composition.table import load_composition
    from epitome.plugin.gui.composition_editor import CompositionDialog

    dlg = CompositionDialog(path=csv_path, class_codes=[41, 82])
    assert dlg.save_path() == csv_path  # a user's file is edited in place by default
    out = str(tmp_path / "edited")
    dlg.save_widget.setFilePath(out)
    cell(dlg.editor, 41, "water").setText("-1")
    dlg.accept()
    assert dlg.result() != QDialog.Accepted and "negative" in dlg.editor.message()
    cell(dlg.editor, 41, "water").setText("0")
    dlg.accept()
    assert dlg.result() == QDialog.Accepted and dlg.saved_path == out + ".csv"
    assert load_composition(dlg.saved_path).class_codes == [11, 41, 82]
    dlg.deleteLater()
    from qgis.core import QgsProcessingUtils

    from epitome.algorithms.composition.table import DEFAULT_COMPOSITION_CSV

    # built-in table: a new file beside the class layer is suggested (never the built-in file, never a temp folder)
    classes = tmp_path / "nlcd.tif"
    classes.write_text("")
    dlg2 = CompositionDialog(classes_path=str(classes))
    assert dlg2.save_path() == str(tmp_path / "nlcd_composition.csv")
    assert os.path.abspath(dlg2.save_path()) != DEFAULT_COMPOSITION_CSV
    assert not dlg2.save_path().startswith(QgsProcessingUtils.tempFolder())
    dlg2.deleteLater()


# --------------------------------------------------------------------------------------------
# The widget wrapper in real Processing dialogs
# --------------------------------------------------------------------------------------------

@pytest.fixture
def lsr_dialog(qgis_app, qgis_iface, qgis_processing, epitome_provider, monkeypatch):
    import processing

    # pytest-qgis's stand-in interface lacks browserModel(), which the 3.22 parameters panel asks for
    if not hasattr(qgis_iface, "browserModel"):
        monkeypatch.setattr(qgis_iface, "browserModel", lambda: None, raising=False)

    dlg = processing.createAlgorithmDialog("epitome:selfepitomiclsr")
    yield dlg
    dlg.deleteLater()
    QCoreApplication.processEvents()


def test_wrapper_in_the_algorithm_dialog(lsr_dialog, scene, csv_path, tmp_path, monkeypatch):
    from epitome.algorithms.composition.table import load_composition
    from epitome.plugin.gui import composition_editor as ce
    from epitome.plugin.gui.composition_wrapper import CompositionWidgetWrapper

    panel = lsr_dialog.mainWidget()
    w = panel.wrappers["COMPOSITION"]
    assert isinstance(w, CompositionWidgetWrapper) and w.edit_button is not None
    lsr_dialog.setParameters({"IMAGERY": scene.imagery, "CLASSES": scene.classes})
    assert lsr_dialog.createProcessingParameters().get("COMPOSITION") in (None, "")
    w.setValue(csv_path)
    assert lsr_dialog.createProcessingParameters()["COMPOSITION"] == csv_path
    lsr_dialog.setParameters({"IMAGERY": scene.imagery, "COMPOSITION": "", "CLASSES": scene.classes})
    assert w.value() is None
    lsr_dialog.setParameters({"IMAGERY": scene.imagery, "COMPOSITION": csv_path, "CLASSES": scene.classes})
    assert w.value() == csv_path
    assert w.classes_wrapper is not None and w.class_codes() == [FOREST, FIELD]

    out = str(tmp_path / "from_wrapper.csv")

    def fake_exec(dlg):  # the editor as a user would use it: change a cell, save elsewhere, OK
        assert dlg.editor.class_codes() == [11, 41, 82]
        cell(dlg.editor, 82, "water").setText("0.5")
        dlg.save_widget.setFilePath(out)
        dlg.accept()
        return dlg.result()

    monkeypatch.setattr(ce.CompositionDialog, "exec_", fake_exec)
    assert w.edit_composition() == out
    assert lsr_dialog.createProcessingParameters()["COMPOSITION"] == out
    c = load_composition(out)
    assert c.matrix[c.class_codes.index(82), 0] == pytest.approx(0.5 / 1.5, rel=1e-5)


def test_wrapper_without_a_file_starts_from_the_builtin_table(lsr_dialog, scene, monkeypatch, tmp_path):
    from epitome.plugin.gui import composition_editor as ce

    w = lsr_dialog.mainWidget().wrappers["COMPOSITION"]
    lsr_dialog.setParameters({"CLASSES": scene.classes})
    dlg = w.make_dialog()
    assert len(dlg.editor.class_codes()) == 20 and dlg.editor.is_valid()  # 41 and 82 are NLCD rows already
    dlg.deleteLater()
    monkeypatch.setattr(ce.CompositionDialog, "exec_", lambda dlg: QDialog.Rejected)
    assert w.edit_composition() is None and w.value() is None


def test_modeler_and_batch_get_qgis_widgets(qgis_app, qgis_iface, qgis_processing, epitome_provider):
    """Outside the algorithm dialog the wrapper hands over to QGIS's own widgets (model inputs, batch fill)."""
    from processing.gui.wrappers import WidgetWrapperFactory
    from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingModelAlgorithm
    from qgis.gui import QgsProcessingModelerParameterWidget

    from epitome.plugin.gui.composition_wrapper import CompositionWidgetWrapper

    param = QgsApplication.processingRegistry().algorithmById("epitome:selfepitomiclsr").parameterDefinition(
        "COMPOSITION")
    assert param.metadata()["widget_wrapper"]["class"].endswith("composition_wrapper.CompositionWidgetWrapper")

    class ModelerParametersDialog(QDialog):
        def __init__(self):
            super().__init__()
            self.model = QgsProcessingModelAlgorithm()
            self.childId = ""
            self.context = QgsProcessingContext()

    class BatchAlgorithmDialog(QDialog):
        pass

    md = ModelerParametersDialog()
    w = WidgetWrapperFactory.create_wrapper(param, md)
    assert isinstance(w, QgsProcessingModelerParameterWidget)
    bd = BatchAlgorithmDialog()
    w2 = WidgetWrapperFactory.create_wrapper(param, bd)
    assert not isinstance(w2, CompositionWidgetWrapper)
    assert w2.parameterDefinition().name() == "COMPOSITION"
    md.deleteLater()
    bd.deleteLater()


# --------------------------------------------------------------------------------------------
# A file that cannot be used as it is: never overwritten behind the user's back (issue 12, item 1)
# --------------------------------------------------------------------------------------------

@pytest.fixture
def no_last_folder(qgis_app):
    from qgis.core import QgsSettings

    old = QgsSettings().value("epitome/last_folder")
    QgsSettings().remove("epitome/last_folder")
    yield
    if old is not None:
        QgsSettings().setValue("epitome/last_folder", old)


def test_a_csv_with_bad_values_is_shown_for_fixing(qgis_app, epitome_provider, tmp_path, no_last_folder):
    from epitome.algorithms.composition.table import load_composition
    from epitome.plugin.gui.composition_editor import CompositionDialog

    p = tmp_path / "mine.csv"
    p.write_text("class;water;forest\n41;0;lots\n82;0,1;0,9\n")  # a spreadsheet's file with a typo
    dlg = CompositionDialog(path=str(p), class_codes=[41, 82])
    try:
        ed = dlg.editor
        assert ed.class_codes() == [41, 82] and ed.labels() == ["water", "forest"]  # the file's table, not NLCD's
        assert cell(ed, 41, "forest").text() == "lots" and cell(ed, 41, "forest").background().color().red() == 255
        assert ed.file_notice.isVisibleTo(dlg) and "line 2" in ed.file_notice.text()
        assert dlg.save_path() == str(p)  # the file being fixed
        dlg.accept()
        assert dlg.result() != QDialog.Accepted and p.read_text().startswith("class;water")  # not written
        cell(ed, 41, "forest").setText("1")
        assert not ed.file_notice.isVisibleTo(dlg)
        dlg.accept()
        assert dlg.result() == QDialog.Accepted
        c = load_composition(str(p))
        assert c.class_codes == [41, 82] and c.matrix[1, 1] == pytest.approx(0.9)
    finally:
        dlg.deleteLater()


def test_an_unreadable_csv_is_never_the_save_target(qgis_app, epitome_provider, tmp_path, no_last_folder):
    from epitome.algorithms.composition.table import load_composition
    from epitome.plugin.gui.composition_editor import CompositionDialog

    p = tmp_path / "mine.csv"
    p.write_text("klass,water,forest\n41,0,1\n")
    before = p.read_bytes()
    dlg = CompositionDialog(path=str(p), class_codes=[41, 82])
    try:
        ed = dlg.editor
        assert "line 1" in ed.file_notice.text() and "left as it is" in ed.file_notice.text()
        assert dlg.save_path() == "" and dlg.unreadable == str(p)
        assert ed.is_valid() and ed.file_notice.isVisibleTo(dlg)  # a new (valid) table; the notice stays
        dlg.accept()
        assert dlg.result() != QDialog.Accepted and "Save to" in ed.message()
        assert p.read_bytes() == before
        out = tmp_path / "new.csv"
        dlg.save_widget.setFilePath(str(out))
        dlg.accept()
        assert dlg.result() == QDialog.Accepted and load_composition(str(out)).class_codes[:1] == [11]
        assert p.read_bytes() == before
    finally:
        dlg.deleteLater()


def test_load_csv_inside_the_editor_becomes_the_save_target(qgis_app, epitome_provider, csv_path, tmp_path,
                                                           no_last_folder):
    from epitome.plugin.gui.composition_editor import CompositionDialog

    dlg = CompositionDialog(classes_path=str(tmp_path / "nlcd.tif"))
    try:
        assert dlg.save_path() == str(tmp_path / "nlcd_composition.csv")
        dlg.editor.load_csv(csv_path)  # what Load CSV... does after the file dialog
        assert dlg.save_path() == csv_path
    finally:
        dlg.deleteLater()


def test_estimated_labels_take_the_reference_layer_names(editor, scene, tmp_path):
    """The reference layer's paletted style names the estimated labels (not 'label 1..3')."""
    from qgis.core import QgsPalettedRasterRenderer, QgsRasterLayer
    from qgis.PyQt.QtGui import QColor

    ref = QgsRasterLayer(scene.truth, "truth")
    ref.setRenderer(QgsPalettedRasterRenderer(ref.dataProvider(), 1, [
        QgsPalettedRasterRenderer.Class(1, QColor(0, 0, 255), "lake"),
        QgsPalettedRasterRenderer.Class(2, QColor(0, 90, 0), "woods"),
        QgsPalettedRasterRenderer.Class(3, QColor(250, 250, 0), "crops")]))
    run = editor.start_estimate(ref, scene.classes)
    assert wait_for(lambda: run.ok is not None, 120) and run.ok
    QCoreApplication.processEvents()
    assert editor.labels() == ["lake", "woods", "crops"]
    assert editor.colours() == [(0, 0, 255), (0, 90, 0), (250, 250, 0)]


def test_wrapper_adds_no_rows_for_imagery_chosen_as_classes(lsr_dialog, scene):
    """QGIS's dialog may preselect the imagery as Coarse classes: Edit... then says so instead of adding a row for
    every pixel value."""
    w = lsr_dialog.mainWidget().wrappers["COMPOSITION"]
    lsr_dialog.setParameters({"IMAGERY": scene.imagery, "CLASSES": scene.imagery})
    assert w.class_codes() == [] and "4 bands" in w.classes_note()
    dlg = w.make_dialog()
    try:
        assert len(dlg.editor.class_codes()) == 20 and "is it the imagery" in dlg.editor.message()
    finally:
        dlg.deleteLater()


def test_a_copy_saved_by_the_editor_keeps_the_nodata_codes(qgis_app, tmp_path):
    """The wizard always saves the table it used: NLCD's 0 and 255 must stay no-data codes in that copy, and the
    layer's codes 0/255 must not become class rows."""
    from epitome.algorithms.composition.table import load_composition
    from epitome.plugin.gui.composition_editor import CompositionEditor

    ed = CompositionEditor()
    ed.set_class_codes([0, 41, 82, 255])
    assert 0 not in ed.composition().class_codes and 255 not in ed.composition().class_codes
    path = str(tmp_path / "copy.csv")
    ed.save_csv(path)
    assert load_composition(path).nodata_codes == [0, 255]


# --------------------------------------------------------------------------------------------
# The toolbox dialog with the active layer pre-selected everywhere (issue 20, item 8)
# --------------------------------------------------------------------------------------------

@pytest.fixture
def active_imagery(qgis_app, qgis_iface, scene):
    from qgis.core import QgsProject, QgsRasterLayer

    prj = QgsProject.instance()
    prj.removeAllMapLayers()
    img, cls = QgsRasterLayer(scene.imagery, "naip"), QgsRasterLayer(scene.classes, "nlcd")
    prj.addMapLayers([cls, img])
    qgis_iface.setActiveLayer(img)  # what QGIS pre-selects in every layer box of the dialog
    yield img, cls
    prj.removeAllMapLayers()


def test_the_dialog_never_proposes_the_active_layer_twice(active_imagery, lsr_dialog):
    img, cls = active_imagery
    params = lsr_dialog.createProcessingParameters()
    assert params["IMAGERY"] != params["CLASSES"]
    assert params["CLASSES"] in (cls.id(), cls.source(), cls) or getattr(params["CLASSES"], "id", lambda: "")() == \
        cls.id()
    w = lsr_dialog.mainWidget().wrappers["COMPOSITION"]
    assert "nlcd" in w.preselection_note


def test_estimate_dialog_starts_from_the_class_layer_chosen(editor, scene, qgis_app):
    """Not the same layer twice: the class layer already chosen (wizard page 1, CLASSES of the dialog), and as
    reference another label layer of the project."""
    from qgis.core import QgsProject, QgsRasterLayer

    prj = QgsProject.instance()
    prj.removeAllMapLayers()
    img, cls, truth = (QgsRasterLayer(scene.imagery, "naip"), QgsRasterLayer(scene.classes, "nlcd"),
                       QgsRasterLayer(scene.truth, "truth"))
    prj.addMapLayers([truth, cls, img])
    try:
        editor.set_layers(classes=cls, imagery=img)
        dlg = editor.estimate_dialog()
        assert dlg.classes.currentLayer() is cls and dlg.reference.currentLayer() is truth
        dlg.deleteLater()
        editor.set_layers(classes=scene.classes, reference=truth, imagery=scene.imagery)  # paths work too
        dlg = editor.estimate_dialog()
        assert dlg.classes.currentLayer() is cls and dlg.reference.currentLayer() is truth
        dlg.deleteLater()
    finally:
        prj.removeAllMapLayers()


def test_a_temporary_class_layer_is_never_the_place_to_save(qgis_app, epitome_provider, tmp_path, monkeypatch):
    """A class layer made by an algorithm lives in Processing's temporary folder: the table is proposed beside
    the imagery, else in the folder last used - never in /tmp/processing_..."""
    from qgis.core import QgsProcessingUtils

    from epitome.plugin import settings
    from epitome.plugin.gui.composition_editor import CompositionDialog, default_composition_path

    temp_cls = os.path.join(QgsProcessingUtils.tempFolder(), "OUTPUT.tif")
    data = tmp_path / "data"
    data.mkdir()
    assert default_composition_path(near=temp_cls, imagery=str(data / "naip.tif")) == \
        str(data / "OUTPUT_composition.csv")
    last = tmp_path / "last"
    last.mkdir()
    monkeypatch.setattr(settings, "last_folder", lambda: str(last))
    assert default_composition_path(near=temp_cls) == str(last / "OUTPUT_composition.csv")
    dlg = CompositionDialog(classes_path=temp_cls, imagery_path=str(data / "naip.tif"))
    assert dlg.save_path() == str(data / "OUTPUT_composition.csv")
    dlg.deleteLater()


@pytest.mark.parametrize("alg_id,first,second", [("epitome:selfepitomiclsr", "IMAGERY", "CLASSES"),
                                                 ("epitome:baselines", "IMAGERY", "CLASSES"),
                                                 ("epitome:evaluate", "PREDICTION", "REFERENCE")])
def test_the_same_layer_twice_is_said_before_the_run(epitome_provider, scene, tmp_path, alg_id, first, second):
    """Not 'codes 2, 3, 4 not in the composition table' after the run started: the parameter check says it."""
    from qgis.core import QgsApplication, QgsProcessingContext

    alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
    params = {first: scene.imagery, second: scene.imagery, "OUTPUT": str(tmp_path / "o.tif"),
              "NAIVE": str(tmp_path / "n.tif"), "REPORT": str(tmp_path / "r.html")}
    params = {k: v for k, v in params.items() if alg.parameterDefinition(k) is not None}
    ok, msg = alg.checkParameterValues(params, QgsProcessingContext())
    assert not ok and "same layer" in msg and first in msg and second in msg, msg
