"""The label super-resolution wizard, with real widgets offscreen, run on generated rasters."""

import os

import pytest

from qgis_scenes import LBL_FIELD, LBL_FOREST, read, wait_for

pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def fresh_wizard_settings(qgis_app):
    """No remembered choices from other tests (or the desktop); the user's values are put back afterwards."""
    from qgis.core import QgsSettings

    s = QgsSettings()
    keys = [k for k in s.allKeys() if k.startswith("epitome/wizard/")] + ["epitome/last_folder"]
    old = {k: s.value(k) for k in keys}
    for k in keys:
        s.remove(k)
    yield
    for k in [k for k in s.allKeys() if k.startswith("epitome/wizard/")] + ["epitome/last_folder"]:
        s.remove(k)
    for k, v in old.items():
        if v is not None:
            s.setValue(k, v)


@pytest.fixture
def project_layers(qgis_app, scene):
    from qgis.core import QgsProject, QgsRasterLayer

    prj = QgsProject.instance()
    prj.removeAllMapLayers()
    prj.layerTreeRoot().removeAllChildren()  # groups of earlier runs too
    img = QgsRasterLayer(scene.imagery, "naip")
    cls = QgsRasterLayer(scene.classes, "nlcd")
    ref = QgsRasterLayer(scene.truth, "truth")
    prj.addMapLayers([img, cls, ref])
    yield prj, img, cls, ref
    prj.removeAllMapLayers()
    prj.layerTreeRoot().removeAllChildren()


@pytest.fixture
def wizard(project_layers, epitome_provider):
    from epitome.plugin.gui.lsr_wizard import LsrWizard

    w = LsrWizard(None)
    yield w
    w.deleteLater()


def prepare(w, img, cls):
    """Pages 1-3 filled: the layers, the composition from the class layer, the small fast preset on the CPU."""
    w.layers.imagery.setLayer(img)
    w.layers.classes.setLayer(cls)
    w.compo.initializePage()
    assert w.compo.validatePage()
    fast_preset(w)


def fast_preset(w):
    # the wizard's "Fast" preset, made smaller still for the 96 x 96 test scene
    w.settings.preset.setItemData(0, {"TILE_SIZE": 64, "SAMPLES": 0.1, "PATCH_SIZE": 5, "EM_ITERATIONS": 15,
                                      "SEED": 0})
    w.settings.preset.setCurrentIndex(0)
    w.settings.device.setCurrentText("cpu")


def test_layer_page_shows_crs_and_resolution_and_checks(wizard, project_layers):
    prj, img, cls, ref = project_layers
    page = wizard.layers
    page.imagery.setLayer(img)
    page.classes.setLayer(cls)
    assert "EPSG:26917" in page.imagery_info.text() and "4 band" in page.imagery_info.text()
    assert "EPSG:5070" in page.classes_info.text() and "30" in page.classes_info.text()
    assert page.isComplete() and "fit together" in page.checks.text()
    page.classes.setLayer(img)  # the same layer twice
    assert not page.isComplete() and "same layer" in page.checks.text()


