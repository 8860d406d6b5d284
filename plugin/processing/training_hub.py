"""A process-wide relay between running `epitome:trainepitome` algorithms and the desktop's
training monitor dock.

The algorithm runs in a worker thread (Processing task) or in qgis_process; it announces itself,
posts snapshots (step, curves, epitome preview) and ends. The hub lives in the GUI thread, so its
signals reach the dock queued and safely. Nothing listens in qgis_process: snapshots are then not
made at all (see listening()). Cancel from the dock goes through the run's own QgsProcessingFeedback, exactly like the
Cancel button of the Processing dialog.
"""

import itertools
import threading

from qgis.PyQt.QtCore import QObject, pyqtSignal


class TrainingHub(QObject):
    started = pyqtSignal(str, dict)  # run id, description (imagery, size, steps, model path)
    snapshot = pyqtSignal(str, dict)  # run id, snapshot from algorithms.epitome.train_job (history, preview)
    message = pyqtSignal(str, str)  # run id, text
    ended = pyqtSignal(str, bool, str)  # run id, success, message

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._feedback = {}
        self._ids = itertools.count(1)

    # called by the algorithm (any thread) ---------------------------------------------------------
    def begin(self, feedback, info):
        with self._lock:
            run_id = f"training-{next(self._ids)}"
            self._feedback[run_id] = feedback
        self.started.emit(run_id, dict(info))
        return run_id

    def listening(self):
        """True when something (the desktop's monitor dock) receives snapshots; in qgis_process nothing
        does, and the algorithm then skips making them."""
        return self.receivers(self.snapshot) > 0

    def post(self, run_id, snap):
        self.snapshot.emit(run_id, dict(snap))

    def end(self, run_id, ok, text=""):
        with self._lock:
            self._feedback.pop(run_id, None)
        self.ended.emit(run_id, bool(ok), text)

    # called by the dock (GUI thread) --------------------------------------------------------------
    def running(self):
        with self._lock:
            return list(self._feedback)

    def cancel(self, run_id):
        """Ask a running training to stop (it saves a resumable model). False if it already ended."""
        with self._lock:
            fb = self._feedback.get(run_id)
        if fb is None:
            return False
        fb.cancel()
        return True


_HUB = None


def hub():
    """The process's hub (created on first use, in the thread that first asks: the GUI thread in
    the desktop, because the plugin creates it at start-up)."""
    global _HUB
    if _HUB is None:
        _HUB = TrainingHub()
    return _HUB
