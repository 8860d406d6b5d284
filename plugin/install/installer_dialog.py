"""The PyTorch installer dialog: status, CPU or CUDA build, target folder, pip run live in a QProcess.

pip runs in QGIS's own Python as a separate process (QProcess): QGIS stays responsive, a failing
install cannot take QGIS down, and Stop kills it. The command comes from `command_factory(folder,
variant)` (default: dependencies.pip_command), so tests can run a harmless fake command instead.
"""

import os
import signal
import sys

from qgis.gui import QgsFileWidget
from qgis.PyQt.QtCore import QProcess, QProcessEnvironment, Qt, QTimer, pyqtSignal
from qgis.PyQt.QtGui import QFontDatabase, QIcon
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
)

from .. import ICONS, settings
from . import dependencies, deps
from .dependencies import TorchProbe, tr

ICON = os.path.join(ICONS, "epitome.svg")
MAX_LINES = 5000


def variant_label(variant):
    if variant == "default":
        return tr("CPU and Apple GPU (the macOS build)")
    if variant == dependencies.CPU_VARIANT:
        return tr("CPU only (works everywhere; the smallest download)")
    return tr("NVIDIA GPU, CUDA {} (about 3 GB download)").format(dependencies.cuda_label(variant))


def variant_hint(variant):
    if variant == "default":
        return tr("The macOS build of PyTorch runs on the CPU, and on the Apple GPU (DEVICE mps) of Apple-silicon "
                  "Macs. There are no CUDA builds for macOS.")
    if variant == dependencies.CPU_VARIANT:
        return tr("The CPU build runs on any computer and is the smallest download.")
    major = dependencies.cuda_label(variant).split(".")[0]
    driver = tr("580 or newer") if major == "13" else tr("525 or newer (528 on Windows)")
    return tr("CUDA builds need an NVIDIA GPU and an NVIDIA driver {} (no CUDA toolkit needed: the wheels "
              "bring the CUDA libraries). Download about 3 GB, about 5 GB once installed. Without such a "
              "GPU, Epitome falls back to the CPU.").format(driver)


_INSTALLING = set()  # dialogs whose pip is running: one installation at a time in a QGIS session


def _busy(dialog):
    try:
        return dialog.is_running()
    except RuntimeError:  # its Qt object is gone
        _INSTALLING.discard(dialog)
        return False