def test_wizard_runs_adds_styled_layers_and_evaluates(wizard, project_layers, tmp_path):
    prj, img, cls, ref = project_layers
    w = wizard
    w.layers.imagery.setLayer(img)
    w.layers.classes.setLayer(cls)
    w.layers.reference.setLayer(ref)
    w.compo.initializePage()
    comp_codes = w.compo.editor.composition().class_codes
    assert 41 in comp_codes and 82 in comp_codes  # rows follow the class layer's codes
    assert w.compo.validatePage()
    fast_preset(w)
    out = str(tmp_path / "result.tif")
    w.settings.output.setFilePath(out)
    w.run_page.initializePage()
    assert "naip" in w.run_page.summary.text() and "truth" in w.run_page.summary.text()
    assert w.start()
    assert wait_for(lambda: w.done_ok, 300), w.run_page.log.toPlainText() + w.run_page.result.toPlainText()
    assert os.path.isfile(out) and os.path.isfile(str(tmp_path / "result_confidence.tif"))
    lab = read(out)
    assert (lab[:, :40] == LBL_FOREST).mean() > 0.9 and (lab[:, 56:] == LBL_FIELD).mean() > 0.9
    group = prj.layerTreeRoot().children()[0]  # the run's group, on top, named after the input and the method
    assert group.name() == "naip – Epitome LSR" and w.group is group
    assert [n.name() for n in group.children()] == ["result labels", "result confidence",
                                                    "result influence of appearance"]  # label map first
    assert not group.children()[1].isVisible() and not group.children()[2].isVisible()  # the labels show
    layer = prj.mapLayersByName("result labels")[0]
    classes = layer.renderer().classes()
    assert [c.label for c in classes][:4] == ["water", "forest", "field", "built"]
    assert w.evaluation["OVERALL_ACCURACY"] > 0.9
    assert os.path.isfile(str(tmp_path / "result_evaluation.html"))
    from epitome.algorithms.composition.table import load_composition

    kept = load_composition(str(tmp_path / "result_composition.csv"))  # the table used, next to the result
    assert kept.labels == w.composition.labels and kept.class_codes == w.composition.class_codes
    text = w.run_page.result.toPlainText()
    assert ("overall accuracy" in text or "Naive" in text) and out in text
    assert w.run_page.isComplete() and w.run_page.zoom_button.isEnabled()


def test_wizard_cancel_leaves_nothing(wizard, project_layers, tmp_path):
    prj, img, cls, ref = project_layers
    w = wizard
    prepare(w, img, cls)
    w.settings.preset.setItemData(0, {"TILE_SIZE": 32, "SAMPLES": 0.1, "PATCH_SIZE": 5, "EM_ITERATIONS": 15})
    out = str(tmp_path / "c.tif")
    w.settings.output.setFilePath(out)
    assert w.start()
    w.run.progress.connect(lambda p: w.cancel() if p > 0 else None)
    assert wait_for(lambda: w.run.ok is not None, 300)
    assert w.run.ok is False and not w.done_ok
    assert not os.path.exists(out) and not os.path.exists(str(tmp_path / "c_confidence.tif"))
    assert os.listdir(tmp_path) == []  # no composition table either
    assert "ancel" in w.run_page.result.toPlainText()
    assert w.run_page.run_button.isEnabled() and not w.run_page.cancel_button.isEnabled()


def test_unwritable_output_is_reported(wizard, project_layers, tmp_path):
    prj, img, cls, ref = project_layers
    w = wizard
    prepare(w, img, cls)
    (tmp_path / "afile").write_text("x")  # a file where a folder should be: nothing can be written there
    w.settings.output.setFilePath(str(tmp_path / "afile" / "x.tif"))
    assert w.start() is False
    text = w.run_page.result.toPlainText()
    assert not w.done_ok and "output" in text.lower() and "afile" in text, text
    assert w.run_page.run_button.isEnabled()


def test_help_button_shows_algorithm_help(wizard):
    box = wizard.show_help()
    assert "composition" in box.text().lower()
    box.close()


def test_missing_pytorch_is_explained_not_crashed(wizard, project_layers, tmp_path, monkeypatch):
    """Without PyTorch the run fails with the install hint in the wizard, and nothing is written."""
    from epitome.algorithms import device

    monkeypatch.setattr(device, "torch_status", lambda: (False, "PyTorch is not installed for QGIS's Python. "
                                                               "Install it with Raster > Epitome > Install or update "
                                                               "PyTorch (pip install torch)."))
    prj, img, cls, ref = project_layers
    w = wizard
    prepare(w, img, cls)
    out = str(tmp_path / "n.tif")
    w.settings.output.setFilePath(out)
    if w.start():
        assert wait_for(lambda: w.run.ok is not None, 120)
    text = w.run_page.result.toPlainText()
    assert not w.done_ok and "PyTorch" in text and "Install" in text, text
    assert not os.path.exists(out)
    assert w.run_page.run_button.isEnabled()


# ---- what a new user met in the desktop (issue 12) ----------------------------------------------------

