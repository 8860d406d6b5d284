#!/usr/bin/env python3
"""Writes resources/models/lsr_and_evaluate.model3: self-epitomic LSR, then evaluation of the result."""

import os
import sys

from qgis.core import (QgsApplication, QgsProcessingModelAlgorithm, QgsProcessingModelChildAlgorithm,
                       QgsProcessingModelChildParameterSource, QgsProcessingModelOutput,
                       QgsProcessingModelParameter, QgsProcessingParameterRasterLayer)
from qgis.PyQt.QtCore import QPointF

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def static_defaults(child, alg_id):
    """Every parameter not wired to an input gets its default, as the model designer would do."""
    alg = QgsApplication.processingRegistry().algorithmById(alg_id)
    for d in alg.parameterDefinitions():
        if d.isDestination() or d.name() in child.parameterSources():
            continue
        if d.defaultValue() is not None:
            child.addParameterSources(d.name(), [QgsProcessingModelChildParameterSource.fromStaticValue(
                d.defaultValue())])


def build():
    m = QgsProcessingModelAlgorithm("LSR and evaluation", "Epitome")
    for i, (name, desc) in enumerate((("imagery", "Imagery"), ("classes", "Coarse classes"),
                                      ("reference", "Reference labels"))):
        p = QgsProcessingModelParameter(name)
        p.setPosition(QPointF(120, 80 + 90 * i))
        m.addModelParameter(QgsProcessingParameterRasterLayer(name, desc), p)
    lsr = QgsProcessingModelChildAlgorithm("epitome:selfepitomiclsr")
    lsr.setChildId("lsr")
    lsr.setDescription("Self-epitomic label super-resolution")
    lsr.setPosition(QPointF(420, 120))
    lsr.addParameterSources("IMAGERY", [QgsProcessingModelChildParameterSource.fromModelParameter("imagery")])
    lsr.addParameterSources("CLASSES", [QgsProcessingModelChildParameterSource.fromModelParameter("classes")])
    out = QgsProcessingModelOutput("labels", "High-resolution labels")
    out.setChildOutputName("OUTPUT")
    out.setChildId("lsr")
    lsr.setModelOutputs({"labels": out})
    static_defaults(lsr, "epitome:selfepitomiclsr")
    m.addChildAlgorithm(lsr)
    ev = QgsProcessingModelChildAlgorithm("epitome:evaluate")
    ev.setChildId("evaluate")
    ev.setDescription("Evaluate a label map")
    ev.setPosition(QPointF(720, 200))
    ev.addParameterSources("PREDICTION", [QgsProcessingModelChildParameterSource.fromChildOutput("lsr", "OUTPUT")])
    ev.addParameterSources("REFERENCE", [QgsProcessingModelChildParameterSource.fromModelParameter("reference")])
    rep = QgsProcessingModelOutput("report", "Evaluation report")
    rep.setChildOutputName("REPORT")
    rep.setChildId("evaluate")
    ev.setModelOutputs({"report": rep})
    static_defaults(ev, "epitome:evaluate")
    m.addChildAlgorithm(ev)
    return m


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.insert(0, os.path.join(ROOT, ".pkgroot"))
    if not os.path.exists(os.path.join(ROOT, ".pkgroot", "epitome")):
        os.makedirs(os.path.join(ROOT, ".pkgroot"), exist_ok=True)
        os.symlink(ROOT, os.path.join(ROOT, ".pkgroot", "epitome"))
    from epitome.plugin.processing.provider import EpitomeProvider

    provider = EpitomeProvider()  # keep a reference: the registry does not own Python providers
    QgsApplication.processingRegistry().addProvider(provider)
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "resources", "models", "lsr_and_evaluate.model3")
    ok = build().toFile(path)
    print(path, ok)
    app.exitQgis()
