"""Confusion matrix, scores and reports (algorithms/metrics.py), no QGIS."""

import csv
import io
import math

import numpy as np
import pytest

from algorithms.evaluate.metrics import ConfusionAccumulator, confusion_matrix, report_csv, report_html, scores


def naive_cm(pred, ref, n):
    cm = np.zeros((n, n), np.int64)
    for p, r in zip(np.ravel(pred), np.ravel(ref)):
        if 1 <= p <= n and 1 <= r <= n:
            cm[r - 1, p - 1] += 1
    return cm


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.int32, np.int64, np.float32])
def test_matches_naive_loop(dtype):
    rng = np.random.default_rng(1)
    pred = rng.integers(0, 7, (37, 53)).astype(dtype)   # includes 0 and out-of-range 5, 6
    ref = rng.integers(0, 7, (37, 53)).astype(dtype)
    cm = confusion_matrix(pred, ref, 4)
    assert cm.dtype == np.int64 and cm.shape == (4, 4)
    np.testing.assert_array_equal(cm, naive_cm(pred.astype(int), ref.astype(int), 4))


def test_mixed_dtypes_and_large_codes():
    rng = np.random.default_rng(2)
    pred = rng.integers(0, 300, 5000).astype(np.uint16)
    ref = rng.integers(0, 300, 5000).astype(np.int32)
    np.testing.assert_array_equal(confusion_matrix(pred, ref, 260), naive_cm(pred, ref, 260))
    p8 = np.array([255, 1, 2, 0], np.uint8)
    r8 = np.array([1, 255, 2, 2], np.uint8)
    np.testing.assert_array_equal(confusion_matrix(p8, r8, 2), [[0, 0], [0, 1]])


def test_rows_are_reference_columns_prediction():
    ref = np.array([1, 1, 1, 2])
    pred = np.array([1, 2, 2, 2])
    np.testing.assert_array_equal(confusion_matrix(pred, ref, 2), [[1, 2], [0, 1]])


def test_two_class_by_hand():
    # reference: 6 x label 1, 4 x label 2; prediction gets 5 of label 1 right, 1 wrong,
    # 3 of label 2 right, 1 wrong; plus nodata pixels that must be ignored.
    ref = np.array([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0, 1, 0])
    pred = np.array([1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 0, 0])
    cm = confusion_matrix(pred, ref, 2)
    np.testing.assert_array_equal(cm, [[5, 1], [1, 3]])
    s = scores(cm)
    assert s["n_pixels"] == 10
    assert s["overall_accuracy"] == pytest.approx(0.8)
    # IoU 1 = 5 / (5 + 1 + 1) ; IoU 2 = 3 / (3 + 1 + 1)
    assert s["per_class_iou"] == pytest.approx([5 / 7, 3 / 5])
    assert s["mean_iou"] == pytest.approx((5 / 7 + 3 / 5) / 2)
    assert s["per_class_precision"] == pytest.approx([5 / 6, 3 / 4])
    assert s["per_class_recall"] == pytest.approx([5 / 6, 3 / 4])
    assert s["per_class_reference"] == [6, 4]
    assert s["per_class_predicted"] == [6, 4]


def test_absent_labels():
    # label 3 absent everywhere -> NaN IoU; label 4 only predicted -> IoU 0, not in the mean
    cm = np.array([[4, 0, 0, 1],
                   [0, 5, 0, 0],
                   [0, 0, 0, 0],
                   [0, 0, 0, 0]])
    s = scores(cm)
    iou = s["per_class_iou"]
    assert iou[0] == pytest.approx(0.8) and iou[1] == 1.0
    assert math.isnan(iou[2])
    assert iou[3] == 0.0
    assert s["mean_iou"] == pytest.approx(0.9)           # labels 1 and 2 occur in the reference
    assert math.isnan(s["per_class_recall"][3]) and s["per_class_precision"][3] == 0.0
    assert math.isnan(s["per_class_precision"][2])


