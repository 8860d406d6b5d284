"""The install path as a Windows (OSGeo4W, standalone installer) and a macOS (official bundle) user meets it,
simulated: QGIS's Python found in each layout, the dependency folder in the active profile of each OS, the
"PyTorch missing" message (the installer first, the exact command of that platform as fallback), the builds the
installer dialog offers (never CUDA on macOS) with what it installs and its size, and its log following pip."""

import ntpath
import os
import sys

import pytest

OSGEO4W = {  # QGIS 3.22 from the OSGeo4W network installer
    "executable": r"C:\OSGeo4W\bin\qgis-ltr-bin.exe", "base_prefix": r"C:\OSGeo4W\apps\Python39",
    "files": {r"C:\OSGeo4W\apps\Python39\python.exe", r"C:\OSGeo4W\bin\python3.exe",
              r"C:\OSGeo4W\bin\qgis-ltr-bin.exe"},
    "python": r"C:\OSGeo4W\apps\Python39\python.exe"}
STANDALONE = {  # QGIS 3.22 from the standalone MSI: a folder with spaces
    "executable": r"C:\Program Files\QGIS 3.22.16\bin\qgis-ltr-bin.exe",
    "base_prefix": r"C:\Program Files\QGIS 3.22.16\apps\Python39",
    "files": {r"C:\Program Files\QGIS 3.22.16\apps\Python39\python.exe"},
    "python": r"C:\Program Files\QGIS 3.22.16\apps\Python39\python.exe"}
MAC_BUNDLE = {  # the official macOS bundle
    "executable": "/Applications/QGIS-LTR.app/Contents/MacOS/QGIS",
    "base_prefix": "/Applications/QGIS-LTR.app/Contents/MacOS",
    "files": {"/Applications/QGIS-LTR.app/Contents/MacOS/bin/python3.9"},
    "python": "/Applications/QGIS-LTR.app/Contents/MacOS/bin/python3.9"}


@pytest.mark.parametrize("layout,system", [(OSGEO4W, "Windows"), (STANDALONE, "Windows"), (MAC_BUNDLE, "Darwin")],
                         ids=["osgeo4w", "standalone", "macos-bundle"])
def test_qgis_python_is_found_in_each_layout(qgis_app, layout, system):
    from epitome.plugin.install.dependencies import find_python

    found = find_python(system, layout["executable"], layout["base_prefix"], layout["base_prefix"], (3, 9),
                        lambda p: p in layout["files"])
    assert found == layout["python"]


def test_dependency_folder_is_in_each_os_profile(qgis_app):
    from epitome.plugin.install import deps

    win = deps.os_profile_folder("Windows", {"APPDATA": r"C:\Users\ana\AppData\Roaming"}, r"C:\Users\ana")
    assert win == r"C:\Users\ana\AppData\Roaming\QGIS\QGIS3\profiles\default"
    assert deps.os_profile_folder("Darwin", {}, "/Users/ana") == \
        "/Users/ana/Library/Application Support/QGIS/QGIS3/profiles/default"
    assert deps.os_profile_folder("Linux", {}, "/home/ana") == "/home/ana/.local/share/QGIS/QGIS3/profiles/default"


def test_default_folder_follows_the_active_qgis_profile(qgis_app, monkeypatch, tmp_path):
    """In QGIS the folder is the active profile's (QGIS's own settings directory), whatever the OS or profile."""
    from qgis.core import QgsApplication

    from epitome.plugin.install import deps

    profile = tmp_path / "profiles" / "work"
    monkeypatch.delenv("EPITOME_DEPS", raising=False)
    monkeypatch.setattr(QgsApplication, "qgisSettingsDirPath", staticmethod(lambda: str(profile) + "/"))
    assert deps.default_folder() == os.path.join(str(profile), "python", "epitome-deps")
    assert os.path.join(str(profile), "python", "epitome-deps") in deps.candidate_folders()
    monkeypatch.setenv("EPITOME_DEPS", str(tmp_path / "mine"))
    assert deps.default_folder() == str(tmp_path / "mine")


@pytest.mark.parametrize("layout", [OSGEO4W, STANDALONE], ids=["osgeo4w", "standalone"])
def test_missing_pytorch_message_on_windows(qgis_app, layout):
    from epitome.plugin.install.dependencies import install_hint_text

    folder = r"C:\Users\ana\AppData\Roaming\QGIS\QGIS3\profiles\default\python\epitome-deps"
    text = install_hint_text(folder, "Windows", layout["python"], "AMD64", (3, 9))
    assert text.index("Raster > Epitome > Install or update PyTorch") < text.index("OSGeo4W Shell")
    cmd = text.split(": ", 1)[1].rsplit(": ", 1)[1]
    python = '"{}"'.format(layout["python"]) if " " in layout["python"] else layout["python"]
    assert cmd.startswith(python + " -m pip install --target " + folder)  # quoted for cmd.exe where needed
    assert cmd.endswith("torch==2.8.0")  # Python 3.9: the last release for it; PyPI's Windows build is CPU-only
    assert ".local" not in text and "~/" not in text and "/usr/bin" not in text


def test_missing_pytorch_message_on_macos(qgis_app):
    from epitome.plugin.install.dependencies import install_hint_text

    folder = "/Users/ana/Library/Application Support/QGIS/QGIS3/profiles/default/python/epitome-deps"
    text = install_hint_text(folder, "Darwin", MAC_BUNDLE["python"], "x86_64", (3, 9))
    assert "Install or update PyTorch" in text and "Terminal" in text
    assert "'{}'".format(folder) in text and text.endswith("torch==2.2.2")  # the last release for Intel Macs
    assert "download.pytorch.org" not in text  # macOS wheels come from PyPI; never a CUDA index
    none = install_hint_text(folder, "Darwin", MAC_BUNDLE["python"], "x86_64", (3, 13))
    assert "No PyTorch build exists" in none and "Intel Macs" in none