def test_layers_are_guessed_by_type_and_resolution(qgis_app, scene, epitome_provider):
    """Layers added classes-first: the wizard still offers the 4-band 1 m raster as imagery and the 30 m one as
    classes; the reference stays empty (optional) and its size and CRS are shown once chosen."""
    from qgis.core import QgsProject, QgsRasterLayer

    from epitome.plugin.gui.lsr_wizard import LsrWizard

    prj = QgsProject.instance()
    prj.removeAllMapLayers()
    ref, cls, img = (QgsRasterLayer(scene.truth, "truth"), QgsRasterLayer(scene.classes, "nlcd"),
                     QgsRasterLayer(scene.imagery, "naip"))
    prj.addMapLayers([ref, cls, img])
    w = LsrWizard(None)
    try:
        assert w.layers.imagery.currentLayer() is img and w.layers.classes.currentLayer() is cls
        assert w.layers.reference.currentLayer() is None and "not evaluated" in w.layers.reference_info.text()
        w.layers.reference.setLayer(ref)
        assert "EPSG:26917" in w.layers.reference_info.text() and "96 x 96" in w.layers.reference_info.text()
        w.layers.reference.setLayer(cls)
        assert not w.layers.isComplete() and "reference must be another layer" in w.layers.checks.text()
    finally:
        w.deleteLater()
        prj.removeAllMapLayers()


def test_every_page_has_the_same_header(wizard):
    for page in (wizard.layers, wizard.compo, wizard.settings, wizard.run_page):
        assert page.title() and page.subTitle(), page


def test_empty_label_map_field_gets_a_named_file_beside_the_imagery(wizard, project_layers, tmp_path, monkeypatch):
    from qgis.core import QgsRasterLayer

    from epitome.plugin import settings as plugin_settings
    from epitome.plugin.gui import lsr_wizard as lw

    from qgis_scenes import img_gt, make_imagery, write_raster

    prj, img, cls, ref = project_layers
    own = write_raster(tmp_path / "my_naip.tif", make_imagery(), img_gt())  # imagery in a writable folder
    mine = QgsRasterLayer(own, "my naip")
    prj.addMapLayer(mine)
    w = wizard
    prepare(w, mine, cls)
    w.settings.initializePage()
    assert w.settings.output.filePath() == str(tmp_path / "my_naip_epitome.tif")  # shown before the run
    assert "A new file in" in w.settings.output_info.text()
    w.settings.output.setFilePath("")  # emptied by the user: still a named file, never a temporary one
    assert w.parameters()["OUTPUT"] == str(tmp_path / "my_naip_epitome.tif")
    (tmp_path / "my_naip_epitome_confidence.tif").write_text("an earlier run's")
    assert lw.default_output_path(mine) == str(tmp_path / "my_naip_epitome_2.tif")  # nothing is overwritten
    # imagery in a read-only folder (a shared data folder; even root must not write there): the last folder used
    (tmp_path / "sub").mkdir()
    plugin_settings.set_last_folder(str(tmp_path / "sub" / "x.tif"))
    os.chmod(tmp_path, 0o555)
    try:
        assert lw.default_output_path(mine) == str(tmp_path / "sub" / "my_naip_epitome.tif")
    finally:
        os.chmod(tmp_path, 0o755)
    w.run_page.initializePage()
    assert "Label map:" in w.run_page.summary.text()


@pytest.fixture
def iface_with_messages(qgis_iface):
    """The calls the wizard makes on QGIS's interface, with a real message bar (pytest-qgis' stand-in has no
    message widgets) and pytest-qgis' map canvas."""
    from qgis.gui import QgsMessageBar

    class Iface:
        bar = QgsMessageBar()

        def messageBar(self):  # noqa: N802
            return self.bar

        def mapCanvas(self):  # noqa: N802
            return qgis_iface.mapCanvas()

    return Iface()


