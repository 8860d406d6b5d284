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


# What the curves mean, in plain words (the dock shows it under the curves, the report PNG at its foot).
def explanation():
    return tr("Loss: how badly the epitome explains the imagery's pixel values - lower is better. It is the average "
              "negative log-likelihood per pixel value (in nats); values below zero are normal, since a likelihood "
              "density can exceed 1. Hardest quarter: the same for the quarter of each batch explained worst. "
              "Epitome in use: the share of the epitome's positions that best matched at least one patch of the "
              "step - at most the patches per step divided by the positions; if it stays far below that, parts of "
              "the epitome are not learning.")


def panels(history):
    """[(series, title, y-axis title)] of the two panels: the loss curves, the share in use."""
    return [
        ([(tr("all patches"), _smooth(history.get("loss", [])), "#1f77b4"),
          (tr("hardest quarter"), _smooth(history.get("worst_loss", [])), "#d62728")],
         tr("Loss - lower is better"), tr("loss")),
        ([(tr("in use"), [100 * v for v in _smooth(history.get("usage", []))], "#2ca02c")],
         tr("Epitome in use (% of its positions)"), tr("% in use")),
    ]


TICK_FONT, AXIS_FONT = 8, 8


def panel_layout(cell, n_series, tick_width=None):
    """The rectangles of one panel inside `cell` (a QRectF), none outside it and none over another: the title on
    top, the legend under it (never over the curves), the y-axis title and the tick labels at the left, the
    x-axis label at the bottom, the plot in the rest. Returns a dict of QRectF."""
    if tick_width is None:
        tick_width = QFontMetricsF(QFont("Sans", TICK_FONT)).horizontalAdvance("-0.000e-00")
    title_h, legend_h, xlabel_h, ylabel_w, gap = 20.0, 16.0, 18.0, 16.0, 4.0
    left = cell.left() + 2 + ylabel_w + gap + tick_width + gap
    top = cell.top() + title_h + (legend_h if n_series else 0.0) + gap
    right = cell.right() - 10
    bottom = cell.bottom() - xlabel_h - gap
    plot = QRectF(left, top, max(20.0, right - left), max(20.0, bottom - top))
    return {"title": QRectF(cell.left() + 4, cell.top() + 2, cell.width() - 8, title_h - 2),
            "legend": QRectF(plot.left(), cell.top() + title_h, plot.width(), legend_h if n_series else 0.0),
            "ylabel": QRectF(cell.left() + 2, plot.top(), ylabel_w, plot.height()),
            "ticks": QRectF(cell.left() + 2 + ylabel_w + gap, plot.top() - 8, tick_width, plot.height() + 16),
            "xlabel": QRectF(plot.left(), plot.bottom() + gap, plot.width(), xlabel_h),
            "plot": plot}


def _tick(v):
    return "{:.3g}".format(v)


def _panel(p, cell, steps, series, title, ylabel):
    """One framed plot in `cell`, laid out by panel_layout."""
    box = panel_layout(cell, len(series))
    rect = box["plot"]
    p.setPen(QPen(QColor("#333333"), 1))
    p.drawRect(rect)
    fitted_text(p, box["title"], title, 9, bold=True)
    fitted_text(p, box["xlabel"], tr("training step ({}..{})").format(steps[0] if steps else 0,
                                                                      steps[-1] if steps else 0), AXIS_FONT)
    p.save()  # the y-axis title, turned, inside its own column
    p.translate(box["ylabel"].center())
    p.rotate(-90)
    fitted_text(p, QRectF(-box["ylabel"].height() / 2, -box["ylabel"].width() / 2, box["ylabel"].height(),
                          box["ylabel"].width()), ylabel, AXIS_FONT)
    p.restore()
    x = box["legend"].left()
    for name, vals, colour in series:  # the legend: one row above the plot
        p.setPen(QPen(QColor(colour), 2))
        p.drawLine(QPointF(x, box["legend"].center().y()), QPointF(x + 16, box["legend"].center().y()))
        p.setPen(QPen(QColor("#222222"), 1))
        p.setFont(QFont("Sans", AXIS_FONT))
        w = QFontMetricsF(p.font()).horizontalAdvance(name) + 4
        p.drawText(QRectF(x + 20, box["legend"].top(), w, box["legend"].height()), Qt.AlignLeft | Qt.AlignVCenter,
                   name)
        x += 20 + w + 12
    ys = _finite([v for _, vals, _ in series for v in vals])
    if not ys or not steps:
        return
    lo, hi = min(ys), max(ys)
    if hi - lo < 1e-12:
        hi = lo + 1.0
    pad = 0.04 * (hi - lo)  # a little room: no curve runs along (or past) the frame
    lo, hi = lo - pad, hi + pad
    x0, x1 = steps[0], max(steps[-1], steps[0] + 1)
    p.setFont(QFont("Sans", TICK_FONT))
    p.setPen(QPen(QColor("#333333"), 1))
    for frac in (0.0, 0.5, 1.0):
        y = rect.bottom() - frac * rect.height()
        p.drawText(QRectF(box["ticks"].left(), y - 8, box["ticks"].width(), 16), Qt.AlignRight | Qt.AlignVCenter,
                   _tick(lo + frac * (hi - lo)))
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


def history_cells(width, height, head=0.0, foot=0.0):
    """The panels' cells: side by side when the area is wide, one above the other when it is narrow (a dock)."""
    h = height - head - foot
    if width >= 1.6 * h and width >= 640:
        return [QRectF(0.0, head, width / 2.0, h), QRectF(width / 2.0, head, width / 2.0, h)]
    return [QRectF(0.0, head, float(width), h / 2.0), QRectF(0.0, head + h / 2.0, float(width), h / 2.0)]


MIN_PANEL_HEIGHT = 110  # title, legend, a readable plot and the step axis


def paint_history(p, width, height, history, title="", foot=0.0):
    """The two panels (loss and hardest-quarter loss; the share in use) at the painter's own pixel size, so the
    text is never squeezed. Shared by the report PNG and the live training monitor. foot: room left at the bottom
    (the report's explanation). A dock too short for two panels one above the other shows the loss alone (its
    status line gives the share in use)."""
    steps = [int(s) for s in history.get("step", [])]
    cells = history_cells(width, height, 30.0 if title else 0.0, foot)
    shown = panels(history)
    if cells[0].width() == width and cells[0].height() < MIN_PANEL_HEIGHT:
        cells, shown = [QRectF(0.0, cells[0].top(), float(width), cells[0].height() * 2)], shown[:1]
    p.save()
    p.setRenderHint(QPainter.Antialiasing)
    if title:
        p.setFont(QFont("Sans", 11, QFont.Bold))
        p.drawText(QRectF(0, 4, width, 22), Qt.AlignCenter, title)
    for cell, (series, ptitle, ylabel) in zip(cells, shown):
        _panel(p, cell, steps, series, ptitle, ylabel)
    p.restore()


def render_history_png(history, path, title="Epitome training"):
    w, h, foot = 1000, 440, 60.0
    img = QImage(w, h, QImage.Format_ARGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    paint_history(p, w, h, history, title, foot=foot)
    p.setPen(QColor("#444444"))
    p.setFont(QFont("Sans", 8))
    p.drawText(QRectF(12, h - foot + 4, w - 24, foot - 8), Qt.TextWordWrap | Qt.AlignLeft | Qt.AlignTop, explanation())
    p.end()
    return bool(img.save(path, "PNG"))
