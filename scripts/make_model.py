#!/usr/bin/env python3
"""Writes the example graphical models into resources/models/ (the provider lists them in the toolbox under
Epitome > Example models):

- lsr_and_evaluate.model3: self-epitomic LSR, then the evaluation of the result against reference labels;
- lsr_with_estimated_composition.model3: the composition table estimated where fine labels are known
  (epitome:estimatecomposition), then self-epitomic LSR with it - for class layers that are not NLCD;
- train_embed_predict.model3: an epitome trained on imagery (epitome:trainepitome), the high-resolution
  labels of that imagery embedded into it (epitome:embedlabels), other imagery labelled with it
  (epitome:predict).

Every parameter that is not a model input keeps the algorithm's own default: optional ones are left unset,
mandatory ones (a model must give them a value) get the current default, as the Model Designer would; run
this script again when a default changes (tests/qgis/test_model.py fails until then). Inputs are listed in the order a user thinks of them (imagery first) and the boxes
are laid out on a grid so that none overlaps another.

    /usr/bin/python3 scripts/make_model.py [folder]
"""

import os
import sys

from qgis.core import (
    QgsApplication,
    QgsProcessing,
    QgsProcessingModelAlgorithm,
    QgsProcessingModelChildAlgorithm,
    QgsProcessingModelChildParameterSource,
    QgsProcessingModelOutput,
    QgsProcessingModelParameter,
    QgsProcessingParameterFile,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)
from qgis.PyQt.QtCore import QPointF, QSizeF

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GROUP = "Example models"
BOX = QSizeF(200, 30)  # the designer's default box


def model_input(m, name, definition, pos, help_text):
    """An input box; its help goes into the model's help (a model file keeps help there, per input name)."""
    definition.setHelp(help_text)
    m.setHelpContent(dict(m.helpContent(), **{name: help_text}))
    p = QgsProcessingModelParameter(name)
    p.setPosition(QPointF(*pos))
    p.setSize(BOX)
    m.addModelParameter(definition, p)


def child(m, child_id, alg_id, description, pos, sources):
    c = QgsProcessingModelChildAlgorithm(alg_id)
    c.setChildId(child_id)
    c.setDescription(description)
    c.setPosition(QPointF(*pos))
    c.setSize(BOX)
    for param, source in sources.items():
        c.addParameterSources(param, [source])
    for d in QgsApplication.processingRegistry().algorithmById(alg_id).parameterDefinitions():
        if not (d.isDestination() or d.name() in sources or d.flags() & d.FlagOptional) and \
                d.defaultValue() is not None:
            c.addParameterSources(d.name(), [QgsProcessingModelChildParameterSource.fromStaticValue(d.defaultValue())])
    m.addChildAlgorithm(c)
    return m.childAlgorithm(child_id)


def model_output(m, child_id, name, description, child_output, pos, mandatory=True):
    c = m.childAlgorithm(child_id)
    out = QgsProcessingModelOutput(name, description)
    out.setChildOutputName(child_output)
    out.setChildId(child_id)
    out.setPosition(QPointF(*pos))
    out.setSize(BOX)
    out.setMandatory(mandatory)
    outputs = dict(c.modelOutputs())
    outputs[name] = out
    c.setModelOutputs(outputs)


def from_input(name):
    return QgsProcessingModelChildParameterSource.fromModelParameter(name)


def from_child(child_id, output):
    return QgsProcessingModelChildParameterSource.fromChildOutput(child_id, output)


def composition_input():
    return QgsProcessingParameterFile("composition", "Composition table p(label | class) (CSV)",
                                      behavior=QgsProcessingParameterFile.File, extension="csv", optional=True)