def test_two_runs_get_distinct_names_in_their_own_groups_and_zoom(wizard, project_layers, tmp_path, qgis_iface,
                                                                   iface_with_messages):
    from qgis.core import QgsLayerTreeModel, QgsProject
    from qgis.gui import QgsLayerTreeView

    prj, img, cls, ref = project_layers
    view = QgsLayerTreeView()  # the Layers panel
    view.setModel(QgsLayerTreeModel(prj.layerTreeRoot(), view))
    w = wizard
    w.iface = iface_with_messages
    prepare(w, img, cls)
    names = []
    for out in ("a.tif", "b.tif"):
        w.settings.output.setFilePath(str(tmp_path / out))
        assert w.start()
        assert wait_for(lambda: w.done_ok, 300), w.run_page.log.toPlainText() + w.run_page.result.toPlainText()
        names.append((w.group.name(), [lyr.name() for lyr in w.added_layers]))
        assert view.isExpanded(view.node2index(w.group))  # the legend of the new labels shows
    assert names[0][0] == "naip – Epitome LSR" and names[1][0] == "naip – Epitome LSR (2)"
    assert names[0][1] == ["a labels", "a confidence", "a influence of appearance"]
    assert names[1][1] == ["b labels", "b confidence", "b influence of appearance"]
    groups = [g.name() for g in QgsProject.instance().layerTreeRoot().findGroups()]
    assert groups[:2] == ["naip – Epitome LSR (2)", "naip – Epitome LSR"]  # the newest on top
    canvas = qgis_iface.mapCanvas()
    canvas.setDestinationCrs(img.crs())
    canvas.setExtent(img.extent().buffered(5000))
    assert w.run_page.zoom_button.isEnabled()
    w.run_page.zoom_button.click()
    ext = canvas.extent()
    lab = w.added_layers[0].extent()
    assert ext.contains(lab) and min(ext.width() / lab.width(), ext.height() / lab.height()) < 1.2
    assert w.iface.bar.currentItem() is not None and "b labels" in w.iface.bar.currentItem().text()


def test_last_choices_and_table_are_offered_again(wizard, project_layers, tmp_path):
    from epitome.plugin.gui.lsr_wizard import LsrWizard

    prj, img, cls, ref = project_layers
    w = wizard
    w.layers.imagery.setLayer(img)
    w.layers.classes.setLayer(cls)
    w.layers.reference.setLayer(ref)
    w.compo.initializePage()
    ed = w.compo.editor
    ed.table.item(ed.class_codes().index(41), 0).setText("0.5")  # water in deciduous forest: the user's edit
    assert w.compo.validatePage()
    w.settings.preset.setCurrentIndex(2)
    w.settings.device.set_value("cpu")
    w.settings.output.setFilePath(str(tmp_path / "r.tif"))
    w.parameters()
    w.remember_choices()
    again = LsrWizard(None)
    try:
        assert again.layers.reference.currentLayer() is ref and again.layers.classes.currentLayer() is cls
        again.compo.initializePage()
        e2 = again.compo.editor
        kept = float(e2.table.item(e2.class_codes().index(41), 0).text())
        assert kept == pytest.approx(float(w.composition.matrix[w.composition.class_codes.index(41), 0]), rel=1e-4)
        assert kept > 0.3  # the user's edit (the built-in table has no water in deciduous forest)
        assert again.settings.preset.currentIndex() == 2 and again.settings.device.value() == "cpu"
    finally:
        again.deleteLater()


def test_composition_page_shows_one_error_and_it_goes_away(wizard, project_layers, scene):
    from qgis.PyQt.QtWidgets import QLabel

    prj, img, cls, ref = project_layers
    w = wizard
    w.layers.imagery.setLayer(img)
    w.layers.classes.setLayer(cls)
    w.show()
    w.next()  # to the composition page, as a user would
    ed = w.compo.editor
    for code in (41, 82):
        for j in range(len(ed.labels())):
            ed.table.item(ed.class_codes().index(code), j).setText("x")
    typed = ed.message()
    assert "more problems" in typed
    assert not w.compo.validatePage()
    assert ed.message() == typed  # the same words after Next

    def visible_errors():
        return [lb for lb in w.compo.findChildren(QLabel) if lb.isVisible() and "not a number" in lb.text()]

    assert len(visible_errors()) == 1  # shown once
    run = ed.start_estimate(scene.truth, scene.classes)
    assert wait_for(lambda: run.ok is not None, 120) and run.ok
    wait_for(lambda: ed.is_valid())
    assert ed.is_valid() and not visible_errors() and "Estimated" in ed.message()
    w.hide()