class DependencyDialog(QDialog):
    """Install or update PyTorch into Epitome's dependency folder.

    installFinished(ok, message) is emitted once the result line is final (after the re-check)."""

    installFinished = pyqtSignal(bool, str)  # noqa: N815 (a Qt signal, camelCase like Qt's own)

    def __init__(self, parent=None, folder=None, command_factory=None, torch_version=None,
                 check_on_open=True, dask_command_factory=None):
        super().__init__(parent)
        self.setWindowTitle(tr("Epitome - install PyTorch"))
        self.setWindowIcon(QIcon(ICON))
        self.torch_version = torch_version  # None: the release torch_builds chooses for this Python and platform
        self.command_factory = command_factory or (
            lambda folder, variant: dependencies.pip_command(folder, variant, version=self.torch_version))
        # Dask after PyTorch (SCHEDULER, docs/SCALING.md); a test that fakes the PyTorch command fakes this one too
        self.dask_command_factory = dask_command_factory or (
            None if command_factory else lambda folder: dependencies.dask_pip_command(folder))
        self.dask_check = None
        self.process = None
        self.probe = None
        self.output_lines = []
        self.info = None
        self.result_ok = None
        self._buffer = ""
        self._stopped = False
        self._folder_running = None
        # the widgets, made by _build()
        self.status_label = self.cuda_label = self.folder_label = self.recheck_button = None
        self.variant_combo = self.variant_hint = self.what_label = self.command_label = self.folder_widget = None
        self.install_button = self.stop_button = self.output = self.result_label = None
        self._build(folder or settings.dependency_folder())
        if check_on_open:
            self.refresh_status()

    # --- layout ---------------------------------------------------------------------------------
    def _build(self, folder):
        lay = QVBoxLayout(self)
        lay.addWidget(self._status_box())
        lay.addWidget(self._install_box(folder))
        self._build_run_area(lay)
        self.resize(760, 720)
        self._update_hint()

    def _status_box(self):
        """The installed PyTorch: version, CUDA, folder, Check again."""
        status_box = QGroupBox(tr("Current PyTorch"))
        form = QFormLayout(status_box)
        self.status_label = QLabel(tr("Not checked yet."))
        self.status_label.setWordWrap(True)
        self.status_label.setToolTip(tr("The PyTorch Epitome would load, checked in a separate process."))
        self.cuda_label = QLabel("")
        self.cuda_label.setWordWrap(True)
        self.cuda_label.setToolTip(tr("Whether this PyTorch can use an NVIDIA GPU, and which."))
        self.folder_label = QLabel("")
        self.folder_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.folder_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # long paths: no wider dialog
        self.folder_label.setToolTip(tr("The folder PyTorch was loaded from."))
        self.recheck_button = QPushButton(tr("Check again"))
        self.recheck_button.setToolTip(tr("Check the installed PyTorch again (in a separate process)."))
        self.recheck_button.clicked.connect(self.refresh_status)
        form.addRow(tr("PyTorch:"), self.status_label)
        form.addRow(tr("CUDA / GPU:"), self.cuda_label)
        form.addRow(tr("Folder:"), self.folder_label)
        recheck_row = QHBoxLayout()
        recheck_row.addWidget(self.recheck_button)
        recheck_row.addStretch(1)
        form.addRow("", recheck_row)
        return status_box

    def _install_box(self, folder):
        """What to install: the build (CPU / CUDA) and the folder."""
        inst_box = QGroupBox(tr("Install or update"))
        form2 = QFormLayout(inst_box)
        self.variant_combo = QComboBox()
        for b in dependencies.offered_builds():  # never a CUDA build on macOS
            self.variant_combo.addItem(variant_label(b.variant), b.variant)
        self.variant_combo.setToolTip(tr("Which PyTorch build to install: CPU only, or a CUDA build for NVIDIA "
                                         "GPUs (needs an NVIDIA driver)."))
        self.variant_hint = QLabel("")
        self.variant_hint.setWordWrap(True)
        self.variant_hint.setStyleSheet("color: #555;")
        self.what_label = QLabel("")
        self.what_label.setWordWrap(True)
        self.what_label.setToolTip(tr("The PyTorch release chosen for this QGIS's Python and operating system, and "
                                      "its size."))
        self.command_label = QLabel("")
        self.command_label.setWordWrap(True)
        self.command_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.command_label.setStyleSheet("color: #555;")
        self.command_label.setToolTip(tr("The same installation from a terminal (QGIS closed), if the button cannot "
                                         "do it here."))
        self.variant_combo.currentIndexChanged.connect(self._update_hint)
        self.folder_widget = QgsFileWidget()
        self.folder_widget.setStorageMode(QgsFileWidget.GetDirectory)
        self.folder_widget.setFilePath(folder)
        self.folder_widget.setToolTip(tr("Folder PyTorch is installed into; Epitome adds it to QGIS's Python "
                                         "path (after QGIS's own packages). Default: {}").format(
                                             deps.default_folder()))
        form2.addRow(tr("Build:"), self.variant_combo)
        form2.addRow("", self.variant_hint)
        form2.addRow(tr("Folder:"), self.folder_widget)
        form2.addRow(tr("Installs:"), self.what_label)
        form2.addRow(tr("Or by hand:"), self.command_label)
        self.dask_check = QCheckBox(tr("Also install Dask (about 15 MB): the SCHEDULER parameter, whole rasters on "
                                       "several processes or machines"))
        self.dask_check.setChecked(self.dask_command_factory is not None)
        self.dask_check.setEnabled(self.dask_command_factory is not None)
        self.dask_check.setToolTip(tr("dask and distributed go into the same folder, after PyTorch (docs/SCALING.md)."))
        form2.addRow("", self.dask_check)
        self.folder_widget.fileChanged.connect(self._update_hint)
        return inst_box

    def _build_run_area(self, lay):
        """Install / Stop, pip's live output, the result and Close."""
        row = QHBoxLayout()
        self.install_button = QPushButton(tr("Install"))
        self.install_button.setToolTip(tr("Download and install PyTorch with pip into the folder (QGIS's numpy and "
                                          "GDAL are pinned and left untouched)."))
        self.install_button.clicked.connect(self.start_install)
        self.stop_button = QPushButton(tr("Stop"))
        self.stop_button.setToolTip(tr("Stop the running installation."))
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        row.addWidget(self.install_button)
        row.addWidget(self.stop_button)
        row.addStretch(1)
        lay.addLayout(row)

        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(MAX_LINES)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.output.setToolTip(tr("Output of pip, live."))
        self.output.setPlaceholderText(tr("pip's output appears here while PyTorch is installed."))
        self.output.setMinimumHeight(140)
        lay.addWidget(self.output, 1)

        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.result_label.setToolTip(tr("The result of the last installation."))
        lay.addWidget(self.result_label)

        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.Close).setToolTip(tr("Close this window (stops a running installation)."))
        lay.addWidget(buttons)

    def _update_hint(self, *_):
        self.variant_hint.setText(variant_hint(self.variant()))
        self.what_label.setText(self.what_text())
        cmd = dependencies.manual_command(self.folder(), self.variant())
        self.command_label.setText(cmd or "-")
        self.install_button.setEnabled(bool(self.variant_combo.count()) and not self.is_running())

    def what_text(self):
        """'PyTorch 2.13.0 (CPU) for Python 3.11 on Linux (x86_64): about 192 MB to download, about 880 MB once
        installed' - or why there is nothing to install here."""
        from . import torch_builds

        try:
            build = dependencies.build_for(self.variant())
        except ValueError:
            return tr("No PyTorch build exists for this QGIS: {}.").format(torch_builds.release_for()[1])
        if self.torch_version and self.torch_version != build.version:
            build = build._replace(version=self.torch_version)
        return tr("{}: {}. pip downloads it from {}.").format(
            build.description, torch_builds.size_text(build), build.index_url or "pypi.org")

    # --- accessors ------------------------------------------------------------------------------
    def variant(self):
        return self.variant_combo.currentData() or dependencies.CPU_VARIANT

    def set_variant(self, variant):
        i = self.variant_combo.findData(variant)
        if i >= 0:
            self.variant_combo.setCurrentIndex(i)

    def folder(self):
        return (self.folder_widget.filePath() or "").strip() or settings.dependency_folder()

    def is_running(self):
        return self.process is not None and self.process.state() != QProcess.NotRunning

    def output_text(self):
        return self.output.toPlainText()

    # --- status ---------------------------------------------------------------------------------
    def refresh_status(self, folder=None):
        if self.probe is not None and self.probe.is_running():
            return
        self.status_label.setText(tr("Checking…"))
        self.recheck_button.setEnabled(False)
        self.probe = TorchProbe(folder, parent=self)
        self.probe.finished.connect(self._show_status)
        self.probe.start()

    def _show_status(self, info):
        self.recheck_button.setEnabled(True)
        self.info = info
        if not info.found:
            self.status_label.setText(tr("Not found ({})").format(info.error or "?"))
            self.cuda_label.setText("-")
            self.folder_label.setText(", ".join(dependencies.probe_folders()) or "-")
            return
        version = info.version + (" " + tr("(too old: Epitome needs {} or newer)").format(
            ".".join(map(str, dependencies.MIN_TORCH))) if info.too_old else "")
        self.status_label.setText(version)
        if info.cpu_build:
            cuda = tr("CPU build (no CUDA)")
        elif info.cuda_available:
            cuda = tr("CUDA {}: {}").format(info.cuda_version, ", ".join(info.devices))
        else:
            cuda = tr("CUDA {} build, but no usable NVIDIA GPU ({})").format(
                info.cuda_version, " ".join(info.warnings) or tr("no NVIDIA driver or GPU found"))
        self.cuda_label.setText(cuda)
        self.folder_label.setText(info.folder)

    # --- install --------------------------------------------------------------------------------
    def start_install(self):
        if self.is_running():
            return False
        other = next((d for d in list(_INSTALLING) if d is not self and _busy(d)), None)
        if other is not None:  # two pips writing one --target folder would corrupt it
            self._finish(False, tr("Another PyTorch installation is running in another window; wait for it or "
                                   "stop it first."))
            return False
        folder = self.folder()
        self.output.clear()
        self.output_lines, self._buffer, self._stopped, self.result_ok = [], "", False, None
        self.result_label.setText("")
        try:
            os.makedirs(folder, exist_ok=True)
            cmd = [str(c) for c in self.command_factory(folder, self.variant())]
        except Exception as e:  # noqa: BLE001
            self._finish(False, tr("Cannot start the installation: {}").format(e))
            return False
        self._folder_running = folder
        self._append_line("$ " + " ".join(cmd))
        self.process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        env.insert("PIP_NO_INPUT", "1")
        self.process.setProcessEnvironment(env)
        self.process.setProcessChannelMode(QProcess.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read_output)
        self.process.finished.connect(self._process_finished)
        self.process.errorOccurred.connect(self._process_error)
        self.install_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.variant_combo.setEnabled(False)
        self.folder_widget.setEnabled(False)
        self.result_label.setText(tr("Installing… (this can take several minutes)"))
        _INSTALLING.add(self)
        self.process.start(cmd[0], cmd[1:])
        return True

    def stop(self):
        if self.is_running():
            self._stopped = True
            self._append_line(tr("Stopping…"))
            pid = int(self.process.processId() or 0)
            if os.name == "posix" and pid > 0:
                # SIGINT lets pip remove its temporary build folders (GBs for CUDA wheels); kill after 5 s
                try:
                    os.kill(pid, signal.SIGINT)
                    QTimer.singleShot(5000, self._kill_if_running)
                    return
                except OSError:
                    pass
            self.process.kill()

    def _kill_if_running(self):
        try:
            if self.is_running():
                self.process.kill()
        except RuntimeError:  # the dialog is gone
            pass

    def _append_line(self, line):
        self.output_lines.append(line)
        if len(self.output_lines) > MAX_LINES:
            del self.output_lines[:len(self.output_lines) - MAX_LINES]
        self.output.appendPlainText(line)
        self.follow_output()

    def follow_output(self):
        """Keep the newest line in view while pip writes (its retries and downloads are what to watch): Qt's
        own follow stops for good once the view is off the last line (the user scrolled up to read a retry)."""
        bar = self.output.verticalScrollBar()
        bar.setValue(bar.maximum())
    def _read_output(self):
        if self.process is None:
            return
        data = bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace")
        self._buffer += data.replace("\r\n", "\n").replace("\r", "\n")
        *complete, self._buffer = self._buffer.split("\n")
        for line in complete:
            self._append_line(line)

    def _flush(self):
        self._read_output()
        if self._buffer:
            self._append_line(self._buffer)
            self._buffer = ""

    def _process_error(self, err):
        if err == QProcess.FailedToStart:
            self._controls_idle()
            self._finish(False, tr("Could not start {}: {}").format(self.process.program(),
                                                                     self.process.errorString()))

    def _controls_idle(self):
        self.install_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.variant_combo.setEnabled(True)
        self.folder_widget.setEnabled(True)

    def _process_finished(self, code, status):
        self._flush()
        self._controls_idle()
        folder = self._folder_running
        removed = dependencies.clean_target(folder) if folder else []
        if removed:
            self._append_line(tr("Removed from the folder (QGIS's own numpy is used): {}").format(
                ", ".join(os.path.basename(p) for p in removed)))
        if self._stopped:
            self._finish(False, tr("Installation stopped. The folder may hold a partial installation: run "
                                   "Install again before using Epitome."))
            return
        if status != QProcess.NormalExit or code != 0:
            shown = code if status == QProcess.NormalExit else tr("crashed")
            last = dependencies.last_error_line(self.output_lines[1:])
            self._finish(False, tr("Installation failed (exit code {}): {}\n{}").format(
                shown, last or tr("no output"), dependencies.failure_hint(self.output_lines)))
            return
        # pip succeeded: make the folder importable, remember it, and verify in a separate process.
        deps.add_folder(folder)
        deps.add_dependency_folders()
        settings.set_dependency_folder(folder)
        dependencies.clear_cache()
        self.result_label.setText(tr("pip finished; checking the installed PyTorch…"))
        self.probe = TorchProbe(folder, parent=self)
        self.probe.finished.connect(self._verified)
        self.probe.start()

    def _verified(self, info):
        self._show_status(info)
        if not info.found:
            self._finish(False, tr("pip finished, but PyTorch cannot be imported from {}: {}").format(
                self._folder_running, info.error))
            return
        cuda = (tr("CUDA {}, GPU: {}").format(info.cuda_version, ", ".join(info.devices)) if info.cuda_available
                else tr("CPU build") if info.cpu_build
                else tr("CUDA {} build, but no usable GPU (NVIDIA driver?)").format(info.cuda_version))
        msg = tr("PyTorch {} installed in {} ({}).").format(info.version, info.folder, cuda)
        loaded = sys.modules.get("torch")
        if loaded is not None:
            loaded_version = str(getattr(loaded, "__version__", "?"))
            loaded_file = os.path.normpath(str(getattr(loaded, "__file__", "") or ""))
            if loaded_version != info.version or not loaded_file.startswith(os.path.normpath(info.folder)):
                msg += " " + tr("Restart QGIS to use it: QGIS has already loaded PyTorch {}.").format(loaded_version)
            else:
                msg += " " + tr("No restart needed.")
        else:
            msg += " " + tr("Epitome can use it now; no restart needed.")
        if self.dask_check is not None and self.dask_check.isChecked() and self.dask_command_factory is not None:
            self._install_dask(msg)
            return
        self._finish(True, msg)

    def _install_dask(self, torch_message):
        """pip installs dask and distributed into the same folder; the result line says how both went."""
        folder = self._folder_running
        cmd = [str(c) for c in self.dask_command_factory(folder)]
        self._append_line("$ " + " ".join(cmd))
        self.result_label.setText(tr("PyTorch is installed; installing Dask…"))
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.MergedChannels)
        self.process.readyReadStandardOutput.connect(self._read_output)
        self.process.finished.connect(lambda code, status: self._dask_finished(code, status, torch_message))
        self.stop_button.setEnabled(True)
        self.process.start(cmd[0], cmd[1:])

    def _dask_finished(self, code, status, torch_message):
        self._flush()
        self._controls_idle()
        dependencies.clean_target(self._folder_running)
        if status == QProcess.NormalExit and code == 0 and not self._stopped:
            self._finish(True, torch_message + " " + tr("Dask installed: SCHEDULER can run whole rasters on a "
                                                        "cluster (restart QGIS to use it)."))
        else:
            self._finish(True, torch_message + " " + tr("Dask was not installed ({}): SCHEDULER stays empty "
                                                        "(in-process).").format(
                dependencies.last_error_line(self.output_lines) or tr("stopped")))

    def _finish(self, ok, message):
        _INSTALLING.discard(self)
        self.result_ok = ok
        self.result_label.setText(message)
        self.result_label.setStyleSheet("color: #1a7f37;" if ok else "color: #b42318;")
        self.installFinished.emit(ok, message)

    # --- closing --------------------------------------------------------------------------------
    def done(self, r):
        if self.is_running():
            self.stop()
            if not self.process.waitForFinished(5000):
                self.process.kill()
                self.process.waitForFinished(2000)
        if self.probe is not None and self.probe.is_running():
            self.probe.cancel()
        super().done(r)
