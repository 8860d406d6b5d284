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

from ...algorithms.composition.table import CompositionError, load_composition
from ...algorithms.errors import Cancelled, EpitomeError
from ...algorithms.evaluate.accuracy import evaluate_rasters
from ...algorithms.evaluate.metrics import format_accuracy as pct
from ...algorithms.evaluate.metrics import format_iou as iou
from ...algorithms.evaluate.metrics import report_csv, report_html
from ...algorithms.io.outputs import write_text
from .base import EpitomeAlgorithm, QgsFeedbackAdapter, raster_path
from .declarations import Declared, composition_parameter
from .layer_checks import check_not_the_same_layer


class EvaluateAlgorithm(EpitomeAlgorithm):
    icon_name = "evaluate.svg"
    PARAMETERS = (
        Declared("PREDICTION", "Predicted labels",
                 "Label raster to evaluate (codes 1..L, 0 = nodata), e.g. the output of self-epitomic LSR.",
                 lambda n, t: QgsProcessingParameterRasterLayer(n, t)),
        Declared("REFERENCE", "Reference labels",
                 "Ground-truth label raster with the same codes; any CRS and resolution.",
                 lambda n, t: QgsProcessingParameterRasterLayer(n, t)),
        Declared("LABEL_NAMES", "Label names (comma separated)",
                 "Names of labels 1..L, e.g. 'water,forest,field,built'. Empty: taken from the prediction raster.",
                 lambda n, t: QgsProcessingParameterString(n, t, optional=True)),
        Declared("CLASSES", "Coarse classes (optional, for the baselines)",
                 "The coarse class layer the prediction was made from (any CRS and grid). With it, the two label-only "
                 "baselines are scored too, on the same pixels: naive (argmax p(label | class) of each pixel's class) "
                 "and smooth (the blocks' p(label | class) interpolated bilinearly, then argmax), so the report shows "
                 "what the prediction added.",
                 lambda n, t: QgsProcessingParameterRasterLayer(n, t, optional=True)),
        Declared("COMPOSITION", "Composition table p(label | class) (CSV, for the baselines)",
                 "The composition table the prediction was made with (same CSV rules as self-epitomic LSR; empty: the "
                 "built-in NLCD table). Used only with CLASSES.", composition_parameter),
        Declared("REPORT", "HTML report", "Report with the summary numbers, per-class table and confusion matrix.",
                 lambda n, t: QgsProcessingParameterFileDestination(n, t, "HTML files (*.html)", optional=True,
                                                                    createByDefault=True)),
        Declared("CSV", "CSV table", "Per-class metrics and the confusion matrix as CSV.",
                 lambda n, t: QgsProcessingParameterFileDestination(n, t, "CSV files (*.csv)", optional=True,
                                                                    createByDefault=False)),
    )
    OUTPUTS = (("OVERALL_ACCURACY", "Overall accuracy (0-1)", QgsProcessingOutputNumber),
               ("MEAN_IOU", "Mean IoU (0-1)", QgsProcessingOutputNumber),
               ("PER_CLASS_IOU", "Per-class IoU (JSON)", QgsProcessingOutputString),
               ("CONFUSION_MATRIX", "Confusion matrix (JSON)", QgsProcessingOutputString),
               ("PIXELS", "Pixels compared", QgsProcessingOutputNumber),
               ("NAIVE_ACCURACY", "Naive baseline: overall accuracy (0-1; only with CLASSES)",
                QgsProcessingOutputNumber),
               ("NAIVE_MEAN_IOU", "Naive baseline: mean IoU (0-1; only with CLASSES)", QgsProcessingOutputNumber),
               ("SMOOTH_ACCURACY", "Smooth baseline: overall accuracy (0-1; only with CLASSES)",
                QgsProcessingOutputNumber),
               ("SMOOTH_MEAN_IOU", "Smooth baseline: mean IoU (0-1; only with CLASSES)", QgsProcessingOutputNumber))

    def name(self):
        return "evaluate"

    def displayName(self):  # noqa: N802
        return self.tr("Evaluate a label map")

    def shortHelpString(self):  # noqa: N802
        return self.tr(
            "Compares a predicted label raster with a reference label raster: overall accuracy, per-class "
            "intersection over union (IoU), mean IoU over the labels present in the reference, and the confusion "
            "matrix (rows = reference, columns = prediction).\nThe reference is resampled onto the "
            "prediction's grid by nearest neighbour (any CRS). Code 0 (and each raster's nodata value) is "
            "ignored. Label codes are 1..L; names come from LABEL_NAMES, else from the prediction's category "
            "names (as written by Epitome), else 'label 1'...\nThe numbers are algorithm outputs, so they "
            "chain in graphical models; an HTML report and a CSV are written too.")

    def check(self, parameters, context):
        check_not_the_same_layer(self, parameters, context, "PREDICTION", "REFERENCE")

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802

        pred = raster_path(self.parameterAsRasterLayer(parameters, "PREDICTION", context), "PREDICTION")
        ref = raster_path(self.parameterAsRasterLayer(parameters, "REFERENCE", context), "REFERENCE")
        names_text = self.parameterAsString(parameters, "LABEL_NAMES", context) or ""
        names = [n.strip() for n in names_text.split(",") if n.strip()]
        cls_layer = self.parameterAsRasterLayer(parameters, "CLASSES", context)
        comp = None
        cls = raster_path(cls_layer, "CLASSES") if cls_layer is not None else None
        try:
            if cls:
                comp = load_composition(self.parameterAsFile(parameters, "COMPOSITION", context) or None)
            res = evaluate_rasters(pred, ref, names or None, QgsFeedbackAdapter(feedback), classes=cls,
                                   composition=comp)
        except Cancelled:
            raise QgsProcessingException("Cancelled by the user.")
        except (EpitomeError, CompositionError) as e:
            raise QgsProcessingException(str(e))
        cm, sc, names = res["cm"], res["scores"], res["label_names"]
        if sc["n_pixels"] == 0:
            raise QgsProcessingException("PREDICTION and REFERENCE share no labelled pixel: check that they "
                                         "overlap and use the same label codes.")
        per_iou = {n: (None if v != v else round(float(v), 6)) for n, v in zip(names, sc["per_class_iou"])}
        feedback.pushInfo(f"Overall accuracy {pct(sc['overall_accuracy'])}, mean IoU {iou(sc['mean_iou'])} "
                          f"over {sc['n_pixels']} pixels")
        for n, v in per_iou.items():
            feedback.pushInfo(f"  IoU {n}: {iou(v)}" if v is not None else f"  IoU {n}: - (in neither map)")
        outputs = {"OVERALL_ACCURACY": float(sc["overall_accuracy"]), "MEAN_IOU": float(sc["mean_iou"]),
                   "PER_CLASS_IOU": json.dumps(per_iou),
                   "CONFUSION_MATRIX": json.dumps({"labels": names, "rows_reference": cm.tolist()}),
                   "PIXELS": int(sc["n_pixels"])}
        extra = {"Prediction": pred, "Reference": ref}
        comparison = self._baselines(res, outputs, extra, feedback)
        self._write_reports(parameters, context, cm, names, extra, comparison, outputs)
        return outputs

    def _baselines(self, res, outputs, extra, feedback):
        """The baselines' scores into outputs (left out without CLASSES: not a -1 that reads like a score), the
        log and the report's details; returns the report's comparison rows."""

        sc = res["scores"]
        comparison = []
        for key, title in (("naive", "Naive baseline (each pixel's class -> its most likely label)"),
                           ("smooth", "Smooth baseline (the classes' compositions interpolated)")):
            b = res.get("baselines", {}).get(key)
            if b:  # without CLASSES these outputs are left out (not a -1 that reads like a score)
                outputs[f"{key.upper()}_ACCURACY"] = float(b["scores"]["overall_accuracy"])
                outputs[f"{key.upper()}_MEAN_IOU"] = float(b["scores"]["mean_iou"])
                comparison.append((title, b["scores"]["overall_accuracy"], b["scores"]["mean_iou"]))
        if "baselines" not in res:
            feedback.pushInfo(self.tr("No CLASSES given: the label-only baselines are not scored, so NAIVE_ACCURACY, "
                                      "NAIVE_MEAN_IOU, SMOOTH_ACCURACY and SMOOTH_MEAN_IOU are left out of the "
                                      "results. Give CLASSES (the coarse class layer the prediction was made from) "
                                      "to see what the prediction adds to them."))
        if "baselines" in res:
            best = max(outputs["NAIVE_ACCURACY"], outputs["SMOOTH_ACCURACY"])
            extra["Prediction against the better baseline"] = "{:+.1f} points of accuracy".format(
                100 * (sc["overall_accuracy"] - best))
            feedback.pushInfo("Baselines on the same pixels: naive {} (mean IoU {}), smooth {} (mean IoU {}); "
                              "prediction {:+.1f} points of accuracy against the better one.".format(
                                  pct(outputs["NAIVE_ACCURACY"]), iou(outputs["NAIVE_MEAN_IOU"]),
                                  pct(outputs["SMOOTH_ACCURACY"]), iou(outputs["SMOOTH_MEAN_IOU"]),
                                  100 * (sc["overall_accuracy"] - best)))
        return comparison

    def _write_reports(self, parameters, context, cm, names, extra, comparison, outputs):
        """REPORT (HTML) and CSV, when asked for, into outputs."""

        report = self.parameterAsFileOutput(parameters, "REPORT", context)
        csv_path = self.parameterAsFileOutput(parameters, "CSV", context)
        try:
            if report:
                write_text(report, report_html(cm, names, "Label map evaluation", extra, comparison),
                           "REPORT")
                outputs["REPORT"] = report
            if csv_path:
                write_text(csv_path, report_csv(cm, names), "CSV")
                outputs["CSV"] = csv_path
        except EpitomeError as e:
            raise QgsProcessingException(str(e))