def test_row_filter_text_follows_the_box_and_cells_are_short(editor_in_page):
    ed = editor_in_page
    ed.set_class_codes([41, 82])
    assert "hidden" in ed.layer_only_check.text()
    ed.layer_only_check.setChecked(False)
    assert "hidden" not in ed.layer_only_check.text()
    it = ed.table.item(ed.class_codes().index(41), 0)
    it.setText("0.00990099")
    shown = ed.table.itemDelegate().displayText(it.text(), ed.table.locale())
    assert shown == "0.0099" and it.text() == "0.00990099"  # shown short, kept as typed


@pytest.fixture
def editor_in_page(qgis_app, epitome_provider):
    from epitome.plugin.gui.composition_editor import CompositionEditor

    ed = CompositionEditor()
    yield ed
    ed.deleteLater()


def test_evaluation_shows_the_baselines_when_given(wizard):
    html = wizard.evaluation_html({"OVERALL_ACCURACY": 0.9, "MEAN_IOU": 0.7, "PIXELS": 1000, "REPORT": "/r.html",
                                   "NAIVE_ACCURACY": 0.85, "NAIVE_MEAN_IOU": 0.6, "SMOOTH_ACCURACY": 0.87,
                                   "SMOOTH_MEAN_IOU": 0.65})
    assert "Naive" in html and "Smooth" in html and "90.0%" in html and "85.0%" in html and "+3.0 points" in html
    plain = wizard.evaluation_html({"OVERALL_ACCURACY": 0.9, "MEAN_IOU": 0.7, "PIXELS": 1000, "REPORT": "/r.html"})
    assert "overall accuracy 90.0%" in plain and "Naive" not in plain


def test_evaluation_gets_classes_and_table_when_the_algorithm_takes_them(wizard, project_layers, tmp_path):
    from qgis.core import QgsApplication

    prj, img, cls, ref = project_layers
    wizard.layers.classes.setLayer(cls)
    params = wizard.evaluation_parameters(str(tmp_path / "p.tif"), ref, str(tmp_path / "p_composition.csv"))
    alg = QgsApplication.processingRegistry().algorithmById("epitome:evaluate")
    takes = alg.parameterDefinition("CLASSES") is not None and alg.parameterDefinition("COMPOSITION") is not None
    assert ("CLASSES" in params and params["COMPOSITION"].endswith("p_composition.csv")) == takes
    assert params["REFERENCE"] == ref.source() and params["REPORT"].endswith("p_evaluation.html")


def test_canvas_extent_is_offered_when_the_algorithm_takes_an_extent(project_layers, epitome_provider, qgis_iface,
                                                                      monkeypatch, tmp_path):
    """EXTENT of epitome:selfepitomiclsr (issue 12, item 13): when the algorithm has it, the wizard can limit a run
    to the map canvas's extent; without it the box is not shown."""
    from epitome.plugin.gui import lsr_wizard as lw

    assert lw.lsr_takes_extent()  # the algorithm has EXTENT: the box is offered for real
    prj, img, cls, ref = project_layers
    monkeypatch.setattr(lw, "lsr_takes_extent", lambda: True)
    w = lw.LsrWizard(qgis_iface)
    try:
        prepare(w, img, cls)
        w.show()
        assert w.settings.canvas_extent.isVisibleTo(w.settings)
        canvas = qgis_iface.mapCanvas()
        canvas.setDestinationCrs(img.crs())
        canvas.setExtent(img.extent())
        w.settings.output.setFilePath(str(tmp_path / "x.tif"))
        assert "EXTENT" not in w.parameters()
        w.settings.canvas_extent.setChecked(True)
        ext = w.parameters()["EXTENT"]
        assert ext.endswith("[EPSG:26917]") and ext.startswith(str(canvas.extent().xMinimum()))
        w.hide()
    finally:
        w.deleteLater()
    monkeypatch.setattr(lw, "lsr_takes_extent", lambda: False)
    w2 = lw.LsrWizard(qgis_iface)
    assert not w2.settings.canvas_extent.isVisibleTo(w2.settings)
    w2.deleteLater()


