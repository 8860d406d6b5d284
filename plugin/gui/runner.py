"""Run a Processing algorithm in the background through QGIS's task manager, with Qt signals.

Every dialog of the plugin (wizard, composition editor, training monitor) drives the same
Processing algorithms as the toolbox and qgis_process, through this one class: no second code path.

    run = AlgorithmRun("epitome:selfepitomiclsr", params)
    run.progress.connect(bar.setValue); run.finished.connect(on_done)
    run.start()      # QgsProcessingAlgRunnerTask on QgsApplication.taskManager()
    run.cancel()     # same as the Cancel button of the Processing dialog

Signals arrive in the thread that created the AlgorithmRun (the GUI thread): the feedback object
lives in the worker and its signals are queued.
"""

from qgis.core import (
    QgsApplication,
    QgsProcessingAlgRunnerTask,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
)
from qgis.PyQt.QtCore import QCoreApplication, QObject, pyqtSignal

_RUNNING = set()  # AlgorithmRun objects whose task has not reported back yet (kept alive here)


class SignalFeedback(QgsProcessingFeedback):
    """QgsProcessingFeedback that also emits every message as a signal (queued to the GUI thread)."""

    message = pyqtSignal(str, str)  # level (info, warning, error, command), text

    def pushInfo(self, info):  # noqa: N802
        super().pushInfo(info)
        self.message.emit("info", info)

    def pushWarning(self, warning):  # noqa: N802
        super().pushWarning(warning)
        self.message.emit("warning", warning)

    def reportError(self, error, fatalError=False):  # noqa: N802,N803
        super().reportError(error, fatalError)
        self.message.emit("error", error)

    def pushCommandInfo(self, info):  # noqa: N802
        super().pushCommandInfo(info)
        self.message.emit("command", info)


class AlgorithmRun(QObject):
    """One background run of a registered Processing algorithm."""

    progress = pyqtSignal(float)  # 0..100
    message = pyqtSignal(str, str)  # level, text
    finished = pyqtSignal(bool, dict)  # success, results (empty when it failed or was cancelled)

    def __init__(self, alg_id, params, project=None):
        # No Qt parent: the task keeps raw pointers to our context and feedback, so this object must
        # outlive the run even when the dialog that started it is closed and deleted. Running runs are
        # held in _RUNNING until the task reports back.
        super().__init__()
        self.alg_id = alg_id
        self.params = dict(params)
        self.results = {}
        self.ok = None
        self.errors = []
        self.task = None
        self.alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
        if self.alg is None:
            raise ValueError(QCoreApplication.translate(
                "AlgorithmRun",
                "Processing algorithm {} is not registered (is the Epitome plugin enabled?)").format(alg_id))
        self.context = QgsProcessingContext()
        self.context.setProject(project or QgsProject.instance())
        self.feedback = SignalFeedback()
        self.feedback.progressChanged.connect(self.progress.emit)
        self.feedback.message.connect(self._on_message)

    def check(self):
        """(ok, message) of the algorithm's own parameter check, before anything runs."""
        ok, msg = self.alg.checkParameterValues(self.params, self.context)
        return ok, msg

    def start(self):
        ok, msg = self.check()
        if not ok:
            self.errors.append(msg)
            self.ok = False
            self.finished.emit(False, {})
            return False
        self.task = QgsProcessingAlgRunnerTask(self.alg, self.params, self.context, self.feedback)
        self.task.executed.connect(self._on_executed)
        _RUNNING.add(self)
        QgsApplication.taskManager().addTask(self.task)
        return True

    def cancel(self):
        self.feedback.cancel()

    def is_running(self):
        return self.task is not None and self.ok is None

    def _on_message(self, level, text):
        if level == "error":
            self.errors.append(text)
        self.message.emit(level, text)

    def _on_executed(self, ok, results):
        _RUNNING.discard(self)
        self.ok = bool(ok) and not self.feedback.isCanceled()
        self.results = dict(results or {}) if self.ok else {}
        self.finished.emit(self.ok, self.results)
