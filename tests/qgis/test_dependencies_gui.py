"""The PyTorch installer and settings: subprocess check, pip command, installer dialog (fake commands,
real widgets offscreen), settings, the options page and the start-up check. Nothing is downloaded."""

import os
import sys
import time

import pytest

from qgis_scenes import wait_for as scenes_wait_for

TIMEOUT = 120  # s; importing torch in a child process on a busy 2-core machine


def wait_for(cond, timeout=TIMEOUT):
    if not scenes_wait_for(cond, timeout):
        raise AssertionError(f"condition not met within {timeout} s")


def torch_folder():
    from epitome.plugin.install.deps import default_folder

    f = default_folder()
    return f if os.path.isdir(os.path.join(f, "torch")) else None


needs_torch_folder = pytest.mark.skipif(torch_folder() is None, reason="PyTorch not installed (make torch-deps)")

KEYS = ["epitome/default_device", "epitome/memory_budget_mb", "epitome/dependency_folder"]


@pytest.fixture
def clean_settings(qgis_app):
    """Epitome's settings keys emptied for the test and restored afterwards."""
    from qgis.core import QgsSettings

    s = QgsSettings()
    saved = {k: (s.contains(k), s.value(k)) for k in KEYS}
    for k in KEYS:
        s.remove(k)
    yield s
    for k, (had, v) in saved.items():
        if had:
            s.setValue(k, v)
        else:
            s.remove(k)


@pytest.fixture
def make_dialog(qgis_app, clean_settings):
    made = []

    def make(command, **kw):
        from epitome.plugin.install.installer_dialog import DependencyDialog

        kw.setdefault("check_on_open", False)
        dlg = DependencyDialog(command_factory=lambda folder, variant: command, **kw)
        results = []
        dlg.installFinished.connect(lambda ok, msg: results.append((ok, msg)))
        made.append(dlg)
        return dlg, results

    yield make
    for dlg in made:
        dlg.done(0)
        dlg.deleteLater()
    from qgis.PyQt.QtCore import QCoreApplication

    QCoreApplication.processEvents()


# --- check_torch ----------------------------------------------------------------------------------
@needs_torch_folder
def test_check_torch_finds_the_installed_torch(qgis_app):
    from epitome.plugin.install.dependencies import check_torch, gpu_report

    info = check_torch(torch_folder())
    assert info.found and not info.error, info
    assert info.version.startswith("2.13")
    assert info.cuda_available is False and info.devices == []
    assert os.path.normpath(info.folder) == os.path.normpath(torch_folder())
    ok, text = gpu_report(info)
    assert not ok and "CPU build" in text


def test_check_torch_reports_an_empty_folder(qgis_app, tmp_path):
    from epitome.plugin.install.dependencies import check_torch

    info = check_torch(str(tmp_path))
    assert not info.found and "torch" in info.error
    assert info.version == "" and info.folder == ""


def test_a_crashing_torch_cannot_take_qgis_down(qgis_app, tmp_path):
    from epitome.plugin.install.dependencies import check_torch

    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text("import os\nos.abort()\n")
    info = check_torch(str(tmp_path))
    assert not info.found and "exit code" in info.error


def test_torch_findable_does_not_import_torch(qgis_app, monkeypatch):
    from epitome.plugin.install import dependencies

    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert dependencies.torch_findable() is (torch_folder() is not None or dependencies.importlib.util.find_spec(
        "torch") is not None)
    assert "torch" not in sys.modules


# --- pip command ----------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["cpu", "cu126", "cu128", "cu130"])
def test_pip_command_pins_qgis_numpy_and_gdal(qgis_app, tmp_path, variant):
    import numpy
    from osgeo import gdal

    from epitome.plugin.install.dependencies import pip_command

    target = str(tmp_path / "deps")
    cmd = pip_command(target, variant)
    assert cmd[1:4] == ["-m", "pip", "install"]
    assert os.path.basename(cmd[0]).startswith("python")
    assert cmd[cmd.index("--target") + 1] == target and "--upgrade" in cmd
    assert cmd[cmd.index("--index-url") + 1] == f"https://download.pytorch.org/whl/{variant}"
    assert cmd[-1] == "torch==2.13.0"
    with open(cmd[cmd.index("--constraint") + 1]) as f:
        constraints = f.read().split()
    assert f"numpy=={numpy.__version__}" in constraints and f"GDAL=={gdal.__version__}" in constraints
    option_values = {cmd[i + 1] for i, a in enumerate(cmd) if a in ("--target", "--constraint", "--index-url",
                                                                     "--progress-bar")}
    requirements = [a for a in cmd[4:] if not a.startswith("-") and a not in option_values]
    assert requirements == ["torch==2.13.0"]
    assert not any("numpy" in a.lower() for a in cmd)