def test_a_run_limited_to_the_canvas_extent_covers_only_that_area(project_layers, epitome_provider, qgis_iface,
                                                                    iface_with_messages, tmp_path):
    """The wizard's canvas-extent box, end to end: with the canvas zoomed into the imagery's forest, the label map
    covers what the canvas shows of the imagery, not the whole imagery (EXTENT passed to
    epitome:selfepitomiclsr)."""
    from qgis.core import QgsRasterLayer, QgsRectangle

    from epitome.plugin.gui import lsr_wizard as lw

    prj, img, cls, ref = project_layers
    w = lw.LsrWizard(iface_with_messages)
    try:
        prepare(w, img, cls)
        assert not w.settings.canvas_extent.isHidden()
        canvas = qgis_iface.mapCanvas()
        canvas.setDestinationCrs(img.crs())
        e = img.extent()
        x0, y0 = e.xMinimum() + 20, e.center().y()  # in the western forest (columns 0-39)
        canvas.setExtent(QgsRectangle(x0 - 12, y0 - 12, x0 + 12, y0 + 12))
        shown = canvas.extent().intersect(e)  # the canvas keeps its aspect: it may show more than asked
        assert shown.height() < 0.5 * e.height()
        w.settings.canvas_extent.setChecked(True)
        out = str(tmp_path / "zoomed.tif")
        w.settings.output.setFilePath(out)
        assert "map canvas" in w.summary()  # the run page says so before Run
        assert w.start()
        assert wait_for(lambda: w.done_ok, 300), w.run_page.log.toPlainText() + w.run_page.result.toPlainText()
        done = QgsRasterLayer(out, "zoomed").extent()
        px = img.rasterUnitsPerPixelX()
        assert e.contains(done)  # on the imagery's grid, inside it
        assert abs(done.width() - shown.width()) <= 2 * px and abs(done.height() - shown.height()) <= 2 * px
        assert abs(done.center().x() - shown.center().x()) <= px and abs(done.center().y() - shown.center().y()) <= px
        lab = read(out)
        assert lab.shape == (round(done.height() / px), round(done.width() / px))
        assert (lab[:, :10] == LBL_FOREST).mean() > 0.9  # the forest is labelled
    finally:
        w.deleteLater()


# ---- what an analyst hit in the real window (issue 20) ------------------------------------------------

def answer_close_question(button_text, seen):
    """Click `button_text` in the question the wizard asks when it is closed during a run (a real modal box)."""
    from qgis.PyQt.QtCore import QTimer
    from qgis.PyQt.QtWidgets import QApplication, QMessageBox

    def click():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, click)
            return
        seen.append((box.text(), [b.text() for b in box.buttons()]))
        next(b for b in box.buttons() if b.text() == button_text).click()

    QTimer.singleShot(50, click)


def slow_preset(w):
    w.settings.preset.setItemData(0, {"TILE_SIZE": 32, "SAMPLES": 0.1, "PATCH_SIZE": 5, "EM_ITERATIONS": 15,
                                      "SEED": 0})


def test_closing_during_a_run_asks_and_the_run_goes_on(wizard, project_layers, tmp_path, iface_with_messages):
    """Closed at 19%, the run is not thrown away: asked, the user keeps it running; the label map arrives in its
    group and the message bar says so, with the window closed."""
    prj, img, cls, ref = project_layers
    w = wizard
    w.iface = iface_with_messages
    prepare(w, img, cls)
    slow_preset(w)
    out = str(tmp_path / "bg.tif")
    w.settings.output.setFilePath(out)
    w.show()
    assert w.start()
    seen = []
    answer_close_question("Keep running in the background", seen)
    w.close()  # the window's close button
    assert seen and "Keep running in the background" in seen[0][1] and "Stop the run" in seen[0][1]
    assert "%" in seen[0][0]
    assert not w.isVisible() and w.running() and w.in_background
    assert wait_for(lambda: w.done_ok, 300), w.run_page.log.toPlainText() + w.run_page.result.toPlainText()
    assert os.path.isfile(out)
    group = prj.layerTreeRoot().findGroup("naip – Epitome LSR")
    assert group is not None and [n.name() for n in group.children()][0] == "bg labels"
    assert "bg labels" in w.iface.bar.currentItem().text()


