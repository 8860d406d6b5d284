"""Processing algorithm epitome:evaluate - accuracy, IoU and confusion of a label map."""

import json

from qgis.core import (
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ...algorithms.errors import Cancelled, EpitomeError
from ...algorithms.io.outputs import write_text
from .base import EpitomeAlgorithm, QgsFeedbackAdapter, raster_path


class EvaluateAlgorithm(EpitomeAlgorithm):
    icon_name = "evaluate.svg"

    def name(self):
        return "evaluate"

    def displayName(self):  # noqa: N802
        return self.tr("Evaluate a label map")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "<p>Compares a predicted label raster with a reference label raster: overall accuracy, per-class "
            "intersection over union (IoU), mean IoU over the labels present in the reference, and the confusion "
            "matrix (rows = reference, columns = prediction).</p><p>The reference is resampled onto the "
            "prediction's grid by nearest neighbour (any CRS). Code 0 (and each raster's nodata value) is "
            "ignored. Label codes are 1..L; names come from LABEL_NAMES, else from the prediction's category "
            "names (as written by Epitome), else 'label 1'...</p><p>The numbers are algorithm outputs, so they "
            "chain in graphical models; an HTML report and a CSV are written too.</p>")

    def initAlgorithm(self, config=None):  # noqa: N802
        add = self.add_param

        add(QgsProcessingParameterRasterLayer("PREDICTION", self.tr("Predicted labels")),
            "Label raster to evaluate (codes 1..L, 0 = nodata), e.g. the output of self-epitomic LSR.")
        add(QgsProcessingParameterRasterLayer("REFERENCE", self.tr("Reference labels")),
            "Ground-truth label raster with the same codes; any CRS and resolution.")
        add(QgsProcessingParameterString("LABEL_NAMES", self.tr("Label names (comma separated)"), optional=True),
            "Names of labels 1..L, e.g. 'water,forest,field,built'. Empty: taken from the prediction raster.")
        add(QgsProcessingParameterFileDestination("REPORT", self.tr("HTML report"), "HTML files (*.html)",
                                                  optional=True, createByDefault=True),
            "Report with the summary numbers, per-class table and confusion matrix.")
        add(QgsProcessingParameterFileDestination("CSV", self.tr("CSV table"), "CSV files (*.csv)", optional=True,
                                                  createByDefault=False),
            "Per-class metrics and the confusion matrix as CSV.")
        self.addOutput(QgsProcessingOutputNumber("OVERALL_ACCURACY", self.tr("Overall accuracy (0-1)")))
        self.addOutput(QgsProcessingOutputNumber("MEAN_IOU", self.tr("Mean IoU (0-1)")))
        self.addOutput(QgsProcessingOutputString("PER_CLASS_IOU", self.tr("Per-class IoU (JSON)")))
        self.addOutput(QgsProcessingOutputString("CONFUSION_MATRIX", self.tr("Confusion matrix (JSON)")))
        self.addOutput(QgsProcessingOutputNumber("PIXELS", self.tr("Pixels compared")))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from ...algorithms.evaluate.accuracy import evaluate_rasters
        from ...algorithms.evaluate.metrics import report_csv, report_html

        pred = raster_path(self.parameterAsRasterLayer(parameters, "PREDICTION", context), "PREDICTION")
        ref = raster_path(self.parameterAsRasterLayer(parameters, "REFERENCE", context), "REFERENCE")
        names_text = self.parameterAsString(parameters, "LABEL_NAMES", context) or ""
        names = [n.strip() for n in names_text.split(",") if n.strip()]
        try:
            res = evaluate_rasters(pred, ref, names or None, QgsFeedbackAdapter(feedback))
        except Cancelled:
            raise QgsProcessingException("Cancelled by the user.")
        except EpitomeError as e:
            raise QgsProcessingException(str(e))
        cm, sc, names = res["cm"], res["scores"], res["label_names"]
        if sc["n_pixels"] == 0:
            raise QgsProcessingException("PREDICTION and REFERENCE share no labelled pixel: check that they "
                                         "overlap and use the same label codes.")
        per_iou = {n: (None if v != v else round(float(v), 6)) for n, v in zip(names, sc["per_class_iou"])}
        feedback.pushInfo(f"Overall accuracy {sc['overall_accuracy']:.4f}, mean IoU {sc['mean_iou']:.4f} "
                          f"over {sc['n_pixels']} pixels")
        for n, v in per_iou.items():
            feedback.pushInfo(f"  IoU {n}: {v}")
        outputs = {"OVERALL_ACCURACY": float(sc["overall_accuracy"]), "MEAN_IOU": float(sc["mean_iou"]),
                   "PER_CLASS_IOU": json.dumps(per_iou),
                   "CONFUSION_MATRIX": json.dumps({"labels": names, "rows_reference": cm.tolist()}),
                   "PIXELS": int(sc["n_pixels"])}
        report = self.parameterAsFileOutput(parameters, "REPORT", context)
        csv_path = self.parameterAsFileOutput(parameters, "CSV", context)
        try:
            if report:
                write_text(report, report_html(cm, names, "Label map evaluation", {"Prediction": pred, "Reference": ref}),
                           "REPORT")
                outputs["REPORT"] = report
            if csv_path:
                write_text(csv_path, report_csv(cm, names), "CSV")
                outputs["CSV"] = csv_path
        except EpitomeError as e:
            raise QgsProcessingException(str(e))
        return outputs