def test_empty():
    cm = confusion_matrix(np.zeros((4, 4), np.uint8), np.ones((4, 4), np.uint8), 3)
    assert cm.sum() == 0
    s = scores(cm)
    assert s["n_pixels"] == 0 and math.isnan(s["overall_accuracy"]) and math.isnan(s["mean_iou"])
    assert confusion_matrix(np.zeros(0, np.int64), np.zeros(0, np.int64), 2).shape == (2, 2)


def test_shape_mismatch():
    with pytest.raises(ValueError):
        confusion_matrix(np.zeros(3, int), np.zeros(4, int), 2)


def test_accumulation_equals_one_shot():
    rng = np.random.default_rng(3)
    pred = rng.integers(0, 5, (300, 211)).astype(np.uint8)
    ref = rng.integers(0, 5, (300, 211)).astype(np.uint8)
    acc = ConfusionAccumulator(4)
    for y in range(0, 300, 64):
        acc.add(pred[y:y + 64], ref[y:y + 64])
    np.testing.assert_array_equal(acc.matrix, confusion_matrix(pred, ref, 4))
    assert acc.n_pixels == int(((pred > 0) & (ref > 0)).sum())


def test_large_input_chunked():
    # more pixels than one bincount chunk, both code paths
    rng = np.random.default_rng(4)
    pred = rng.integers(0, 4, 5_000_000).astype(np.uint8)
    ref = rng.integers(0, 4, 5_000_000).astype(np.uint8)
    a = confusion_matrix(pred, ref, 3)
    b = confusion_matrix(pred.astype(np.int64), ref.astype(np.int64), 3)
    np.testing.assert_array_equal(a, b)
    assert a.sum() == ((pred > 0) & (ref > 0)).sum()
    np.testing.assert_array_equal(a[0], [((ref == 1) & (pred == k)).sum() for k in (1, 2, 3)])


def test_reports():
    cm = np.array([[5, 1, 0], [1, 3, 0], [0, 0, 0]])
    names = ["water", "forest <&>", "field"]
    page = report_html(cm, names, "Test report", {"Prediction": "/tmp/a.tif"})
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "Test report" in page and "80.0%" in page and "forest &lt;&amp;&gt;" in page
    assert "/tmp/a.tif" in page
    text = report_csv(cm, names)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["metric", "value"]
    assert float(dict(r for r in rows[1:4])["overall_accuracy"]) == pytest.approx(0.8)
    hdr = rows.index(["code", "label", "reference_pixels", "predicted_pixels", "precision", "recall", "iou"])
    assert rows[hdr + 1][:4] == ["1", "water", "6", "6"]
    assert float(rows[hdr + 1][6]) == pytest.approx(5 / 7)
    assert rows[hdr + 3][6] == ""                        # field absent: IoU undefined
    mat = rows.index(["reference\\prediction"] + names)
    assert rows[mat + 1] == ["water", "5", "1", "0"]
    assert len(rows) == mat + 4
    # fewer names than labels: filled in
    assert "label 3" in report_csv(cm, ["a", "b"])


def test_one_number_format_in_the_report():
    """Accuracy as a percentage, IoU and mean IoU as 0..1 with three decimals - in the summary, the baselines'
    rows and the per-label table - as the wizard and the log show them."""
    from algorithms.evaluate.metrics import format_accuracy, format_iou, scores

    cm = np.array([[5, 1, 0], [1, 3, 0], [0, 0, 0]])
    s = scores(cm)
    page = report_html(cm, ["water", "forest", "field"], "r", comparison=[("Naive baseline", 0.85, 0.449)])
    summary = page[page.index("<h2>Summary</h2>"):page.index("<h2>Per label</h2>")]
    assert format_accuracy(s["overall_accuracy"]) == "80.0%" and "80.0%" in summary
    assert format_iou(s["mean_iou"]) in summary and "%.1f%%" % (100 * s["mean_iou"]) not in page
    assert "<th class=\"name\">Naive baseline</th><td>85.0%</td><td>0.449</td>" in summary
    per_label = page[page.index("<h2>Per label</h2>"):]
    assert "0.714" in per_label and "71.4%" not in per_label  # water's IoU 5/7
    assert format_iou(float("nan")) == "-"