def test_closing_during_a_run_can_stop_it_or_go_back(wizard, project_layers, tmp_path):
    prj, img, cls, ref = project_layers
    w = wizard
    prepare(w, img, cls)
    slow_preset(w)
    out = str(tmp_path / "st.tif")
    w.settings.output.setFilePath(out)
    w.show()
    assert w.start()
    seen = []
    answer_close_question("Back to the wizard", seen)
    w.reject()  # Esc / Cancel
    assert seen and w.isVisible() and w.running()  # nothing changed
    answer_close_question("Stop the run", seen)
    w.reject()
    assert len(seen) == 2 and not w.isVisible()
    assert wait_for(lambda: w.run.ok is not None, 300)
    assert w.run.ok is False and not os.path.exists(out) and not w.done_ok


def test_closing_without_a_run_asks_nothing(wizard):
    wizard.show()
    wizard.reject()
    assert not wizard.isVisible()


def test_the_reference_is_checked_like_the_other_layers(wizard, project_layers, tmp_path):
    """A reference of another area is an error on page 1 that names it and the imagery (not a failure of the
    evaluation after the run)."""
    from qgis.core import QgsRasterLayer

    from qgis_scenes import halves, img_gt, write_raster

    prj, img, cls, ref = project_layers
    far = QgsRasterLayer(write_raster(tmp_path / "far.tif", halves(), img_gt(x0=700000.0)), "far truth")
    nocrs = QgsRasterLayer(write_raster(tmp_path / "nocrs.tif", halves(), None, None), "no crs truth")
    prj.addMapLayers([far, nocrs])
    page = wizard.layers
    page.imagery.setLayer(img)
    page.classes.setLayer(cls)
    page.reference.setLayer(ref)
    assert page.isComplete() and "fit together" in page.checks.text()
    page.reference.setLayer(far)
    assert not page.isComplete()
    text = page.checks.text()
    assert "reference 'far truth' does not overlap the imagery 'naip'" in text and "class layer" not in text
    page.reference.setLayer(nocrs)
    assert not page.isComplete() and "no crs truth" in page.checks.text() and "CRS" in page.checks.text()


def test_a_class_layer_elsewhere_is_named(wizard, project_layers, tmp_path):
    from qgis.core import QgsRasterLayer

    from qgis_scenes import halves, img_gt, write_raster

    prj, img, cls, ref = project_layers
    far = QgsRasterLayer(write_raster(tmp_path / "farc.tif", halves(), img_gt(x0=700000.0, res=30.0)), "far nlcd")
    prj.addMapLayer(far)
    wizard.layers.imagery.setLayer(img)
    wizard.layers.classes.setLayer(far)
    assert "class layer 'far nlcd' does not overlap the imagery 'naip'" in wizard.layers.checks.text()


def test_a_wgs84_pixel_size_is_also_given_in_metres(qgis_app, tmp_path):
    from qgis.core import QgsRasterLayer

    from epitome.plugin.gui.lsr_wizard import layer_summary, pixel_metres

    from qgis_scenes import halves, write_raster

    # 1e-4 degrees at 39.4 N (West Virginia): about 8.6 m east-west, 11.1 m north-south
    lyr = QgsRasterLayer(write_raster(tmp_path / "wgs84.tif", halves(), (-80.0, 1e-4, 0, 39.4, 0, -1e-4), 4326), "g")
    text = layer_summary(lyr)
    assert "degrees (about 8.6 x 11.1 m)" in text and "EPSG:4326" in text
    assert pixel_metres(lyr) == pytest.approx(8.6, abs=0.05)


def test_help_is_in_an_analysts_words_and_explains_the_presets(wizard):
    box = wizard.show_help()
    text = box.text()
    for jargon in ("Gaussian", "likelihood", "posterior", " EM", "Adam", "attention", "epitome"):
        assert jargon not in text, jargon
    for words in ("Fast", "Balanced", "Thorough", "accuracy", "mean IoU", "naive", "smooth", "Composition table"):
        assert words in text, words
    box.close()


