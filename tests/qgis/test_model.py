"""The shipped example graphical model (LSR then evaluation) loads and runs: the algorithms chain."""

import os

from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProcessingModelAlgorithm

from qgis_scenes import ROOT

MODEL = os.path.join(ROOT, "resources", "models", "lsr_and_evaluate.model3")


def test_example_model_runs_and_chains_outputs(epitome_provider, scene, tmp_path):
    m = QgsProcessingModelAlgorithm()
    assert m.fromFile(MODEL)
    assert {c.algorithmId() for c in m.childAlgorithms().values()} == {"epitome:selfepitomiclsr",
                                                                         "epitome:evaluate"}
    ok, errors = m.validate()
    assert ok, errors
    ctx, fb = QgsProcessingContext(), QgsProcessingFeedback()
    labels, report = str(tmp_path / "labels.tif"), str(tmp_path / "report.html")
    params = {"imagery": scene.imagery, "classes": scene.classes, "reference": scene.truth,
              "lsr:labels": labels, "evaluate:report": report}
    m.initAlgorithm({})
    results, ok = m.run(params, ctx, fb)
    assert ok
    assert os.path.exists(labels) and os.path.exists(report)
    assert results["lsr:labels"] == labels and results["evaluate:report"] == report
    with open(report, encoding="utf-8") as fh:
        html = fh.read()
    # the evaluation child read the LSR output (the only labels it could see) and scored it
    assert "forest" in html and "field" in html and "ccuracy" in html
