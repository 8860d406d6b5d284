"""The shipped example graphical models: listed in the toolbox (provider), inputs in a sensible order, every
other parameter left to the algorithms' defaults, boxes that do not overlap, and they run and chain."""

import itertools
import os

import pytest
from qgis.core import (
    QgsApplication,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildParameterSource,
)
from qgis.PyQt.QtCore import QRectF

from qgis_scenes import ROOT

FOLDER = os.path.join(ROOT, "resources", "models")
MODELS = {
    "lsr_and_evaluate.model3": ("LSR and evaluation", ["imagery", "classes", "composition", "reference"]),
    "lsr_with_estimated_composition.model3": ("LSR with a composition estimated from labelled areas",
                                              ["imagery", "classes", "labelled"]),
    "train_embed_predict.model3": ("Train, embed labels and predict",
                                   ["training_imagery", "training_labels", "label_names", "imagery", "size", "steps"]),
}
CSV = "class,water,forest,field,built\n41,0,0.9,0.1,0\n82,0,0.1,0.9,0\n"


def load(name):
    m = QgsProcessingModelAlgorithm()
    assert m.fromFile(os.path.join(FOLDER, name))
    m.initAlgorithm({})
    return m


def test_every_shipped_model_is_tested():
    assert sorted(n for n in os.listdir(FOLDER) if n.endswith(".model3")) == sorted(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_models_are_in_the_toolbox_with_stable_ids(epitome_provider, name):
    title, _ = MODELS[name]
    model_id = "epitome:" + name[:-len(".model3")]  # the file's name: no spaces, whatever the title
    alg = QgsApplication.processingRegistry().algorithmById(model_id)
    assert alg is not None and alg.group() == "Example models" and alg.provider().id() == "epitome"
    assert alg.id() == model_id and " " not in alg.id() and alg.displayName() == title
    assert QgsApplication.processingRegistry().algorithmById("epitome:" + title) is None
    assert "default" in alg.shortHelpString()  # says where the other settings come from
    helped = alg.shortHelpString()
    shown = helped.split("The file shipped with the plugin: ")[1].split("<")[0]
    assert os.path.realpath(shown) == os.path.realpath(os.path.join(FOLDER, name))
    assert "Open a copy in the Model Designer" in helped
    copy = alg.create()  # as Processing runs it: the same id and file
    assert copy.id() == model_id and os.path.realpath(copy.sourceFilePath()) == os.path.realpath(shown)


def test_a_copy_of_an_example_opens_in_the_model_designer(epitome_provider, qgis_iface, monkeypatch):
    """Right-click an example in the toolbox: a Model Designer with a copy that has no file (Save asks where, the
    plugin's file stays as shipped)."""
    from processing.gui.ProviderActions import ProviderContextMenuActions
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtWidgets import QMainWindow

    from epitome.plugin.gui.example_models import OpenExampleModelAction, register, unregister

    monkeypatch.setattr(qgis_iface, "iconSize", lambda dockedToolbar=False: QSize(24, 24), raising=False)
    if not hasattr(qgis_iface, "mainWindow") or qgis_iface.mainWindow() is None:
        monkeypatch.setattr(qgis_iface, "mainWindow", lambda: QMainWindow(), raising=False)
    actions = register()
    try:
        assert actions[0] in ProviderContextMenuActions.actions
        reg = QgsApplication.processingRegistry()
        action = OpenExampleModelAction()
        action.setData(reg.algorithmById("epitome:selfepitomiclsr"), None)
        assert not action.isEnabled()  # only on the example models
        example = reg.algorithmById("epitome:lsr_and_evaluate")
        action.setData(example, None)
        assert action.isEnabled() and action.name == "Open a copy in the Model Designer…"
        action.execute()
        dlg = action.dialog
        model = dlg.model()
        assert model.name() == "LSR and evaluation" and model.sourceFilePath() == ""
        assert sorted(model.childAlgorithms()) == ["evaluate", "lsr"]
        dlg.setDirty(False)  # nothing to save: close without the question
        dlg.close()
    finally:
        unregister(actions)
    assert actions[0] not in ProviderContextMenuActions.actions


@pytest.mark.parametrize("name", sorted(MODELS))
def test_models_leave_settings_to_the_algorithms(epitome_provider, name):
    m = load(name)
    ok, errors = m.validate()
    assert ok, errors
    title, order = MODELS[name]
    assert m.name() == title
    assert [d.name() for d in m.parameterDefinitions() if not d.isDestination()] == order  # imagery first
    helps = m.helpContent()
    for name in order:  # every input explained in the model's help, in plain words (it is shown as HTML)
        assert helps.get(name) and "<" not in helps[name], name
    assert "<" not in helps["ALG_DESC"] and helps["imagery"] in m.shortHelpString()
    static = QgsProcessingModelChildParameterSource.StaticValue
    for child in m.childAlgorithms().values():
        alg = QgsApplication.processingRegistry().algorithmById(child.algorithmId())
        for param, sources in child.parameterSources().items():
            d = alg.parameterDefinition(param)
            for s in sources:  # a value is only given where a model must give one, and it is today's default
                if s.source() == static:
                    assert not d.flags() & d.FlagOptional, (child.childId(), param)
                    assert s.staticValue() == d.defaultValue(), (child.childId(), param, s.staticValue())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_boxes_do_not_overlap(epitome_provider, name):
    m = load(name)

    def box(component):
        pos, size = component.position(), component.size()
        return QRectF(pos.x() - size.width() / 2, pos.y() - size.height() / 2, size.width(), size.height())

    boxes = [(p.parameterName(), box(p)) for p in m.parameterComponents().values()]
    for child in m.childAlgorithms().values():
        boxes.append((child.childId(), box(child)))
        boxes += [(o.name(), box(o)) for o in child.modelOutputs().values()]
    for (a, ra), (b, rb) in itertools.combinations(boxes, 2):
        assert not ra.adjusted(-10, -10, 10, 10).intersects(rb), (a, b)


def run(m, params):
    ctx, fb = QgsProcessingContext(), QgsProcessingFeedback()
    results, ok = m.run(params, ctx, fb)
    assert ok
    return results


def test_lsr_and_evaluate_runs_with_and_without_a_table(epitome_provider, scene, tmp_path):
    m = load("lsr_and_evaluate.model3")
    labels, report = str(tmp_path / "labels.tif"), str(tmp_path / "report.html")
    results = run(m, {"imagery": scene.imagery, "classes": scene.classes, "reference": scene.truth,
                      "lsr:labels": labels, "evaluate:report": report})
    assert results["lsr:labels"] == labels and results["evaluate:report"] == report
    with open(report, encoding="utf-8") as fh:
        html = fh.read()
    assert "forest" in html and "field" in html and "ccuracy" in html  # the evaluation read the LSR output
    table = tmp_path / "mine.csv"
    table.write_text(CSV)
    labels2 = str(tmp_path / "labels2.tif")
    run(m, {"imagery": scene.imagery, "classes": scene.classes, "composition": str(table),
            "reference": scene.truth, "lsr:labels": labels2, "evaluate:report": str(tmp_path / "r2.html")})
    assert os.path.isfile(labels2)


def test_an_example_model_runs_by_its_stable_id(epitome_provider, scene, tmp_path):
    import processing

    results = processing.run("epitome:lsr_with_estimated_composition", {
        "imagery": scene.imagery, "classes": scene.classes, "labelled": scene.truth,
        "lsr:labels": str(tmp_path / "l.tif"), "estimate:composition": str(tmp_path / "t.csv")})
    assert os.path.isfile(results["lsr:labels"])


def test_lsr_with_estimated_composition_runs(epitome_provider, scene, tmp_path):
    from epitome.algorithms.composition.table import load_composition

    m = load("lsr_with_estimated_composition.model3")
    labels, table = str(tmp_path / "labels.tif"), str(tmp_path / "table.csv")
    results = run(m, {"imagery": scene.imagery, "classes": scene.classes, "labelled": scene.truth,
                      "lsr:labels": labels, "estimate:composition": table})
    assert results["lsr:labels"] == labels and os.path.isfile(labels)
    comp = load_composition(table)
    assert comp.class_codes == [41, 82] and comp.n_labels == 3  # counted from the labelled area, then used


def test_train_embed_predict_runs(epitome_provider, scene, tmp_path):
    """train -> embed -> predict: the chain reads each child's model, and the labels come out right."""
    import numpy as np

    from qgis_scenes import read

    m = load("train_embed_predict.model3")
    children = m.childAlgorithms()
    assert children["predict"].parameterSources()["MODEL"][0].outputChildId() == "embed"
    assert children["embed"].parameterSources()["MODEL"][0].outputChildId() == "train"
    labels, novelty = str(tmp_path / "labels.tif"), str(tmp_path / "novelty.tif")
    results = run(m, {"training_imagery": [scene.imagery], "training_labels": [scene.truth],
                      "label_names": "water,forest,field,built", "imagery": scene.imagery, "size": 32, "steps": 15,
                      "predict:labels": labels, "predict:novelty": novelty, "train:model": str(tmp_path / "m.epitome"),
                      "embed:embedded_model": str(tmp_path / "e.epitome")})
    assert results["predict:labels"] == labels
    lab = read(labels)
    assert np.mean(lab == read(scene.truth)) > 0.8 and set(np.unique(lab)) == {2, 3}  # 31 px patches, 96 px scene
    assert os.path.exists(novelty) and os.path.exists(tmp_path / "e.epitome")
