"""The plugin object in a (pytest-qgis) QGIS interface: menu, toolbar, dock, options page, unload;
and the user settings reaching the algorithms."""


import pytest

from qgis_scenes import FAST

pytest.importorskip("torch")


@pytest.fixture
def plugin(qgis_app, qgis_iface, qgis_processing, monkeypatch):
    from qgis.core import QgsApplication

    from epitome.plugin.plugin import EpitomePlugin

    # Another test may have registered the session's provider already: then the plugin must leave it alone.
    qgis_iface.had_provider = QgsApplication.processingRegistry().providerById("epitome") is not None
    # pytest-qgis' interface lacks the raster-menu and dock-removal calls of the real QgisInterface
    menu = []
    monkeypatch.setattr(qgis_iface, "addPluginToRasterMenu", lambda name, a: menu.append(a), raising=False)
    monkeypatch.setattr(qgis_iface, "removePluginRasterMenu", lambda name, a: menu.remove(a), raising=False)
    monkeypatch.setattr(qgis_iface, "removeDockWidget", lambda d: None, raising=False)
    qgis_iface.raster_menu = menu

    p = EpitomePlugin(qgis_iface)
    p.initGui()
    yield p
    p.unload()


def test_menu_toolbar_dock_and_unload(plugin, qgis_iface):
    from qgis.core import QgsApplication

    texts = [a.text() for a in plugin.actions]
    for want in ("Label super-resolution wizard…", "Training monitor", "Train epitomes…",
                 "Estimate composition from a labelled area…", "Install or update PyTorch…", "About Epitome"):
        assert want in texts, texts
    assert plugin.toolbar is not None and len(plugin.toolbar.actions()) == 2
    assert plugin.monitor is not None and plugin.monitor.isHidden()
    monitor_action = [a for a in plugin.actions if a.text() == "Training monitor"][0]
    monitor_action.trigger()
    assert plugin.monitor.isVisible() or not plugin.monitor.isHidden()
    assert QgsApplication.processingRegistry().providerById("epitome") is not None
    wiz = plugin.open_wizard()
    assert wiz.isVisible() and wiz.layers.imagery is not None
    assert len(qgis_iface.raster_menu) == len(texts)
    plugin.unload()
    assert qgis_iface.raster_menu == []
    assert plugin.actions == [] and plugin.monitor is None and plugin.wizard is None
    reg = QgsApplication.processingRegistry()
    assert (reg.providerById("epitome") is not None) == qgis_iface.had_provider  # removed only its own
    plugin.initGui()  # loads again after an unload (plugin reloader)
    assert reg.providerById("epitome") is not None


@pytest.fixture
def saved_settings():
    from qgis.core import QgsSettings

    keys = ["epitome/default_device", "epitome/memory_budget_mb"]
    old = {k: QgsSettings().value(k) for k in keys}
    yield
    for k, v in old.items():
        if v is None:
            QgsSettings().remove(k)
        else:
            QgsSettings().setValue(k, v)


def test_default_device_setting_applies_to_auto(epitome_provider, scene, tmp_path, saved_settings,
                                                recording_feedback):
    import processing
    import torch

    from epitome.plugin import settings

    settings.set_default_device("cuda")  # auto must now ask for CUDA: run there on a GPU machine, else fall back
    fb = recording_feedback()
    res = processing.run("epitome:selfepitomiclsr", dict(FAST, IMAGERY=scene.imagery, CLASSES=scene.classes,
                                                         DEVICE="auto", OUTPUT=str(tmp_path / "a.tif")), feedback=fb)
    if torch.cuda.is_available():  # (it asserted "cpu" and failed on any GPU machine)
        assert res["DEVICE_USED"].startswith("cuda")
        assert not any("CUDA is not available" in w for w in fb.warnings), fb.warnings
    else:
        assert res["DEVICE_USED"] == "cpu"
        assert any("CUDA" in w or "cuda" in w for w in fb.warnings), fb.warnings
    settings.set_default_device("cpu")
    fb = recording_feedback()
    processing.run("epitome:selfepitomiclsr", dict(FAST, IMAGERY=scene.imagery, CLASSES=scene.classes,
                                                   DEVICE="auto", OUTPUT=str(tmp_path / "b.tif")), feedback=fb)
    assert not any("CUDA" in w for w in fb.warnings)


def test_memory_budget_changes_blocks_not_results(epitome_provider, scene, tmp_path, saved_settings):
    import numpy as np
    import processing

    from epitome.plugin import settings
    from epitome.plugin.processing.base import block_elements_setting

    from qgis_scenes import read

    settings.set_memory_budget_mb(0)
    assert block_elements_setting(1 << 24) == 1 << 24
    a = processing.run("epitome:selfepitomiclsr", dict(FAST, IMAGERY=scene.imagery, CLASSES=scene.classes,
                                                       OUTPUT=str(tmp_path / "a.tif")))["OUTPUT"]
    settings.set_memory_budget_mb(16)  # 16 MiB: blocks of 2^18 logits
    assert block_elements_setting(1 << 24) == 1 << 18
    b = processing.run("epitome:selfepitomiclsr", dict(FAST, IMAGERY=scene.imagery, CLASSES=scene.classes,
                                                       OUTPUT=str(tmp_path / "b.tif")))["OUTPUT"]
    assert np.array_equal(read(a), read(b))
