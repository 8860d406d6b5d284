"""A process-wide relay between running `epitome:trainepitome` algorithms and the desktop's
training monitor dock.

The algorithm runs in a worker thread (Processing task) or in qgis_process; it announces itself,
posts snapshots (step, curves, epitome preview) and ends. The hub lives in the GUI thread, so its
signals reach the dock queued and safely. Nothing listens in qgis_process: snapshots are then not
made at all (see listening()).

Two ways to end a training early, each reported once:
- Stop in the dock (stop()): the training ends after the current step as a normal run: the model so far
  is saved, the run succeeds ("Execution completed"), its message says how to continue (INIT).
- Cancel in the Processing dialog (the run's QgsProcessingFeedback): the run fails with one message.
The core's own note about the saved model is held back by RunFeedback and becomes that one message.
"""

import itertools
import threading

from qgis.PyQt.QtCore import QObject, pyqtSignal

from .base import QgsFeedbackAdapter


class RunFeedback(QgsFeedbackAdapter):
    """The core's feedback for one training: cancelled by the Processing dialog's Cancel or by Stop in the
    monitor dock; warnings that come after the end was asked for are held (held_text()) so the end is
    reported once, by the algorithm."""

    def __init__(self, feedback, hub, run_id):
        super().__init__(feedback)
        self.hub, self.run_id, self.held = hub, run_id, []

    @property
    def stopped(self):
        """True when the dock's Stop (not a cancel) ended the run."""
        return self.hub.stop_requested(self.run_id) and not self.fb.isCanceled()

    def is_canceled(self):
        return super().is_canceled() or self.hub.stop_requested(self.run_id)

    def warn(self, msg):
        if self.is_canceled():
            self.held.append(msg)
        else:
            super().warn(msg)

    def held_text(self):
        return " ".join(self.held)


class TrainingHub(QObject):
    started = pyqtSignal(str, dict)  # run id, description (imagery, size, steps, model path)
    snapshot = pyqtSignal(str, dict)  # run id, snapshot from algorithms.epitome.train_job (history, preview)
    message = pyqtSignal(str, str)  # run id, text
    ended = pyqtSignal(str, bool, str)  # run id, success, message

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._feedback = {}
        self._stop = set()
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

    def feedback(self, run_id, feedback):
        """The core's feedback for the run (see RunFeedback)."""
        return RunFeedback(feedback, self, run_id)

    def stop_requested(self, run_id):
        with self._lock:
            return run_id in self._stop

    def end(self, run_id, ok, text=""):
        with self._lock:
            self._feedback.pop(run_id, None)
            self._stop.discard(run_id)
        self.ended.emit(run_id, bool(ok), text)

    # called by the dock (GUI thread) --------------------------------------------------------------
    def running(self):
        with self._lock:
            return list(self._feedback)

    def stop(self, run_id):
        """Stop a running training after its current step: the model so far is saved and the run ends normally
        (not as a failure). False if it already ended."""
        with self._lock:
            if run_id not in self._feedback:
                return False
            self._stop.add(run_id)
        return True

    def cancel(self, run_id):
        """Cancel a running training as the Processing dialog's Cancel does (the run fails; the model so far is
        saved). False if it already ended."""
        with self._lock:
            fb = self._feedback.get(run_id)
        if fb is None:
            return False
        fb.cancel()
        return True


def stopped_results(model_path, init_path, seconds, device="auto", batch_size=0):
    """The numeric outputs of a training stopped from the dock, read back from the saved model."""
    from ...algorithms.device import resolve_device
    from ...algorithms.epitome.model_file import load_model

    m = load_model(model_path)
    before = load_model(init_path).steps_done if init_path else 0
    loss, worst = m.history.get("loss", []), m.history.get("worst_loss", [])
    n = max(0, m.steps_done - before)
    k = max(1, n // 10)
    def mean(v):
        return float(sum(v[-k:]) / len(v[-k:])) if v else float("nan")

    return {"STEPS_DONE": n, "SECONDS": seconds, "PATCHES_PER_SECOND": n * batch_size / max(seconds, 1e-9),
            "FINAL_LOSS": mean(loss), "FINAL_WORST_LOSS": mean(worst), "DEVICE_USED": str(resolve_device(device)[0])}


_HUB = None


def hub():
    """The process's hub (created on first use, in the thread that first asks: the GUI thread in
    the desktop, because the plugin creates it at start-up)."""
    global _HUB
    if _HUB is None:
        _HUB = TrainingHub()
    return _HUB