def test_every_algorithm_points_to_the_installer_when_pytorch_is_missing(epitome_provider, monkeypatch):
    from qgis.core import QgsApplication

    from epitome.plugin.processing.provider import set_install_hint

    set_install_hint()
    monkeypatch.setitem(sys.modules, "torch", None)
    algs = [a for a in QgsApplication.processingRegistry().algorithms() if a.provider().id() == "epitome"
            and a.canExecute() != (True, "")]
    checked = 0
    for alg in algs:
        ok, msg = alg.canExecute()
        if ok:
            continue
        checked += 1
        assert "Raster > Epitome > Install or update PyTorch" in msg and "-m pip install --target" in msg, alg.id()
    assert checked >= 5


@pytest.fixture
def simulated(monkeypatch):
    """simulated(system, machine, mac_release): torch_builds sees another platform."""
    from epitome.plugin.install import torch_builds

    def make(system, machine, mac="14.5"):
        monkeypatch.setattr(torch_builds.platform, "system", lambda: system)
        monkeypatch.setattr(torch_builds.platform, "machine", lambda: machine)
        monkeypatch.setattr(torch_builds.platform, "mac_ver", lambda: (mac, ("", "", ""), ""))

    return make


def installer(qgis_app, folder):
    from epitome.plugin.install.installer_dialog import DependencyDialog

    return DependencyDialog(folder=folder, check_on_open=False)


def builds_offered(dlg):
    return [dlg.variant_combo.itemData(i) for i in range(dlg.variant_combo.count())]


def test_installer_on_apple_silicon_offers_the_one_macos_build(qgis_app, simulated, tmp_path):
    simulated("Darwin", "arm64")
    dlg = installer(qgis_app, str(tmp_path))
    try:
        assert builds_offered(dlg) == ["default"]  # never a CUDA build on macOS
        what = dlg.what_label.text()
        assert "PyTorch 2.13.0" in what and "Apple GPU" in what and "111 MB" in what and "pypi.org" in what
        assert "--index-url" not in dlg.command_label.text()
    finally:
        dlg.deleteLater()


def test_installer_on_an_intel_mac(qgis_app, simulated, tmp_path):
    simulated("Darwin", "x86_64")
    dlg = installer(qgis_app, str(tmp_path))
    try:
        assert builds_offered(dlg) == ["default"] and "PyTorch 2.2.2" in dlg.what_label.text()
    finally:
        dlg.deleteLater()


def test_installer_on_windows_says_what_and_how_big(qgis_app, simulated, tmp_path):
    simulated("Windows", "AMD64")
    dlg = installer(qgis_app, str(tmp_path))
    try:
        assert builds_offered(dlg)[0] == "cpu" and "cu128" in builds_offered(dlg)
        assert "122 MB" in dlg.what_label.text() and "Windows" in dlg.what_label.text()
        dlg.set_variant("cu128")
        assert "CUDA 12.8" in dlg.what_label.text() and "3.0 GB" in dlg.what_label.text()
        assert "download.pytorch.org/whl/cu128" in dlg.command_label.text()
    finally:
        dlg.deleteLater()


def test_installer_on_linux_says_the_cpu_build_and_its_size(qgis_app, tmp_path):
    dlg = installer(qgis_app, str(tmp_path / "deps"))
    try:
        what = dlg.what_label.text()
        assert "PyTorch 2.13.0 (CPU)" in what and "192 MB to download" in what
        assert "download.pytorch.org/whl/cpu" in what and str(tmp_path / "deps") in dlg.command_label.text()
    finally:
        dlg.deleteLater()


def test_installer_log_follows_pip_while_it_retries(qgis_app, tmp_path):
    """pip's retries print long lines that wrap; the log keeps the newest line in view as lines come, also after
    the user scrolled up to read one (Qt's own follow stops there for good)."""
    from qgis.PyQt.QtCore import QCoreApplication

    dlg = installer(qgis_app, str(tmp_path))
    try:
        dlg.resize(600, 500)
        dlg.show()
        QCoreApplication.processEvents()
        bar = dlg.output.verticalScrollBar()
        for i in range(120):
            if i == 60:  # the user scrolls up to read a retry warning
                bar.setValue(bar.value() - 5 * bar.singleStep())
                QCoreApplication.processEvents()
            dlg._append_line("WARNING: Retrying (Retry(total={}, connect=None, read=None, redirect=None, status=None)) "
                             "after connection broken by 'NewConnectionError(...: Failed to establish a new "
                             "connection: [Errno -3] Temporary failure in name resolution')': /whl/cpu/torch/".format(i))
            QCoreApplication.processEvents()
            assert bar.maximum() == 0 or bar.value() == bar.maximum(), i
        assert bar.maximum() > 0
    finally:
        dlg.hide()
        dlg.deleteLater()


def test_windows_command_quoting(qgis_app):
    from epitome.plugin.install.dependencies import quote_command

    line = quote_command([STANDALONE["python"], "-m", "pip", "install", "--target", r"C:\a b\deps"], "Windows")
    assert line == r'"C:\Program Files\QGIS 3.22.16\apps\Python39\python.exe" -m pip install --target "C:\a b\deps"'
    assert ntpath.basename(STANDALONE["python"]) == "python.exe"
