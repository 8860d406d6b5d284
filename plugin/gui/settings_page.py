"""Settings > Options > Epitome: default device, memory budget, PyTorch folder, GPU test, installer."""

import os

from qgis.gui import QgsFileWidget, QgsOptionsPageWidget, QgsOptionsWidgetFactory
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from .. import ICONS, settings
from ..install import dependencies, deps
from ..install.dependencies import TorchProbe, tr
from .device_choice import DeviceCombo

ICON = os.path.join(ICONS, "epitome.svg")


class EpitomeOptionsPage(QgsOptionsPageWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("EpitomeOptionsPage")
        self.probe = None
        self.gpu_probe = None
        self.dialog = None
        self.gpu_ok = None
        # the widgets, made by _build()
        self.device_combo = self.device_info = self.memory_spin = None
        self.folder_widget = self.test_gpu_button = self.install_button = self.gpu_label = self.message_label = None
        self._build()
        info = dependencies.cached_info(self._probe_target())
        if info is not None:
            self._probed(info)
        else:
            self.refresh_devices()

    def _build(self):
        lay = QVBoxLayout(self)
        lay.addWidget(self._computation_box())
        lay.addWidget(self._pytorch_box())
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.setToolTip(tr("Problems with the values entered above."))
        lay.addWidget(self.message_label)
        lay.addStretch(1)

    def _computation_box(self):
        """The default device and the memory budget."""
        box = QGroupBox(tr("Computation"))
        form = QFormLayout(box)

        self.device_combo = DeviceCombo(self, value=settings.default_device(), probe=False)
        self.device_combo.setToolTip(tr("Device used when an Epitome algorithm's DEVICE parameter is 'auto': "
                                        "auto (a CUDA GPU when available, else the CPU), cpu, cuda, or cuda:N "
                                        "for GPU number N. A GPU that is missing falls back to the CPU with a "
                                        "warning."))
        self.device_info = QLabel()
        self.device_combo.describe_into(self.device_info)
        self.device_info.setContentsMargins(2, 0, 0, 4)
        device_box = QWidget()
        device_lay = QVBoxLayout(device_box)
        device_lay.setContentsMargins(0, 0, 0, 0)
        device_lay.setSpacing(2)
        device_lay.addWidget(self.device_combo)
        device_lay.addWidget(self.device_info)
        form.addRow(tr("Default device:"), device_box)

        self.memory_spin = QSpinBox()
        self.memory_spin.setRange(0, 4 * 1024 * 1024)
        self.memory_spin.setSingleStep(256)
        self.memory_spin.setSuffix(tr(" MiB"))
        self.memory_spin.setSpecialValueText(tr("Automatic"))
        self.memory_spin.setValue(settings.memory_budget_mb())
        self.memory_spin.setToolTip(tr("Working memory of label super-resolution (GPU memory with CUDA, RAM on the "
                                       "CPU): a tile whose arrays would need more is refused before the run, with "
                                       "the memory it needs and a tile size that fits; about a sixteenth of it is "
                                       "one block of fp32 logits. Smaller is slower but uses less memory. 0 = "
                                       "automatic (half of this machine's memory; 64 MiB blocks, 4x smaller after "
                                       "a GPU out-of-memory error)."))
        form.addRow(tr("Memory budget:"), self.memory_spin)
        return box

    def _pytorch_box(self):
        """The PyTorch folder, the GPU test, the installer and PyTorch's status."""
        box2 = QGroupBox(tr("PyTorch"))
        form2 = QFormLayout(box2)
        self.folder_widget = QgsFileWidget()
        self.folder_widget.setStorageMode(QgsFileWidget.GetDirectory)
        self.folder_widget.setFilePath(settings.dependency_folder())
        self.folder_widget.setToolTip(tr("Folder Epitome loads PyTorch from first (appended to QGIS's Python "
                                         "path, so QGIS's own numpy and GDAL always win). Default: {}").format(
                                             deps.default_folder()))
        form2.addRow(tr("PyTorch folder:"), self.folder_widget)

        row = QHBoxLayout()
        self.test_gpu_button = QPushButton(tr("Test GPU"))
        self.test_gpu_button.setToolTip(tr("Check PyTorch and run a tiny computation on the GPU, in a separate "
                                           "process (QGIS cannot crash)."))
        self.test_gpu_button.clicked.connect(self.test_gpu)
        self.install_button = QPushButton(tr("Install / update PyTorch…"))
        self.install_button.setToolTip(tr("Open the installer: PyTorch CPU or CUDA build, downloaded with pip "
                                          "into the PyTorch folder."))
        self.install_button.clicked.connect(self.open_installer)
        row.addWidget(self.test_gpu_button)
        row.addWidget(self.install_button)
        row.addStretch(1)
        form2.addRow("", row)
        self.gpu_label = QLabel(tr("Checking PyTorch…"))
        self.gpu_label.setWordWrap(True)
        self.gpu_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.gpu_label.setToolTip(tr("The PyTorch Epitome loads, and the result of the last GPU test."))
        form2.addRow(tr("Status:"), self.gpu_label)
        return box2

    # --- devices --------------------------------------------------------------------------------
    def set_devices(self, info):
        """Fill the device choices from a PyTorch check (auto, cpu, cuda - marked when no GPU is usable -
        and cuda:N per GPU); keeps the current choice."""
        self.device_combo.fill(info)

    def device_choices(self):
        return [self.device_combo.itemData(i) for i in range(self.device_combo.count())]

    def _probe_target(self):
        """None (the plugin's folders) when the folder field shows the configured folder, else that folder."""
        shown = os.path.normpath((self.folder_widget.filePath() or "").strip() or settings.dependency_folder())
        return None if shown == os.path.normpath(settings.dependency_folder()) else shown

    def refresh_devices(self):
        if self.probe is not None and self.probe.is_running():
            return
        self.probe = TorchProbe(self._probe_target(), parent=self)
        self.probe.finished.connect(self._probed)
        self.probe.start()

    def _probed(self, info):
        self.set_devices(info)
        testing = self.gpu_probe is not None and self.gpu_probe.is_running()
        if self.gpu_ok is None and not testing:  # a GPU test result stays
            self.gpu_label.setText(dependencies.describe(info))
            self.gpu_label.setStyleSheet("" if info.usable else "color: #b42318;")

    # --- GPU test -------------------------------------------------------------------------------
    def test_gpu(self):
        if self.gpu_probe is not None and self.gpu_probe.is_running():
            return
        self.gpu_ok = None
        self.gpu_label.setText(tr("Testing…"))
        self.test_gpu_button.setEnabled(False)
        self.gpu_probe = TorchProbe(self._probe_target(), gpu_test=True, parent=self)
        self.gpu_probe.finished.connect(self._gpu_result)
        self.gpu_probe.start()

    def _gpu_result(self, info):
        self.test_gpu_button.setEnabled(True)
        self.set_devices(info)
        self.gpu_ok, text = dependencies.gpu_report(info)
        self.gpu_label.setText(text)
        self.gpu_label.setStyleSheet("color: #1a7f37;" if self.gpu_ok else "")

    # --- installer ------------------------------------------------------------------------------
    def open_installer(self):
        from ..install.installer_dialog import DependencyDialog

        self.dialog = DependencyDialog(self, folder=(self.folder_widget.filePath() or "").strip() or None)
        self.dialog.installFinished.connect(self._installed)
        self.dialog.exec_()

    def _installed(self, ok, _message):
        if ok and self.dialog is not None:
            self.folder_widget.setFilePath(self.dialog.folder())
            if self.dialog.info is not None:
                self.set_devices(self.dialog.info)

    # --- QGIS options dialog --------------------------------------------------------------------
    def apply(self):
        problems = []
        try:
            settings.set_default_device(self.device_combo.value())
        except ValueError:
            problems.append(tr("Default device '{}' is not valid: use auto, cpu, cuda or cuda:N (N = GPU index). "
                               "Kept '{}'.").format(self.device_combo.currentText(), settings.default_device()))
        settings.set_memory_budget_mb(self.memory_spin.value())
        folder = (self.folder_widget.filePath() or "").strip()
        settings.set_dependency_folder(folder)
        if folder and os.path.isdir(folder):
            deps.add_folder(folder)
        self.message_label.setText("\n".join(problems))
        return not problems

    def helpKey(self):  # noqa: N802
        return ""


class EpitomeOptionsFactory(QgsOptionsWidgetFactory):
    def __init__(self):
        super().__init__(tr("Epitome"), QIcon(ICON))

    def icon(self):
        return QIcon(ICON)

    def title(self):
        return tr("Epitome")

    def createWidget(self, parent):  # noqa: N802
        return EpitomeOptionsPage(parent)


def register_options_page(iface):
    """Adds the Epitome page to Settings > Options; returns the factory (keep it for unregister)."""
    factory = EpitomeOptionsFactory()
    if iface is not None and hasattr(iface, "registerOptionsWidgetFactory"):
        iface.registerOptionsWidgetFactory(factory)
    return factory


def unregister_options_page(iface, factory):
    if iface is not None and factory is not None and hasattr(iface, "unregisterOptionsWidgetFactory"):
        iface.unregisterOptionsWidgetFactory(factory)