def lsr_and_evaluate():
    m = QgsProcessingModelAlgorithm("LSR and evaluation", GROUP)
    m.setHelpContent({"ALG_CREATOR": "Epitome", "ALG_DESC": "Self-epitomic label super-resolution of the imagery with the coarse classes, "
                                  "then the evaluation of the label map against reference labels (overall "
                                  "accuracy, IoU, confusion matrix). Every other setting is the algorithms' "
                                  "default."})
    model_input(m, "imagery", QgsProcessingParameterRasterLayer("imagery", "Imagery"), (120, 60),
                "High-resolution imagery (e.g. NAIP 1 m).")
    model_input(m, "classes", QgsProcessingParameterRasterLayer("classes", "Coarse classes"), (120, 140),
                "Coarse class layer (e.g. NLCD 30 m), any CRS and resolution.")
    model_input(m, "composition", composition_input(), (120, 220),
                "CSV with a header 'class' then the label names (e.g. class,water,forest,field,built) and one row per class "
                "code; empty: the built-in NLCD table.")
    model_input(m, "reference", QgsProcessingParameterRasterLayer("reference", "Reference labels"), (120, 300),
                "High-resolution labels (codes 1..L in the composition's column order) to evaluate against.")
    m.setParameterOrder(["imagery", "classes", "composition", "reference"])
    child(m, "lsr", "epitome:selfepitomiclsr", "Self-epitomic label super-resolution", (420, 140),
          {"IMAGERY": from_input("imagery"), "CLASSES": from_input("classes"),
           "COMPOSITION": from_input("composition")})
    model_output(m, "lsr", "labels", "High-resolution labels", "OUTPUT", (420, 240))
    evaluate = {"PREDICTION": from_child("lsr", "OUTPUT"), "REFERENCE": from_input("reference")}
    alg = QgsApplication.processingRegistry().algorithmById("epitome:evaluate")
    if alg.parameterDefinition("CLASSES") is not None and alg.parameterDefinition("COMPOSITION") is not None:
        # the evaluation also scores the label-only baselines (naive and smooth) on the same pixels
        evaluate.update(CLASSES=from_input("classes"), COMPOSITION=from_input("composition"))
    child(m, "evaluate", "epitome:evaluate", "Evaluate a label map", (720, 300), evaluate)
    model_output(m, "evaluate", "report", "Evaluation report", "REPORT", (720, 400))
    return m


def lsr_with_estimated_composition():
    m = QgsProcessingModelAlgorithm("LSR with a composition estimated from labelled areas", GROUP)
    m.setHelpContent({"ALG_CREATOR": "Epitome", "ALG_DESC": "For class layers other than NLCD: the composition table p(label | class) is "
                                  "counted where fine labels are known (Estimate a composition table), then used "
                                  "by self-epitomic label super-resolution of the imagery. The table is written "
                                  "too, to reuse or edit. Every other setting is the algorithms' default."})
    model_input(m, "imagery", QgsProcessingParameterRasterLayer("imagery", "Imagery"), (120, 60),
                "High-resolution imagery.")
    model_input(m, "classes", QgsProcessingParameterRasterLayer("classes", "Coarse classes"), (120, 140),
                "Coarse class layer, any CRS and resolution.")
    model_input(m, "labelled", QgsProcessingParameterRasterLayer("labelled", "Fine labels of a labelled area"),
                (120, 220), "High-resolution labels (codes 1..L) where they are known; they may cover only part "
                "of the imagery, or another area with the same classes.")
    m.setParameterOrder(["imagery", "classes", "labelled"])
    child(m, "estimate", "epitome:estimatecomposition", "Estimate composition from a labelled area", (420, 220),
          {"REFERENCE": from_input("labelled"), "CLASSES": from_input("classes")})
    model_output(m, "estimate", "composition", "Composition table", "OUTPUT", (420, 320))
    child(m, "lsr", "epitome:selfepitomiclsr", "Self-epitomic label super-resolution", (720, 140),
          {"IMAGERY": from_input("imagery"), "CLASSES": from_input("classes"),
           "COMPOSITION": from_child("estimate", "OUTPUT")})
    model_output(m, "lsr", "labels", "High-resolution labels", "OUTPUT", (720, 240))
    return m


