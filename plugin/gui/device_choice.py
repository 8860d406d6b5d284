"""Choosing a device (auto, cpu, cuda, cuda:N, mps) with what this machine actually has in view.

The devices come from the PyTorch check the plugin runs in a separate process (install.dependencies:
cached, else a TorchProbe in the background), never from importing torch into QGIS. A CUDA choice on a
machine without a usable GPU stays selectable (a project may be shared with a GPU machine; the algorithms
fall back to the CPU with a warning) but is marked "not available here", and a line says what auto means.

    combo = DeviceCombo(); info = QLabel(); combo.describe_into(info)
    combo.value()            # 'auto', 'cpu', 'cuda', 'cuda:1'
"""

from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtWidgets import QComboBox

from ..i18n import tr

_PROBE = []  # the one background PyTorch check shared by every device list (it outlives the dialogs)


def shared_probe():
    """A running (or finished) TorchProbe of the plugin's PyTorch, started once."""
    from ..install import dependencies

    if not _PROBE or (_PROBE[0].info is None and not _PROBE[0].is_running()):
        probe = dependencies.TorchProbe()
        _PROBE[:] = [probe]
        probe.start()
    return _PROBE[0]


def stop_shared_probe():
    """Stop a check still running (plugin unload) and forget it."""
    if _PROBE and _PROBE[0].is_running():
        _PROBE[0].cancel()
    _PROBE[:] = []


def device_summary(info):
    """One line for people: which devices PyTorch sees here and what auto means; None while unknown."""
    if info is None:
        return tr("Checking which devices PyTorch sees…")
    if not info.usable:
        why = info.error or (tr("too old") if info.found else tr("not found"))
        return tr("PyTorch is not usable here ({}): install it with Raster > Epitome > Install or update "
                  "PyTorch.").format(why)
    if info.cuda_available and info.devices:
        gpus = ", ".join("cuda:{} {}".format(i, n) for i, n in enumerate(info.devices))
        return tr("This machine: {}; auto runs on cuda:0.").format(gpus)
    if getattr(info, "mps_available", False):
        return tr("This machine: the Apple GPU (mps); auto runs on it, in full 32-bit precision, and on the CPU for "
                  "any step it cannot do.")
    why = tr("CPU build of PyTorch") if info.cpu_build else tr("no NVIDIA GPU or driver found")
    return tr("This machine: CPU only ({}); auto and cuda run on the CPU.").format(why)


def device_entries(info, system=None):
    """[(value, text, enabled-looking, tooltip)] for a device list: auto, cpu, then the Apple GPU (mps) where
    PyTorch has it, then CUDA devices (none on macOS, where CUDA never exists)."""
    import platform

    gpus = list(info.devices) if info is not None and info.cuda_available else []
    known = info is not None
    out = [("auto", "auto", True, tr("The first CUDA GPU when PyTorch sees one, else the Apple GPU (mps), else the "
                                     "CPU.")),
           ("cpu", "cpu", True, tr("Always the CPU."))]
    if known and getattr(info, "mps_available", False):
        out.append(("mps", tr("mps (Apple GPU)"), True, tr("The GPU of this Apple-silicon Mac, through PyTorch's MPS; "
                                                         "steps it cannot do run on the CPU.")))
    if (system or platform.system()) == "Darwin" and not gpus:
        return out
    if gpus:
        out.append(("cuda", "cuda", True, tr("The current CUDA GPU ({}).").format(gpus[0])))
        out += [("cuda:{}".format(i), "cuda:{} ({})".format(i, n), True, n) for i, n in enumerate(gpus)]
    else:
        out.append(("cuda", tr("cuda (not available here)") if known else "cuda", not known,
                    tr("No CUDA GPU is usable on this machine: a run asking for cuda falls back to the CPU with "
                       "a warning.") if known else tr("An NVIDIA GPU through CUDA.")))
    return out


class DeviceCombo(QComboBox):
    """An editable device list (cuda:N can be typed) filled from the PyTorch check."""

    devicesKnown = pyqtSignal(object)  # TorchInfo  # noqa: N815

    def __init__(self, parent=None, value="auto", probe=True):
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.NoInsert)
        self.info = None
        self._labels = []
        self.fill(None)
        self.set_value(value)
        if probe:
            self.refresh()

    # ---- contents -------------------------------------------------------------------------------
    def fill(self, info):
        current = self.value() if self.count() else None
        self.info = info
        self.blockSignals(True)
        self.clear()
        for value, text, enabled, tip in device_entries(info):
            self.addItem(text, value)
            i = self.count() - 1
            self.setItemData(i, tip, Qt.ToolTipRole)
            if not enabled:  # greyed, still selectable: the algorithms fall back to the CPU
                self.setItemData(i, self.palette().color(self.palette().Disabled, self.palette().Text),
                                 Qt.ForegroundRole)
        self.blockSignals(False)
        if current:
            self.set_value(current)
        for label in self._labels:
            self._describe(label)
        self.setToolTip(device_summary(info))

    def refresh(self):
        """Use the cached PyTorch check, or run one in the background."""
        from ..install import dependencies

        info = dependencies.cached_info()
        if info is not None:
            self.fill(info)
            self.devicesKnown.emit(info)
            return
        probe = shared_probe()
        if probe.info is not None:
            self._probed(probe.info)
        else:
            probe.finished.connect(self._probed)

    def _probed(self, info):
        try:
            self.fill(info)
        except RuntimeError:  # the dialog was closed before the check ended
            return
        self.devicesKnown.emit(info)

    # ---- value ----------------------------------------------------------------------------------
    def value(self):
        """The DEVICE value: the chosen entry's, or what was typed (lower case, no spaces)."""
        i = self.findText(self.currentText())
        if i >= 0 and self.itemData(i):
            return str(self.itemData(i))
        return self.currentText().strip().lower().replace(" ", "") or "auto"

    def set_value(self, value):
        value = str(value or "auto").strip().lower()
        i = self.findData(value)
        if i >= 0:
            self.setCurrentIndex(i)
        else:
            self.setEditText(value)

    def unavailable(self):
        """True when the chosen value asks for a GPU (CUDA or mps) the check did not find."""
        v = self.value()
        if self.info is None:
            return False
        if v == "mps":
            return not getattr(self.info, "mps_available", False)
        return v.startswith("cuda") and not (self.info.cuda_available and self.info.devices)

    # ---- the line under the combo ----------------------------------------------------------------
    def describe_into(self, label):
        """Keep `label` showing what this machine has (and a warning when CUDA is chosen without a GPU)."""
        self._labels.append(label)
        label.setWordWrap(True)
        self.currentTextChanged.connect(lambda _=None, lab=label: self._describe(lab))
        self._describe(label)

    def _describe(self, label):
        text = device_summary(self.info)
        if self.unavailable():
            text = tr("{} {} was chosen: this run will use the CPU.").format(text, self.value())
            label.setStyleSheet("color: #8a6d00;")
        else:
            label.setStyleSheet("color: #555;")
        label.setText(text)