def test_pip_command_rejects_unknown_variants(qgis_app, tmp_path):
    from epitome.plugin.install.dependencies import pip_command

    with pytest.raises(ValueError, match="cu99"):
        pip_command(str(tmp_path), "cu99")


def test_clean_target_removes_numpy_only(qgis_app, tmp_path):
    from epitome.plugin.install.dependencies import clean_target

    for d in ("numpy", "numpy-2.3.0.dist-info", "numpy.libs", "torch", "numpyro"):
        (tmp_path / d).mkdir()
    removed = clean_target(str(tmp_path))
    assert sorted(os.path.basename(p) for p in removed) == ["numpy", "numpy-2.3.0.dist-info", "numpy.libs"]
    assert sorted(os.listdir(tmp_path)) == ["numpyro", "torch"]


# --- installer dialog -----------------------------------------------------------------------------
@needs_torch_folder
def test_dialog_successful_install_shows_output_and_result(make_dialog, clean_settings):
    from epitome.plugin import settings

    cmd = [sys.executable, "-c", "print('Collecting torch==2.13.0'); print('Successfully installed torch-2.13.0')"]
    dlg, results = make_dialog(cmd, folder=torch_folder())
    dlg.set_variant("cu128")
    assert dlg.variant() == "cu128" and "NVIDIA driver" in dlg.variant_hint.text()
    assert dlg.start_install()
    assert not dlg.install_button.isEnabled() and dlg.stop_button.isEnabled()
    wait_for(lambda: results)
    ok, msg = results[0]
    assert ok is True and dlg.result_ok is True, msg
    text = dlg.output_text()
    assert "Collecting torch==2.13.0" in text and "Successfully installed torch-2.13.0" in text
    assert "2.13.0" in dlg.result_label.text() and "CPU build" in dlg.result_label.text()
    assert dlg.install_button.isEnabled() and not dlg.stop_button.isEnabled()
    assert os.path.normpath(torch_folder()) in sys.path
    assert settings.dependency_folder() == os.path.normpath(torch_folder())


def test_dialog_installs_dask_after_torch(make_dialog, clean_settings, tmp_path):
    """Ticked 'Also install Dask': after PyTorch is verified, the dask command runs into the same folder and the
    result line says so (a fake pip for both; the real commands are checked below)."""
    from epitome.plugin.install import dependencies

    torch_cmd = [sys.executable, "-c", "print('Successfully installed torch-2.13.0')"]
    seen = []
    dask_cmd = lambda folder: seen.append(folder) or [sys.executable, "-c",  # noqa: E731
                                                      "print('Successfully installed dask-2026.8.0')"]
    dlg, results = make_dialog(torch_cmd, folder=torch_folder(), dask_command_factory=dask_cmd)
    assert dlg.dask_check.isChecked()
    assert dlg.start_install()
    wait_for(lambda: results)
    ok, msg = results[0]
    assert ok is True and "Dask installed" in msg, msg
    assert seen == [os.path.normpath(torch_folder())] or seen == [torch_folder()]
    assert "Successfully installed dask-2026.8.0" in dlg.output_text()
    cmd = dependencies.dask_pip_command(str(tmp_path), constraints="c.txt", python="py")
    assert cmd[:6] == ["py", "-m", "pip", "install", "--target", str(tmp_path)]
    assert cmd[-1] == dependencies.DASK_REQUIREMENT == "dask[distributed]==2026.8.0" and "--upgrade" not in cmd
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "Makefile")) as fh:
        assert "DASK_VERSION := 2026.8.0" in fh.read()  # one version for make install and the dialog


