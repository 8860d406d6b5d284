"""Training report picture drawn with Qt (QPainter): loss, worst-quarter loss and usage per step.

Presentation only (the numbers come from the core's history). Used inside QGIS instead of
matplotlib, which crashed QGIS's Python at interpreter exit when loaded in-process.
"""

from qgis.PyQt.QtCore import QPointF, QRectF, Qt
from qgis.PyQt.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen, QPolygonF

from ..i18n import tr


def _smooth(values, n=25):
    """Running mean over the last n values, as long as the input: the first points average what there is so
    far, so a curve starts at the first step (not n steps in)."""
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc += v
        if i >= n:
            acc -= values[i - n]
        out.append(acc / min(i + 1, n))
    return out


def _finite(values):
    return [v for v in values if v == v and abs(v) != float("inf")]


def fitted_text(p, rect, text, size, bold=False, flags=Qt.AlignCenter):
    """Draw text in rect at the largest font size <= size (down to 7 pt) that fits its width, elided ('…')
    when even that is too wide: never clipped on both sides."""
    font = QFont("Sans", size, QFont.Bold if bold else QFont.Normal)
    while size > 7 and QFontMetricsF(font).horizontalAdvance(text) > rect.width():
        size -= 1
        font.setPointSize(size)
    p.setFont(font)
    shown = QFontMetricsF(font).elidedText(text, Qt.ElideRight, rect.width())
    p.drawText(rect, flags, shown)


def _panel(p, rect, cell, steps, series, title, ylabel):
    """One framed plot in `rect`; its title over the whole `cell` width (so a narrow dock does not cut it)."""
    p.setPen(QPen(QColor("#333333"), 1))
    p.drawRect(rect)
    over_plot = QFontMetricsF(QFont("Sans", 9, QFont.Bold)).horizontalAdvance(title) <= rect.width()
    span = (rect.left(), rect.width()) if over_plot else (cell.left() + 4, cell.width() - 8)
    fitted_text(p, QRectF(span[0], rect.top() - 22, span[1], 18), title, 9, bold=True)
    ys = _finite([v for _, vals, _ in series for v in vals])
    if not ys or not steps:
        return
    lo, hi = min(ys), max(ys)
    if hi - lo < 1e-12:
        hi = lo + 1.0
    pad = 0.04 * (hi - lo)  # a little room: no curve runs along (or past) the frame
    lo, hi = lo - pad, hi + pad
    x0, x1 = steps[0], max(steps[-1], steps[0] + 1)
    p.setFont(QFont("Sans", 8))
    for frac in (0.0, 0.5, 1.0):
        y = rect.bottom() - frac * rect.height()
        p.drawText(QRectF(rect.left() - 62, y - 8, 58, 16), Qt.AlignRight | Qt.AlignVCenter,
                   "{:.3g}".format(lo + frac * (hi - lo)))
    fitted_text(p, QRectF(rect.left(), rect.bottom() + 4, rect.width(), 16), tr("step ({}..{})").format(x0, x1), 8)
    if rect.height() >= 70:  # the axis title, where it fits (the panel title gives the unit too)
        p.save()
        p.translate(rect.left() - 70, rect.center().y())
        p.rotate(-90)
        fitted_text(p, QRectF(-rect.height() / 2, -14, rect.height(), 14), ylabel, 8)
        p.restore()
    p.save()
    p.setClipRect(rect)
    for name, vals, colour in series:
        off = len(steps) - len(vals)
        pts = [QPointF(rect.left() + (steps[off + i] - x0) / (x1 - x0) * rect.width(),
                       rect.bottom() - (v - lo) / (hi - lo) * rect.height())
               for i, v in enumerate(vals) if off + i >= 0 and v == v and abs(v) != float("inf")]
        p.setPen(QPen(QColor(colour), 1.6))
        p.drawPolyline(QPolygonF(pts))
    p.restore()
    if rect.height() < 70 or rect.width() < 180:
        return  # too small for a legend: the title names the curves
    ly = rect.top() + 6
    for name, vals, colour in series:
        p.setPen(QPen(QColor(colour), 1.6))
        p.drawLine(QPointF(rect.right() - 120, ly + 6), QPointF(rect.right() - 100, ly + 6))
        p.setPen(QPen(QColor("#222222"), 1))
        p.setFont(QFont("Sans", 8))
        p.drawText(QRectF(rect.right() - 96, ly - 2, 94, 16), Qt.AlignLeft | Qt.AlignVCenter, name)
        ly += 16




def paint_history(p, width, height, history, title=""):
    """The two panels (loss and worst-quarter loss; usage) at the painter's own pixel size, so the text
    is never squeezed: side by side when the area is wide, one above the other when it is narrow (a
    dock). Shared by the report PNG and the live training monitor."""
    steps = [int(s) for s in history.get("step", [])]
    panels = [
        ([(tr("mean loss"), _smooth(history.get("loss", [])), "#1f77b4"),
          (tr("worst quarter"), _smooth(history.get("worst_loss", [])), "#d62728")],
         tr("Loss (nats per value, lower is better)"), tr("nats per value")),
        ([(tr("usage"), [100 * v for v in _smooth(history.get("usage", []))], "#2ca02c")],
         tr("Windows that are a best window in the batch"), tr("% of windows")),
    ]
    p.save()
    p.setRenderHint(QPainter.Antialiasing)
    head = 0.0
    if title:
        head = 30.0
        p.setFont(QFont("Sans", 11, QFont.Bold))
        p.drawText(QRectF(0, 4, width, 22), Qt.AlignCenter, title)
    right, top, bottom = 12, 28, 24  # panel title; step label
    h = height - head
    if width >= 1.6 * h and width >= 640:
        cw, ch, cells = width / 2.0, float(h), [(0.0, head), (width / 2.0, head)]
    else:  # a dock: one above the other, so each panel keeps a readable width
        cw, ch, cells = float(width), h / 2.0, [(0.0, head), (0.0, head + h / 2.0)]
    left = 90 if cw >= 400 else 76  # tick labels and the axis title
    for (x, y), (series, ptitle, ylabel) in zip(cells, panels):
        rect = QRectF(x + left, y + top, max(40.0, cw - left - right), max(30.0, ch - top - bottom))
        _panel(p, rect, QRectF(x, y, cw, ch), steps, series, ptitle, ylabel)
    p.restore()


def render_history_png(history, path, title="Epitome training"):
    img = QImage(1000, 380, QImage.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    paint_history(p, 1000, 380, history, title)
    p.end()
    return bool(img.save(path, "PNG"))
