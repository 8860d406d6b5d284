"""Training monitor: a dock that follows running `epitome:trainepitome` runs live.

Whatever started the training (the toolbox dialog, a model, this dock's own button), the algorithm
announces itself on the training hub; the dock shows the loss and usage curves as they grow, the
epitome (means of the first epitome, RGB from the first three bands) refreshed every few steps, the
step count, and Stop training: the run ends after its current step as a normal run, the model trained
so far saved (give it back as INIT to continue). The dock stays small (it fits beside the Processing
toolbox on a 1000 px tall screen): Stop sits in the top row, the plot and the epitome share the rest.
"""

import os
import time

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from qgis.PyQt.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from .. import ICONS
from ..i18n import tr
from ..processing.report_plot import explanation, paint_history
from ..processing.training_hub import hub as default_hub


def duration(seconds):
    """'45 s', '3 min 05 s', '1 h 02 min' - for people."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return tr("{} s").format(seconds)
    if seconds < 3600:
        return tr("{} min {:02d} s").format(seconds // 60, seconds % 60)
    return tr("{} h {:02d} min").format(seconds // 3600, (seconds % 3600) // 60)


def time_text(elapsed, step, total):
    """'2 min 10 s so far, about 5 min 40 s left': the time left at the pace of the steps so far."""
    text = tr("{} so far").format(duration(elapsed))
    if 0 < step < total:
        text += tr(", about {} left").format(duration(elapsed / step * (total - step)))
    return text


class HistoryPlot(QWidget):
    """The report's two panels (loss, usage), repainted as the history grows."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.history = {}
        self.setMinimumSize(240, 120)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def set_history(self, history):
        self.history = history or {}
        self.update()

    def paintEvent(self, event):  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("white"))
        if self.history.get("step"):
            paint_history(p, self.width(), self.height(), self.history)
        else:
            p.setPen(QColor("#666666"))
            p.drawText(self.rect(), Qt.AlignCenter, tr("The curves appear when a training starts."))
        p.end()


def preview_pixmap(rgb):
    """uint8 [N, N, 3] -> QPixmap (the array is copied)."""
    h, w = rgb.shape[:2]
    data = bytes(rgb.astype("uint8").tobytes())
    img = QImage(data, w, h, 3 * w, QImage.Format_RGB888).copy()
    return QPixmap.fromImage(img)