def test_dialog_failed_install_shows_exit_code_and_error(make_dialog, tmp_path):
    cmd = [sys.executable, "-c", "import sys; print('Looking in indexes: x'); "
           "print('ERROR: No matching distribution found for torch==9.9'); sys.exit(1)"]
    dlg, results = make_dialog(cmd, folder=str(tmp_path / "deps"))
    assert dlg.start_install()
    wait_for(lambda: results, 60)
    ok, msg = results[0]
    assert ok is False and dlg.result_ok is False
    label = dlg.result_label.text()
    assert "exit code 1" in label and "No matching distribution found" in label
    assert "another" in label  # the hint: try another build
    assert "Looking in indexes: x" in dlg.output_text()
    assert dlg.install_button.isEnabled()


def test_dialog_stop_kills_a_long_install(make_dialog, tmp_path):
    cmd = [sys.executable, "-c", "import time; print('Collecting torch', flush=True); time.sleep(120)"]
    dlg, results = make_dialog(cmd, folder=str(tmp_path / "deps"))
    assert dlg.start_install()
    wait_for(lambda: "Collecting torch" in dlg.output_text(), 60)
    t0 = time.time()
    dlg.stop_button.click()
    wait_for(lambda: results, 30)
    assert time.time() - t0 < 30
    assert results[0][0] is False and "stopped" in dlg.result_label.text().lower()
    assert not dlg.is_running()


def test_dialog_command_that_cannot_start(make_dialog, tmp_path):
    dlg, results = make_dialog([str(tmp_path / "no-such-python")], folder=str(tmp_path / "deps"))
    dlg.start_install()
    wait_for(lambda: results, 30)
    assert results[0][0] is False and "no-such-python" in dlg.result_label.text()


@needs_torch_folder
def test_dialog_shows_the_current_status(make_dialog):
    dlg, _ = make_dialog([sys.executable, "-c", "pass"], check_on_open=True)
    wait_for(lambda: dlg.info is not None)
    assert dlg.info.found and dlg.status_label.text().startswith("2.13")
    assert "CPU build" in dlg.cuda_label.text()
    tips = [w.toolTip() for w in (dlg.variant_combo, dlg.folder_widget, dlg.install_button, dlg.stop_button,
                                  dlg.output)]
    assert all(tips)


# --- settings -------------------------------------------------------------------------------------
def test_settings_round_trip_and_resolve_device(clean_settings):
    from epitome.plugin import settings
    from epitome.plugin.install import deps

    assert settings.default_device() == "auto"
    assert settings.memory_budget_mb() == 0
    assert settings.dependency_folder() == deps.default_folder()
    assert settings.resolve_device("auto") == "auto" and settings.resolve_device("") == "auto"
    settings.set_default_device("CUDA:1")
    settings.set_memory_budget_mb(2048)
    settings.set_dependency_folder("/tmp/epitome-test-deps")
    assert settings.default_device() == "cuda:1"
    assert settings.memory_budget_mb() == 2048
    assert settings.dependency_folder() == os.path.normpath("/tmp/epitome-test-deps")
    assert deps.candidate_folders()[0] == os.path.normpath("/tmp/epitome-test-deps")
    assert settings.resolve_device("auto") == "cuda:1" and settings.resolve_device(None) == "cuda:1"
    assert settings.resolve_device("cpu") == "cpu" and settings.resolve_device("cuda:0") == "cuda:0"
    with pytest.raises(ValueError):
        settings.set_default_device("gpu")
    settings.set_dependency_folder(deps.default_folder())
    assert settings.dependency_folder_setting() == ""


# --- options page ---------------------------------------------------------------------------------
def test_options_page_apply_and_gpu_test(clean_settings, tmp_path):
    from epitome.plugin import settings
    from epitome.plugin.gui.settings_page import EpitomeOptionsFactory

    factory = EpitomeOptionsFactory()
    assert factory.title() == "Epitome" and not factory.icon().isNull()
    page = factory.createWidget(None)
    try:
        assert {"auto", "cpu", "cuda"} <= set(page.device_choices())
        assert page.device_combo.currentText() == "auto" and page.memory_spin.value() == 0
        assert all(w.toolTip() for w in (page.device_combo, page.memory_spin, page.folder_widget,
                                         page.test_gpu_button, page.install_button))
        page.device_combo.setCurrentText("cpu")
        page.memory_spin.setValue(1024)
        page.folder_widget.setFilePath(str(tmp_path))
        assert page.apply()
        assert settings.default_device() == "cpu" and settings.memory_budget_mb() == 1024
        assert settings.dependency_folder() == os.path.normpath(str(tmp_path))
        page.device_combo.setCurrentText("tpu")
        assert not page.apply() and "tpu" in page.message_label.text()
        assert settings.default_device() == "cpu"

        page.folder_widget.setFilePath(torch_folder() or str(tmp_path))
        page.test_gpu_button.click()
        wait_for(lambda: page.gpu_ok is not None)
        assert page.gpu_ok is False
        text = page.gpu_label.text()
        assert "No CUDA" in text or "No GPU" in text
        if torch_folder():
            assert "CPU build" in text
        wait_for(lambda: page.probe is None or not page.probe.is_running())
    finally:
        page.deleteLater()