def train_embed_predict():
    m = QgsProcessingModelAlgorithm("Train, embed labels and predict", GROUP)
    m.setHelpContent({"ALG_CREATOR": "Epitome", "ALG_DESC": "An epitome is trained on the training imagery, the "
                      "high-resolution labels of that imagery are embedded into it, and the imagery to label is "
                      "labelled with it (Malkin, Ortiz, Jojic, ECCV 2020: a model trained once, labels at a cost "
                      "linear in the area). Epitome size and training steps are inputs (128 and 400 gave 82% on "
                      "held-out NAIP, docs/BENCHMARKS_EPITOME.md); every other setting is the algorithms' default."})
    model_input(m, "training_imagery", QgsProcessingParameterMultipleLayers(
        "training_imagery", "Training imagery", QgsProcessing.TypeRaster), (120, 60),
        "Imagery the epitome is trained on and whose labels are known (one or more rasters, same bands).")
    model_input(m, "training_labels", QgsProcessingParameterMultipleLayers(
        "training_labels", "High-resolution labels of the training imagery", QgsProcessing.TypeRaster), (120, 140),
        "One label raster per training imagery raster, in the same order: codes 1..L, 0 = no label.")
    model_input(m, "label_names", QgsProcessingParameterString(
        "label_names", "Label names (comma-separated)", optional=True), (120, 220),
        "Names of labels 1..L, e.g. water,forest,field,built; empty: from the label rasters' categories.")
    model_input(m, "imagery", QgsProcessingParameterRasterLayer("imagery", "Imagery to label"), (120, 300),
                "The imagery to label, with the bands of the training imagery.")
    model_input(m, "size", QgsProcessingParameterNumber("size", "Epitome size", QgsProcessingParameterNumber.Integer,
                                                        128, False, 32, 4096), (120, 380),
                "Side of the epitome in pixels (at least the 31 px patch size).")
    model_input(m, "steps", QgsProcessingParameterNumber("steps", "Training steps",
                                                         QgsProcessingParameterNumber.Integer, 400, False, 1),
                (120, 460), "Mini-batch steps of the training; time grows linearly with them.")
    m.setParameterOrder(["training_imagery", "training_labels", "label_names", "imagery", "size", "steps"])
    child(m, "train", "epitome:trainepitome", "Train epitomes", (420, 100),
          {"IMAGERY": from_input("training_imagery"), "SIZE": from_input("size"), "STEPS": from_input("steps")})
    model_output(m, "train", "model", "Trained epitome", "MODEL", (420, 200))
    child(m, "embed", "epitome:embedlabels", "Embed high-resolution labels", (720, 180),
          {"MODEL": from_child("train", "MODEL"), "IMAGERY": from_input("training_imagery"),
           "LABELS": from_input("training_labels"), "LABEL_NAMES": from_input("label_names")})
    model_output(m, "embed", "embedded_model", "Epitome with the label embedding", "OUTPUT_MODEL", (720, 280))
    child(m, "predict", "epitome:predict", "Predict labels", (1020, 260),
          {"MODEL": from_child("embed", "OUTPUT_MODEL"), "IMAGERY": from_input("imagery")})
    model_output(m, "predict", "labels", "Predicted labels", "OUTPUT", (1020, 360))
    model_output(m, "predict", "novelty", "Novelty", "NOVELTY", (1020, 440), mandatory=False)
    return m


MODELS = {"lsr_and_evaluate.model3": lsr_and_evaluate,
          "lsr_with_estimated_composition.model3": lsr_with_estimated_composition,
          "train_embed_predict.model3": train_embed_predict}


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
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "resources", "models")
    for name, build in MODELS.items():
        path = os.path.join(folder, name)
        print(path, build().toFile(path))
    QgsApplication.processingRegistry().removeProvider(provider)
    app.exitQgis()
