"""Accuracy metrics for label maps: confusion matrix, scores, HTML and CSV reports.

Pure numpy. Label maps hold codes 1..L (L = ``n_labels``); 0 is nodata. A pixel takes part in the
evaluation only when both the prediction and the reference hold a valid code (1..L).

Confusion matrix convention: ``cm[r, p]`` counts pixels whose reference label is ``r + 1`` and whose
predicted label is ``p + 1`` (rows = reference, columns = prediction).

Large rasters are evaluated block by block with :class:`ConfusionAccumulator`::

    acc = ConfusionAccumulator(n_labels=4)
    for pred_block, ref_block in blocks:
        acc.add(pred_block, ref_block)
    s = scores(acc.matrix)
"""

import csv
import html
import io
import math
from typing import List

import numpy as np

_CHUNK = 1 << 21  # pixels per bincount pass: keeps the temporaries in cache


def confusion_matrix(pred, ref, n_labels):
    """Confusion matrix of a predicted label map against a reference.

    pred, ref: integer arrays of the same shape, codes 1..n_labels, 0 (or anything out of range) =
    ignored. Returns int64 [n_labels, n_labels], rows = reference, columns = prediction.
    Invalid codes are mapped to 0, then one ``np.bincount`` over ``ref * (n + 1) + pred`` per chunk
    of 2M pixels (row 0 and column 0 are dropped): about 0.6 s for 1e8 uint8 pixels, 1.5 s for
    wider integer types.
    """
    n = int(n_labels)
    if n < 1:
        raise ValueError("n_labels must be at least 1, got %r" % (n_labels,))
    pred = np.asarray(pred)
    ref = np.asarray(ref)
    if pred.shape != ref.shape:
        raise ValueError("prediction and reference shapes differ: %s vs %s" % (pred.shape, ref.shape))
    pred = pred.ravel()
    ref = ref.ravel()
    m = n + 1
    total = np.zeros(m * m, dtype=np.int64)
    lut = None
    if pred.dtype == ref.dtype and pred.dtype in (np.uint8, np.uint16) and m * m < 65536:
        # small unsigned codes: a lookup table maps invalid codes to 0, in uint16
        lut = np.zeros(256 if pred.dtype == np.uint8 else 65536, dtype=np.uint16)
        lut[1:min(n, lut.size - 1) + 1] = np.arange(1, min(n, lut.size - 1) + 1, dtype=np.uint16)
    for s in range(0, pred.size, _CHUNK):
        p = pred[s:s + _CHUNK]
        r = ref[s:s + _CHUNK]
        if lut is not None:
            code = lut[r] * np.uint16(m) + lut[p]
        else:
            p = _valid_codes(p, n)
            r = _valid_codes(r, n)
            code = r * m + p
        total += np.bincount(code, minlength=m * m)
    return total.reshape(m, m)[1:, 1:].copy()


def _valid_codes(a, n):
    """int64 copy of a label chunk with codes outside 1..n (and NaN) set to 0."""
    if not np.issubdtype(a.dtype, np.integer):
        a = np.nan_to_num(np.rint(a.astype(np.float64)), nan=0.0, posinf=0.0, neginf=0.0)
        a = np.clip(a, -1, n + 1)
    a = a.astype(np.int64)
    a[(a < 1) | (a > n)] = 0
    return a


class ConfusionAccumulator:
    """Sums confusion matrices over blocks; ``.matrix`` equals the one-shot matrix of all blocks."""

    def __init__(self, n_labels):
        self.n_labels = int(n_labels)
        self.matrix = np.zeros((self.n_labels, self.n_labels), dtype=np.int64)

    def add(self, pred, ref):
        """Add one block (pred, ref: arrays of the same shape). Returns self."""
        self.matrix += confusion_matrix(pred, ref, self.n_labels)
        return self

    @property
    def n_pixels(self):
        return int(self.matrix.sum())


