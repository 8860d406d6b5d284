"""DEVICE says what this machine has: the device list of the wizard, the options page and the algorithm dialogs."""

import pytest
from qgis.PyQt.QtCore import QCoreApplication

from qgis_scenes import wait_for


def info(**kw):
    from epitome.plugin.install.dependencies import TorchInfo

    base = dict(found=True, version="2.13.0", folder="/x")
    base.update(kw)
    return TorchInfo(**base)


def test_cpu_only_machine_marks_cuda_unavailable(qgis_app):
    from qgis.PyQt.QtWidgets import QLabel

    from epitome.plugin.gui.device_choice import DeviceCombo

    combo = DeviceCombo(probe=False)
    label = QLabel()
    combo.describe_into(label)
    combo.fill(info(cuda_version=""))  # the CPU build
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert texts == ["auto", "cpu", "cuda (not available here)"]
    assert "CPU only" in label.text() and "auto and cuda run on the CPU" in label.text()
    combo.set_value("cuda")
    assert combo.value() == "cuda" and combo.unavailable() and "this run will use the CPU" in label.text()
    combo.setEditText("cuda:1")  # typed by hand still works (a project shared with a GPU machine)
    assert combo.value() == "cuda:1"
    combo.set_value("cpu")
    assert not combo.unavailable() and "will use the CPU" not in label.text()
    combo.deleteLater()


def test_gpu_machine_lists_its_gpus(qgis_app):
    from epitome.plugin.gui.device_choice import DeviceCombo, device_summary

    combo = DeviceCombo(probe=False, value="cuda:1")
    gpus = info(cuda_version="12.4", cuda_available=True, devices=["NVIDIA A", "NVIDIA B"])
    combo.fill(gpus)
    values = [combo.itemData(i) for i in range(combo.count())]
    assert values == ["auto", "cpu", "cuda", "cuda:0", "cuda:1"]
    assert combo.value() == "cuda:1" and combo.currentText() == "cuda:1 (NVIDIA B)" and not combo.unavailable()
    assert "cuda:0 NVIDIA A" in device_summary(gpus) and "auto runs on cuda:0" in device_summary(gpus)
    assert "not usable" in device_summary(info(found=False, error="No module named 'torch'"))
    combo.deleteLater()


def test_real_check_fills_the_list(qgis_app):
    """The background PyTorch check of this machine (no GPU here): cuda is marked, auto means the CPU."""
    from epitome.plugin.gui.device_choice import DeviceCombo

    combo = DeviceCombo()
    assert wait_for(lambda: combo.info is not None, 120)
    if combo.info.usable and not combo.info.cuda_available:
        assert "not available here" in combo.itemText(combo.findData("cuda"))
    combo.deleteLater()
    QCoreApplication.processEvents()


@pytest.fixture
def dialog_for(qgis_app, qgis_iface, qgis_processing, epitome_provider, monkeypatch):
    import processing

    if not hasattr(qgis_iface, "browserModel"):
        monkeypatch.setattr(qgis_iface, "browserModel", lambda: None, raising=False)
    made = []

    def make(alg_id):
        d = processing.createAlgorithmDialog(alg_id)
        made.append(d)
        return d

    yield make
    for d in made:
        d.deleteLater()
    QCoreApplication.processEvents()


@pytest.mark.parametrize("alg_id", ["epitome:selfepitomiclsr", "epitome:trainepitome"])
def test_algorithm_dialogs_show_the_device_list(dialog_for, alg_id):
    from qgis.core import QgsApplication

    from epitome.plugin.gui.device_wrapper import DeviceWidgetWrapper

    param = QgsApplication.processingRegistry().algorithmById(alg_id).parameterDefinition("DEVICE")
    assert param.defaultValue() == "auto" and "devices found on this machine" in param.help()
    dlg = dialog_for(alg_id)
    w = dlg.mainWidget().wrappers["DEVICE"]
    assert isinstance(w, DeviceWidgetWrapper)
    assert w.value() == "auto"
    dlg.setParameters({"DEVICE": "cpu"})  # as a history entry or "Run again" would
    assert w.value() == "cpu" and w.combo.currentText() == "cpu"
    assert w.info_label.text()  # what this machine has (or that it is being checked)


def test_modeler_keeps_a_plain_text_device(qgis_app, qgis_processing, epitome_provider):
    from processing.gui.wrappers import WidgetWrapperFactory
    from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingModelAlgorithm
    from qgis.gui import QgsProcessingModelerParameterWidget
    from qgis.PyQt.QtWidgets import QDialog

    param = QgsApplication.processingRegistry().algorithmById("epitome:selfepitomiclsr").parameterDefinition("DEVICE")

    class ModelerParametersDialog(QDialog):
        def __init__(self):
            super().__init__()
            self.model = QgsProcessingModelAlgorithm()
            self.childId = ""
            self.context = QgsProcessingContext()

    md = ModelerParametersDialog()
    assert isinstance(WidgetWrapperFactory.create_wrapper(param, md), QgsProcessingModelerParameterWidget)
    md.deleteLater()