def test_register_and_unregister_options_page(qgis_app):
    from epitome.plugin.gui.settings_page import register_options_page, unregister_options_page

    class Iface:
        def __init__(self):
            self.calls = []

        def registerOptionsWidgetFactory(self, f):  # noqa: N802
            self.calls.append(("register", f))

        def unregisterOptionsWidgetFactory(self, f):  # noqa: N802
            self.calls.append(("unregister", f))

    iface = Iface()
    factory = register_options_page(iface)
    unregister_options_page(iface, factory)
    assert iface.calls == [("register", factory), ("unregister", factory)]
    assert register_options_page(object()) is not None  # an interface without options pages: no error


# --- start-up check -------------------------------------------------------------------------------
def test_startup_check_pushes_a_message_only_without_torch(qgis_iface, monkeypatch):
    from qgis.core import Qgis

    from epitome.plugin.install import dependencies

    messages = qgis_iface.messageBar().get_messages(Qgis.Warning)
    before = len(messages)
    monkeypatch.setattr(dependencies, "torch_findable", lambda: True)
    assert dependencies.startup_check(qgis_iface, lambda: None) is False
    assert len(messages) == before
    monkeypatch.setattr(dependencies, "torch_findable", lambda: False)
    assert dependencies.startup_check(qgis_iface, lambda: None) is True
    assert len(messages) == before + 1 and "Epitome needs PyTorch" in messages[-1]


def test_startup_check_install_button_opens_the_dialog(qgis_app, monkeypatch):
    from qgis.gui import QgsMessageBar
    from qgis.PyQt.QtWidgets import QPushButton

    from epitome.plugin.install import dependencies

    bar = QgsMessageBar()

    class Iface:
        def messageBar(self):  # noqa: N802
            return bar

    opened = []
    monkeypatch.setattr(dependencies, "torch_findable", lambda: False)
    assert dependencies.startup_check(Iface(), lambda: opened.append(1)) is True
    item = bar.currentItem()
    assert item is not None and "Epitome needs PyTorch" in item.title()
    buttons = [b for b in item.findChildren(QPushButton) if b.text() == "Install…"]
    assert len(buttons) == 1 and buttons[0].toolTip()
    buttons[0].click()
    assert opened == [1]
    bar.deleteLater()


def test_startup_check_never_raises(qgis_app, monkeypatch):
    from epitome.plugin.install import dependencies

    class Broken:
        def messageBar(self):  # noqa: N802
            raise RuntimeError("no bar")

    monkeypatch.setattr(dependencies, "torch_findable", lambda: False)
    assert dependencies.startup_check(Broken(), lambda: None) is False


def test_one_installation_at_a_time(qgis_app, tmp_path):
    """Two installer windows must not run pip into the same folder at once."""
    from epitome.plugin.install.installer_dialog import DependencyDialog

    slow = lambda folder, variant: [sys.executable, "-c", "import time; print('Collecting torch', flush=True); "  # noqa: E731
                                    "time.sleep(30)"]
    a = DependencyDialog(folder=str(tmp_path / "d"), command_factory=slow, check_on_open=False)
    b = DependencyDialog(folder=str(tmp_path / "d"), command_factory=slow, check_on_open=False)
    try:
        assert a.start_install()
        assert b.start_install() is False
        assert "Another PyTorch installation" in b.result_label.text() and not b.is_running()
        a.stop()
        wait_for(lambda: not a.is_running(), 30)
        assert b.start_install()  # free again
        b.stop()
        wait_for(lambda: not b.is_running(), 30)
    finally:
        a.done(0)
        b.done(0)
