#!/usr/bin/env python3
"""Writes resources/models/train_embed_predict.model3, the example graphical model for trained epitomes:
epitome:trainepitome -> epitome:embedlabels -> epitome:predict.

Run with QGIS's interpreter: /usr/bin/python3 scripts/make_epitome_model.py [path]
"""

import os
import sys

from qgis.core import (QgsApplication, QgsProcessingModelAlgorithm, QgsProcessingModelChildAlgorithm,
                       QgsProcessingModelChildParameterSource as Source, QgsProcessingModelOutput,
                       QgsProcessingModelParameter, QgsProcessing, QgsProcessingParameterMultipleLayers,
                       QgsProcessingParameterNumber, QgsProcessingParameterRasterLayer, QgsProcessingParameterString)
from qgis.PyQt.QtCore import QPointF

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from make_model import static_defaults  # noqa: E402 (the same defaults rule as the LSR example)

INPUTS = (
    ("training_imagery", QgsProcessingParameterMultipleLayers("training_imagery", "Training imagery",
                                                              QgsProcessing.TypeRaster)),
    ("training_labels", QgsProcessingParameterMultipleLayers("training_labels",
                                                             "High-resolution labels of the training imagery (one "
                                                             "per raster, same order)", QgsProcessing.TypeRaster)),
    ("label_names", QgsProcessingParameterString("label_names", "Label names (comma-separated; empty: from the "
                                                 "label rasters)", optional=True)),
    ("imagery", QgsProcessingParameterRasterLayer("imagery", "Imagery to label")),
    ("size", QgsProcessingParameterNumber("size", "Epitome size", QgsProcessingParameterNumber.Integer, 128, False,
                                          32, 4096)),
    ("steps", QgsProcessingParameterNumber("steps", "Training steps", QgsProcessingParameterNumber.Integer, 400,
                                           False, 1)),
)


def child(alg_id, child_id, description, x, y, sources, outputs=()):
    c = QgsProcessingModelChildAlgorithm(alg_id)
    c.setChildId(child_id)
    c.setDescription(description)
    c.setPosition(QPointF(x, y))
    for name, src in sources.items():
        c.addParameterSources(name, [src])
    outs = {}
    for name, output, title in outputs:
        o = QgsProcessingModelOutput(name, title)
        o.setChildOutputName(output)
        o.setChildId(child_id)
        outs[name] = o
    c.setModelOutputs(outs)
    static_defaults(c, alg_id)
    return c


def build():
    m = QgsProcessingModelAlgorithm("Train, embed labels and predict", "Epitome examples")
    m.setHelpContent({"ALG_DESC": "Trains an epitome on imagery, embeds the high-resolution labels of that imagery "
                                  "into it and labels other imagery with it (Malkin, Ortiz, Jojic, ECCV 2020)."})
    for i, (name, definition) in enumerate(INPUTS):
        p = QgsProcessingModelParameter(name)
        p.setPosition(QPointF(120, 60 + 80 * i))
        m.addModelParameter(definition, p)
    par = Source.fromModelParameter
    m.addChildAlgorithm(child("epitome:trainepitome", "train", "Train epitomes", 420, 80, {
        "IMAGERY": par("training_imagery"), "SIZE": par("size"), "STEPS": par("steps")},
        [("model", "MODEL", "Trained epitome")]))
    m.addChildAlgorithm(child("epitome:embedlabels", "embed", "Embed high-resolution labels", 700, 200, {
        "MODEL": Source.fromChildOutput("train", "MODEL"), "IMAGERY": par("training_imagery"),
        "LABELS": par("training_labels"), "LABEL_NAMES": par("label_names")},
        [("embedded_model", "OUTPUT_MODEL", "Epitome with the label embedding")]))
    m.addChildAlgorithm(child("epitome:predict", "predict", "Predict labels", 980, 320, {
        "MODEL": Source.fromChildOutput("embed", "OUTPUT_MODEL"), "IMAGERY": par("imagery")},
        [("labels", "OUTPUT", "Predicted labels"), ("novelty", "NOVELTY", "Novelty")]))
    return m


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.insert(0, os.path.join(ROOT, ".pkgroot"))
    if not os.path.exists(os.path.join(ROOT, ".pkgroot", "epitome")):
        os.makedirs(os.path.join(ROOT, ".pkgroot"), exist_ok=True)
        os.symlink(ROOT, os.path.join(ROOT, ".pkgroot", "epitome"))
    sys.path.append(os.path.expanduser("~/.local/share/QGIS/QGIS3/profiles/default/python/epitome-deps"))
    from epitome.plugin.processing.provider import EpitomeProvider

    provider = EpitomeProvider()  # keep a reference: the registry does not own Python providers
    QgsApplication.processingRegistry().addProvider(provider)
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "resources", "models",
                                                              "train_embed_predict.model3")
    ok = build().toFile(path)
    print(path, ok)
    app.exitQgis()