def test_each_quality_preset_says_what_it_changes_and_costs(wizard, project_layers, tmp_path):
    from qgis.core import QgsRasterLayer

    from epitome.plugin.gui.lsr_wizard import preset_parameters, presets

    from qgis_scenes import make_imagery, write_raster

    page = wizard.settings
    for i, (name, params, tip) in enumerate(presets()):
        page.preset.setCurrentIndex(i)
        shown = page.preset_info.text()
        assert shown == tip and shown.startswith(name.split(" ")[0])
        assert "computing time" in shown or "yardstick" in shown  # what it costs, against Balanced
    fast, balanced, thorough = (p for _, p, _ in presets())
    assert balanced == {} and set(fast) == {"SAMPLES", "KEY_STRIDE", "EM_ITERATIONS"} and thorough == {"KEY_STRIDE": 1}
    for params in (fast, thorough):  # every preset is a set of the algorithm's own parameters, in range
        from qgis.core import QgsApplication

        alg = QgsApplication.processingRegistry().algorithmById("epitome:selfepitomiclsr")
        for k, v in params.items():
            assert alg.parameterDefinition(k).checkValueIsAcceptable(v), k
    half_metre = QgsRasterLayer(write_raster(tmp_path / "half.tif", make_imagery(64, 64),
                                             (560000.0, 0.5, 0, 4390000.0, 0, -0.5)), "half")
    # tiles given in ground metres become imagery pixels (256 m at 0.5 m: 512 px); pixel sizes never leak in
    assert preset_parameters({"TILE_METRES": 256}, half_metre)["TILE_SIZE"] == 512
    assert "TILE_SIZE" not in preset_parameters(balanced, half_metre)


def sample_points(path, truth_path, n=60, seed=0):
    """A GeoPackage of n random truth pixels with a field 'label' (the label codes), in the truth's CRS."""
    import numpy as np
    from osgeo import gdal, ogr, osr

    ds = gdal.Open(truth_path)
    truth, gt = ds.ReadAsArray(), ds.GetGeoTransform()
    rows, cols = np.nonzero(truth > 0)
    pick = np.random.default_rng(seed).choice(rows.size, n, replace=False)
    out = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromWkt(ds.GetProjection())
    lyr = out.CreateLayer("samples", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("label", ogr.OFTInteger))
    for i in pick:
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt("POINT ({} {})".format(gt[0] + cols[i] + 0.5, gt[3] - rows[i] - 0.5)))
        f.SetField("label", int(truth[rows[i], cols[i]]))
        lyr.CreateFeature(f)
    out = None
    return str(path)


def test_reference_samples_calibrate_the_run_and_the_result_says_what_appearance_added(
        wizard, project_layers, scene, tmp_path):
    from qgis.core import QgsVectorLayer

    prj, img, cls, ref = project_layers
    pts = QgsVectorLayer(sample_points(tmp_path / "samples.gpkg", scene.truth), "samples", "ogr")
    assert pts.isValid()
    prj.addMapLayer(pts)
    w = wizard
    w.layers.samples.setLayer(pts)
    assert w.layers.samples_field.currentField() == "label"  # a label-like field is proposed
    prepare(w, img, cls)
    out = str(tmp_path / "calibrated.tif")
    w.settings.output.setFilePath(out)
    params = w.parameters()
    assert params["REFERENCE"].startswith(str(tmp_path / "samples.gpkg")) and params["REFERENCE_FIELD"] == "label"
    w.run_page.initializePage()
    assert "samples" in w.run_page.summary.text()
    assert w.start()
    assert wait_for(lambda: w.done_ok, 300), w.run_page.log.toPlainText() + w.run_page.result.toPlainText()
    text = w.run_page.result.toPlainText()
    assert "What the imagery changed" in text and "Estimated accuracy" in text and "naive baseline" in text
    assert "Estimated accuracy of the result" in w.run_page.log.toPlainText()


def test_a_vector_sample_layer_needs_its_label_field(wizard, project_layers, tmp_path):
    from qgis.core import QgsVectorLayer

    prj, img, cls, ref = project_layers
    lyr = QgsVectorLayer("Point?crs=EPSG:26917&field=name:string", "no label", "memory")
    prj.addMapLayer(lyr)
    wizard.layers.imagery.setLayer(img)
    wizard.layers.classes.setLayer(cls)
    wizard.layers.samples.setLayer(lyr)
    wizard.layers.samples_field.setField("")
    assert not wizard.layers.isComplete()
    wizard.layers.samples_field.setField("name")
    assert wizard.layers.isComplete()