def _ratio(num, den):
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(num.shape, np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def scores(cm):
    """Summary scores of a confusion matrix (rows = reference, columns = prediction).

    Returns a dict:
      overall_accuracy     trace / total (NaN when the matrix is empty), 0..1
      per_class_iou        list, TP / (TP + FP + FN); NaN for a label absent from both reference
                           and prediction
      mean_iou             mean of per_class_iou over the labels that occur in the reference
                           (a label only predicted, never in the reference, counts in its IoU = 0
                           but not in this mean; NaN when the reference is empty)
      per_class_precision  list, TP / predicted count (NaN when the label is never predicted)
      per_class_recall     list, TP / reference count (NaN when the label is absent from the reference)
      per_class_reference  list of int, reference pixel count per label
      per_class_predicted  list of int, predicted pixel count per label
      n_pixels             int, pixels evaluated
    """
    cm = np.asarray(cm, dtype=np.int64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError("confusion matrix must be square, got shape %s" % (cm.shape,))
    tp = np.diag(cm).astype(np.float64)
    ref_count = cm.sum(axis=1)
    pred_count = cm.sum(axis=0)
    total = int(cm.sum())
    union = ref_count + pred_count - tp
    iou = _ratio(tp, union)
    in_ref = ref_count > 0
    mean_iou = float(np.mean(iou[in_ref])) if in_ref.any() else float("nan")
    oa = float(tp.sum() / total) if total > 0 else float("nan")
    return {
        "overall_accuracy": oa,
        "per_class_iou": [float(v) for v in iou],
        "mean_iou": mean_iou,
        "per_class_precision": [float(v) for v in _ratio(tp, pred_count)],
        "per_class_recall": [float(v) for v in _ratio(tp, ref_count)],
        "per_class_reference": [int(v) for v in ref_count],
        "per_class_predicted": [int(v) for v in pred_count],
        "n_pixels": total,
    }


def _label_names(cm, label_names):
    n = np.asarray(cm).shape[0]
    names = list(label_names) if label_names is not None else []
    if len(names) < n:
        names += ["label %d" % (i + 1) for i in range(len(names), n)]
    return [str(x) for x in names[:n]]


def _fmt(v, digits=4):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return "%.*f" % (digits, v)
    return str(v)


def _pct(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "&ndash;"
    return format_accuracy(v)


# One number format wherever scores are shown (report, log, wizard, demo): accuracies (and precision, recall) as a
# percentage with one decimal, IoU and mean IoU as a fraction from 0 to 1 with three decimals.
def format_accuracy(v) -> str:
    """0.4971 -> '49.7%'."""
    return "%.1f%%" % (100.0 * v)


def format_iou(v) -> str:
    """0.4971 -> '0.497'; '-' when undefined (a label in neither map)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return "%.3f" % v


def _iou(v):
    return "&ndash;" if v is None or (isinstance(v, float) and math.isnan(v)) else format_iou(v)


_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 24px;
       color: #222; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th { background: #f2f2f2; }
td.name, th.name { text-align: left; }
.summary td { font-size: 1.1em; }
.diag { font-weight: bold; }
.note { color: #666; font-size: 0.9em; }
"""


def report_html(cm, label_names, title, extra=None, comparison=None):
    """A self-contained HTML accuracy report.

    cm: confusion matrix (rows = reference, columns = prediction); label_names: names of codes 1..L;
    title: page title; extra: optional dict of further items (e.g. inputs, settings, timings) shown
    in a table under the summary; comparison: optional [(name, accuracy, mean IoU)] of other maps on the same
    pixels (the label-only baselines), shown as rows of the summary in the same formats.
    """
    cm = np.asarray(cm, dtype=np.int64)
    names = _label_names(cm, label_names)
    s = scores(cm)
    esc = html.escape
    out = []
    out.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">")
    out.append("<title>%s</title><style>%s</style></head><body>" % (esc(str(title)), _CSS))
    out.append("<h1>%s</h1>" % esc(str(title)))

    out.append("<h2>Summary</h2><table class=\"summary\">")
    out.append("<tr><th class=\"name\"></th><th>Overall accuracy</th><th>Mean IoU</th></tr>")
    out.append("<tr><th class=\"name\">This map</th><td>%s</td><td>%s</td></tr>"
               % (_pct(s["overall_accuracy"]), _iou(s["mean_iou"])))
    for name, acc, miou in comparison or ():
        out.append("<tr><th class=\"name\">%s</th><td>%s</td><td>%s</td></tr>"
                   % (esc(str(name)), _pct(acc), _iou(miou)))
    out.append("</table>")
    out.append("<p>Pixels evaluated: %s</p>" % format(s["n_pixels"], ","))
    out.append("<p class=\"note\">Overall accuracy: the share of pixels with the right label. IoU of a label: the "
               "pixels both maps give it divided by the pixels either map gives it, from 0 to 1 (higher is better); "
               "the mean IoU averages it over the labels that occur in the reference. Pixels where the prediction or "
               "the reference is nodata are not counted.</p>")

    if extra:
        out.append("<h2>Details</h2><table>")
        for k, v in extra.items():
            out.append("<tr><th class=\"name\">%s</th><td class=\"name\">%s</td></tr>"
                       % (esc(str(k)), esc(_fmt(v) if isinstance(v, float) else str(v))))
        out.append("</table>")

    out += _per_label_rows(s, names) + _confusion_rows(cm, names)
    out.append("</body></html>\n")
    return "\n".join(out)


def _per_label_rows(s, names) -> List[str]:
    """The report's per-label table: reference and predicted pixels, precision, recall, IoU."""
    esc = html.escape
    out = []
    out.append("<h2>Per label</h2><table><tr><th>Code</th><th class=\"name\">Label</th>"
               "<th>Reference pixels</th><th>Predicted pixels</th><th>Precision</th>"
               "<th>Recall</th><th>IoU</th></tr>")
    for i, name in enumerate(names):
        out.append("<tr><td>%d</td><td class=\"name\">%s</td><td>%s</td><td>%s</td>"
                   "<td>%s</td><td>%s</td><td>%s</td></tr>"
                   % (i + 1, esc(name), format(s["per_class_reference"][i], ","),
                      format(s["per_class_predicted"][i], ","), _pct(s["per_class_precision"][i]),
                      _pct(s["per_class_recall"][i]), _iou(s["per_class_iou"][i])))
    out.append("</table>")
    return out


def _confusion_rows(cm, names) -> List[str]:
    """The report's confusion matrix with row and column totals."""
    esc = html.escape
    out = []
    out.append("<h2>Confusion matrix</h2><p class=\"note\">Rows: reference; columns: prediction "
               "(pixel counts).</p><table><tr><th class=\"name\">reference \\ prediction</th>")
    for name in names:
        out.append("<th>%s</th>" % esc(name))
    out.append("<th>Total</th></tr>")
    for i, name in enumerate(names):
        out.append("<tr><th class=\"name\">%s</th>" % esc(name))
        for j in range(len(names)):
            cls = " class=\"diag\"" if i == j else ""
            out.append("<td%s>%s</td>" % (cls, format(int(cm[i, j]), ",")))
        out.append("<td>%s</td></tr>" % format(int(cm[i].sum()), ","))
    out.append("<tr><th class=\"name\">Total</th>")
    for j in range(len(names)):
        out.append("<td>%s</td>" % format(int(cm[:, j].sum()), ","))
    out.append("<td>%s</td></tr></table>" % format(int(cm.sum()), ","))
    return out


def report_csv(cm, label_names):
    """CSV report: a summary, a per-label section and the confusion matrix, separated by blank lines.

    Per-label section header: code,label,reference_pixels,predicted_pixels,precision,recall,iou
    (fractions 0..1, empty where undefined). Matrix section: header ``reference\\prediction,<names>``,
    one row per reference label.
    """
    cm = np.asarray(cm, dtype=np.int64)
    names = _label_names(cm, label_names)
    s = scores(cm)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["metric", "value"])
    w.writerow(["overall_accuracy", _fmt(s["overall_accuracy"], 6)])
    w.writerow(["mean_iou", _fmt(s["mean_iou"], 6)])
    w.writerow(["n_pixels", s["n_pixels"]])
    w.writerow([])
    w.writerow(["code", "label", "reference_pixels", "predicted_pixels", "precision", "recall", "iou"])
    for i, name in enumerate(names):
        w.writerow([i + 1, name, s["per_class_reference"][i], s["per_class_predicted"][i],
                    _fmt(s["per_class_precision"][i], 6), _fmt(s["per_class_recall"][i], 6),
                    _fmt(s["per_class_iou"][i], 6)])
    w.writerow([])
    w.writerow(["reference\\prediction"] + names)
    for i, name in enumerate(names):
        w.writerow([name] + [int(v) for v in cm[i]])
    return buf.getvalue()
