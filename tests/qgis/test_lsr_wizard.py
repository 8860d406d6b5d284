"""The label super-resolution wizard, with real widgets offscreen, run on generated rasters."""

import os

import pytest

from qgis_scenes import LBL_FIELD, LBL_FOREST, read, wait_for

pytest.importorskip("torch")


@pytest.fixture
def project_layers(qgis_app, scene):
    from qgis.core import QgsProject, QgsRasterLayer

    prj = QgsProject.instance()
    prj.removeAllMapLayers()
    img = QgsRasterLayer(scene.imagery, "naip")
    cls = QgsRasterLayer(scene.classes, "nlcd")
    ref = QgsRasterLayer(scene.truth, "truth")
    prj.addMapLayers([img, cls, ref])
    yield prj, img, cls, ref
    prj.removeAllMapLayers()


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
    top = [n.name() for n in prj.layerTreeRoot().children()[:2]]
    assert top == ["result (Epitome labels)", "result (confidence)"]  # on top, label map first
    assert not prj.layerTreeRoot().children()[1].isVisible()  # confidence unchecked: the labels show
    names = [l.name() for l in prj.mapLayers().values()]
    assert "result (Epitome labels)" in names and "result (confidence)" in names
    layer = prj.mapLayersByName("result (Epitome labels)")[0]
    classes = layer.renderer().classes()
    assert [c.label for c in classes][:4] == ["water", "forest", "field", "built"]
    assert w.evaluation["OVERALL_ACCURACY"] > 0.9
    assert os.path.isfile(str(tmp_path / "result_evaluation.html"))
    from epitome.algorithms.composition.table import load_composition

    kept = load_composition(str(tmp_path / "result_composition.csv"))  # the table used, next to the result
    assert kept.labels == w.composition.labels and kept.class_codes == w.composition.class_codes
    assert "overall accuracy" in w.run_page.result.toPlainText()
    assert w.run_page.isComplete()


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
