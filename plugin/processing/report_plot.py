"""Training report picture drawn with Qt (QPainter): loss, worst-quarter loss and usage per step.

Presentation only (the numbers come from the core's history). Used inside QGIS instead of
matplotlib, which crashed QGIS's Python at interpreter exit when loaded in-process.
"""

from qgis.PyQt.QtCore import QCoreApplication, QPointF, QRectF, Qt
from qgis.PyQt.QtGui import QColor, QFont, QImage, QPainter, QPen, QPolygonF


def _smooth(values, n=25):
    if len(values) < n:
        return list(values)
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc += v
        if i >= n:
            acc -= values[i - n]
        if i >= n - 1:
            out.append(acc / n)
    return out


def _panel(p, rect, steps, series, title, ylabel):
    p.setPen(QPen(QColor("#333333"), 1))
    p.drawRect(rect)
    p.setFont(QFont("Sans", 9, QFont.Bold))
    p.drawText(QRectF(rect.left(), rect.top() - 22, rect.width(), 18), Qt.AlignCenter, title)
    ys = [v for _, vals, _ in series for v in vals]
    if not ys or not steps:
        return
    lo, hi = min(ys), max(ys)
    if hi - lo < 1e-12:
        hi = lo + 1.0
    x0, x1 = steps[0], max(steps[-1], steps[0] + 1)
    p.setFont(QFont("Sans", 8))
    for frac in (0.0, 0.5, 1.0):
        y = rect.bottom() - frac * rect.height()
        p.drawText(QRectF(rect.left() - 62, y - 8, 58, 16), Qt.AlignRight | Qt.AlignVCenter, f"{lo + frac * (hi - lo):.3g}")
    p.drawText(QRectF(rect.left(), rect.bottom() + 4, rect.width(), 16), Qt.AlignCenter, f"step ({x0}..{x1})")
    p.save()
    p.translate(rect.left() - 70, rect.center().y())
    p.rotate(-90)
    p.drawText(QRectF(-rect.height() / 2, -14, rect.height(), 14), Qt.AlignCenter, ylabel)
    p.restore()
    ly = rect.top() + 6
    for name, vals, colour in series:
        off = len(steps) - len(vals)
        poly = QPolygonF([QPointF(rect.left() + (steps[off + i] - x0) / (x1 - x0) * rect.width(),
                                  rect.bottom() - (v - lo) / (hi - lo) * rect.height()) for i, v in enumerate(vals)])
        p.setPen(QPen(QColor(colour), 1.6))
        p.drawPolyline(poly)
        p.drawLine(QPointF(rect.right() - 120, ly + 6), QPointF(rect.right() - 100, ly + 6))
        p.setPen(QPen(QColor("#222222"), 1))
        p.drawText(QRectF(rect.right() - 96, ly - 2, 94, 16), Qt.AlignLeft | Qt.AlignVCenter, name)
        ly += 16


def _tr(text):
    return QCoreApplication.translate("ReportPlot", text)


def paint_history(p, width, height, history, title=""):
    """The two panels (loss and worst-quarter loss; usage) at the painter's own pixel size, so the text
    is never squeezed: side by side when the area is wide, one above the other when it is narrow (a
    dock). Shared by the report PNG and the live training monitor."""
    steps = [int(s) for s in history.get("step", [])]
    panels = [
        ([(_tr("mean loss"), _smooth(history.get("loss", [])), "#1f77b4"),
          (_tr("worst quarter"), _smooth(history.get("worst_loss", [])), "#d62728")],
         _tr("Loss (nats per value, lower is better)"), _tr("nats per value")),
        ([(_tr("usage"), [100 * v for v in _smooth(history.get("usage", []))], "#2ca02c")],
         _tr("Windows that are a best window in the batch"), _tr("% of windows")),
    ]
    p.save()
    p.setRenderHint(QPainter.Antialiasing)
    head = 0.0
    if title:
        head = 30.0
        p.setFont(QFont("Sans", 11, QFont.Bold))
        p.drawText(QRectF(0, 4, width, 22), Qt.AlignCenter, title)
    left, right, top, bottom = 90, 12, 28, 24  # tick labels and axis title; panel title; step label
    h = height - head
    if width >= 1.6 * h:
        cw, ch, cells = width / 2.0, float(h), [(0.0, head), (width / 2.0, head)]
    else:
        cw, ch, cells = float(width), h / 2.0, [(0.0, head), (0.0, head + h / 2.0)]
    for (x, y), (series, ptitle, ylabel) in zip(cells, panels):
        rect = QRectF(x + left, y + top, max(40.0, cw - left - right), max(30.0, ch - top - bottom))
        _panel(p, rect, steps, series, ptitle, ylabel)
    p.restore()


def render_history_png(history, path, title="Epitome training"):
    img = QImage(1000, 380, QImage.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    paint_history(p, 1000, 380, history, title)
    p.end()
    return bool(img.save(path, "PNG"))