class TrainingMonitorDock(QDockWidget):
    def __init__(self, parent=None, hub=None, open_training_dialog=None, clock=time.monotonic):
        super().__init__(tr("Epitome training monitor"), parent)
        self.setObjectName("EpitomeTrainingMonitor")
        self.clock = clock  # seconds; a test gives its own
        self.hub = hub or default_hub()
        self.open_training_dialog = open_training_dialog
        self.runs = {}  # run id -> dict(info, snapshot, state, text)
        self.current = None
        # the widgets, made by _header() and _panes()
        self.run_combo = self.cancel_button = self.status = self.bar = self.train_button = None
        self.plot = self.preview = self.explain = None

        body = QWidget(self)
        lay = QVBoxLayout(body)
        self._header(lay, open_training_dialog)
        lay.addWidget(self._panes(), 1)
        lay.addWidget(self.explain)
        self.setWidget(body)
        self._pixmap = None

        self.hub.started.connect(self._on_started)
        self.hub.snapshot.connect(self._on_snapshot)
        self.hub.ended.connect(self._on_ended)

    def _header(self, lay, open_training_dialog):
        """The run chooser, Stop, the status line, the progress bar and Train epitomes…, into lay."""
        top = QHBoxLayout()
        self.run_combo = QComboBox()
        self.run_combo.setToolTip(tr("Trainings started in this QGIS session; the newest is followed."))
        self.run_combo.currentIndexChanged.connect(self._on_pick)
        top.addWidget(self.run_combo, 1)
        self.cancel_button = QPushButton(tr("Stop training"))
        self.cancel_button.setToolTip(tr("Stop the training shown after its current step. The model trained so far "
                                         "is saved to its MODEL file and the run ends normally; give the model as "
                                         "INIT to continue later."))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_current)
        top.addWidget(self.cancel_button)
        lay.addLayout(top)

        self.status = QLabel(tr("No training running. Start one with Train epitomes…; it shows here live."))
        self.status.setToolTip(tr("Trainings started anywhere show here: this button, the Processing toolbox "
                                  "(Epitome > Epitomes > Train epitomes), a model or a script."))
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Minimum)
        lay.addWidget(self.status)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setFormat(tr("%p% of the steps"))
        self.bar.setVisible(False)  # shown with a training: empty, it looks like a text box
        self.train_button = QPushButton(QIcon(os.path.join(ICONS, "train.svg")), tr("Train epitomes…"))
        self.train_button.setToolTip(tr("Open Train epitomes (Processing toolbox: Epitome > Epitomes > Train "
                                        "epitomes)."))
        self.train_button.clicked.connect(self._open_training)
        self.train_button.setVisible(open_training_dialog is not None)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.train_button)
        lay.addLayout(row)


    def _panes(self):
        """The training curves above the epitome preview, and the one-line explanation (self.explain)."""
        split = QSplitter(Qt.Vertical)
        self.plot = HistoryPlot()
        split.addWidget(self.plot)
        self.preview = QLabel(tr("Epitome preview"))
        self.preview.setAlignment(Qt.AlignCenter)
        self.preview.setMinimumSize(48, 48)
        self.preview.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)  # the pixmap follows the pane
        self.preview.setToolTip(tr("Means of the first epitome (bands 1-3 as RGB, 2-98% stretch), refreshed every "
                                   "few steps. It should come to look like pieces of the imagery."))
        split.addWidget(self.preview)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 1)
        # one line (the dock stays small); the whole explanation on hover
        self.explain = QLabel(tr("Loss: lower is better; below zero is normal (hover for more)."))
        self.explain.setToolTip(explanation())
        self.explain.setStyleSheet("color: #205080;")
        self.explain.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        split.setChildrenCollapsible(False)
        split.setSizes([400, 200])  # curves 2/3, epitome 1/3 (scaled to the dock's height)
        split.splitterMoved.connect(lambda *_: self._fit_preview())
        return split

    # hub events -----------------------------------------------------------------------------------
    def _on_started(self, run_id, info):
        model = os.path.basename(info.get("model") or "") or run_id
        self.runs[run_id] = dict(info=info, snapshot=None, state="running", started=self.clock(),
                                 text=tr("Training {} ({} x {} px, {} steps) started…").format(
                                     model, info.get("size"), info.get("size"), info.get("steps")))
        self.run_combo.addItem(model, run_id)
        self.run_combo.setCurrentIndex(self.run_combo.count() - 1)  # follow the newest
        self.show()
        self.raise_()

    def _on_snapshot(self, run_id, snap):
        run = self.runs.get(run_id)
        if run is None:
            return
        run["snapshot"] = snap
        h = snap.get("history", {})
        loss = h.get("loss", [float("nan")])[-1]
        usage = h.get("usage", [0.0])[-1]
        stage = (tr(", stage {} of {}").format(snap["stage"], snap["stages"]) if snap.get("stages", 1) > 1 else "")
        run["elapsed"] = self.clock() - run["started"]
        info = run["info"]
        positions = (info.get("count") or 1) * (info.get("size") or 0) ** 2
        ceiling = min(1.0, (info.get("batch") or 0) / positions) if positions and info.get("batch") else None
        in_use = tr("{:.1f}% of the epitome in use").format(100 * usage)
        if ceiling is not None and ceiling < 1.0:
            in_use += tr(" (at most {:.1f}% with {} patches per step)").format(100 * ceiling, info.get("batch"))
        run["text"] = tr("Step {} of {}{} - {}. Loss {:.3f} (lower is better), {}.").format(
            snap["step"], snap["total_steps"], stage,
            time_text(run["elapsed"], snap["step"], snap["total_steps"]), loss, in_use)
        if run_id == self.current:
            self._show(run_id)

    def _on_ended(self, run_id, ok, text):
        run = self.runs.get(run_id)
        if run is None:
            return
        run["state"] = "finished" if ok and not run.get("stopping") else "stopped"
        took = tr(" ({} in all)").format(duration(self.clock() - run["started"])) if "started" in run else ""
        run["text"] = (text or (tr("Finished.") if ok else tr("Stopped."))) + took
        if run_id == self.current:
            self._show(run_id)

    # display --------------------------------------------------------------------------------------
    def _on_pick(self, index):
        self.current = self.run_combo.itemData(index) if index >= 0 else None
        if self.current:
            self._show(self.current)

    def _show(self, run_id):
        run = self.runs[run_id]
        snap = run["snapshot"] or {}
        self.status.setText(run["text"])
        total = max(1, snap.get("total_steps", run["info"].get("steps") or 1))
        self.bar.setVisible(True)
        self.bar.setValue(int(1000 * snap.get("step", 0) / total) if run["state"] != "finished" else 1000)
        self.plot.set_history(snap.get("history", {}))
        if snap.get("preview") is not None:
            self._pixmap = preview_pixmap(snap["preview"])
            self._fit_preview()
        self.cancel_button.setEnabled(run["state"] == "running")

    def _fit_preview(self):
        if self._pixmap is not None:
            side = max(64, min(self.preview.width(), self.preview.height()))
            self.preview.setPixmap(self._pixmap.scaled(side, side, Qt.KeepAspectRatio, Qt.FastTransformation))

    def resizeEvent(self, event):  # noqa: N802
        super().resizeEvent(event)
        self._fit_preview()

    # actions --------------------------------------------------------------------------------------
    def cancel_current(self):
        """Stop the training shown (after its current step; it ends normally with the model so far)."""
        if self.current and self.hub.stop(self.current):
            self.runs[self.current]["stopping"] = True
            self.runs[self.current]["text"] = tr("Stopping after the current step… the model trained so far will "
                                                 "be saved.")
            self.cancel_button.setEnabled(False)
            self.status.setText(self.runs[self.current]["text"])

    def _open_training(self):
        if self.open_training_dialog is not None:
            self.open_training_dialog()

    def shutdown(self):
        """Disconnect from the hub (plugin unload)."""
        for sig, slot in ((self.hub.started, self._on_started), (self.hub.snapshot, self._on_snapshot),
                          (self.hub.ended, self._on_ended)):
            try:
                sig.disconnect(slot)
            except (TypeError, RuntimeError):
                pass

    def closeEvent(self, event):  # noqa: N802
        event.accept()  # closing hides the dock; trainings go on (reopen it from the menu)
