"""The shipped example graphical model train -> embed -> predict: listed in the toolbox, and it runs."""

import os

import numpy as np
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback, QgsProcessingModelAlgorithm

from qgis_scenes import ROOT, read

MODEL = os.path.join(ROOT, "resources", "models", "train_embed_predict.model3")
CHAIN = ["epitome:trainepitome", "epitome:embedlabels", "epitome:predict"]


def test_listed_under_the_provider(epitome_provider):
    models = [a for a in epitome_provider.algorithms() if isinstance(a, QgsProcessingModelAlgorithm)]
    names = {a.displayName() for a in models}
    assert "Train, embed labels and predict" in names and "LSR and evaluation" in names
    alg = QgsApplication.processingRegistry().algorithmById("epitome:Train, embed labels and predict")
    assert alg is not None and alg.group() == "Epitome examples"


def test_example_model_trains_embeds_and_predicts(epitome_provider, scene, tmp_path):
    m = QgsProcessingModelAlgorithm()
    assert m.fromFile(MODEL)
    children = m.childAlgorithms()
    assert sorted(c.algorithmId() for c in children.values()) == sorted(CHAIN)
    # the chain: predict reads embed's OUTPUT_MODEL, embed reads train's MODEL
    assert children["predict"].parameterSources()["MODEL"][0].outputChildId() == "embed"
    assert children["embed"].parameterSources()["MODEL"][0].outputChildId() == "train"
    ok, errors = m.validate()
    assert ok, errors
    labels, novelty = str(tmp_path / "labels.tif"), str(tmp_path / "novelty.tif")
    params = {"training_imagery": [scene.imagery], "training_labels": [scene.truth],
              "label_names": "water,forest,field,built", "imagery": scene.imagery, "size": 32, "steps": 15,
              "predict:labels": labels, "predict:novelty": novelty, "train:model": str(tmp_path / "m.epitome"),
              "embed:embedded_model": str(tmp_path / "e.epitome")}
    m.initAlgorithm({})
    ctx, fb = QgsProcessingContext(), QgsProcessingFeedback()
    results, ok = m.run(params, ctx, fb)
    assert ok and results["predict:labels"] == labels
    lab, truth = read(labels), read(scene.truth)
    assert np.mean(lab == truth) > 0.8 and set(np.unique(lab)) == {2, 3}  # default 31 px patches, 96 px scene
    assert os.path.exists(novelty) and os.path.exists(tmp_path / "e.epitome")
