"""Processing parameters are declared once: the QGIS definitions carry the core's defaults and ranges, every
parameter has help that renders completely as HTML, and checkParameterValues gives the core's messages."""

import pytest
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingParameterNumber
from qgis.PyQt.QtGui import QTextDocument


def algorithms():
    """The provider's algorithms (its example models declare nothing: tests/qgis/test_model.py checks them)."""
    return [a for a in QgsApplication.processingRegistry().providerById("epitome").algorithms()
            if hasattr(type(a), "PARAMETERS")]


def declarations(alg):
    return type(alg).PARAMETERS


def test_every_parameter_is_declared_with_help(epitome_provider):
    for alg in algorithms():
        names = [p.name() for p in alg.parameterDefinitions()]
        assert names == [d.name for d in declarations(alg)], alg.id()
        for p in alg.parameterDefinitions():
            assert p.help().strip(), (alg.id(), p.name())


def test_help_renders_completely_as_html(epitome_provider):
    """QGIS shows help as HTML: what a user reads must be the whole plain text (nothing swallowed after '<')."""
    seen = 0
    for alg in algorithms():
        for d, p in zip(declarations(alg), alg.parameterDefinitions()):
            doc = QTextDocument()
            doc.setHtml(p.help())
            assert doc.toPlainText().split() == d.help.split(), (alg.id(), p.name())
            seen += 1
    assert seen > 40


def test_numbers_take_default_and_range_from_the_core(epitome_provider):
    from epitome.plugin.processing.declarations import CoreNumber

    checked = 0
    for alg in algorithms():
        for d in declarations(alg):
            if not isinstance(d, CoreNumber):
                continue
            p = alg.parameterDefinition(d.name)
            assert isinstance(p, QgsProcessingParameterNumber)
            assert p.defaultValue() == d.default, (alg.id(), d.name)
            if d.bounds.low is not None:
                assert p.minimum() == d.bounds.low, (alg.id(), d.name)
            if d.bounds.high is not None:
                assert p.maximum() == d.bounds.high, (alg.id(), d.name)
            assert (p.dataType() == QgsProcessingParameterNumber.Integer) == d.is_int, (alg.id(), d.name)
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize("alg_id, params, core_message", [
    ("epitome:selfepitomiclsr", {"PATCH_SIZE": 8}, "PATCH_SIZE must be an odd whole number"),
    ("epitome:selfepitomiclsr", {"SAMPLES": 0.0}, "SAMPLES must be greater than 0"),
    ("epitome:selfepitomiclsr", {"TILE_SIZE": 32, "DOWNSAMPLE": 8}, "TILE_SIZE / DOWNSAMPLE = 4 working pixels"),
    ("epitome:trainepitome", {"PATCH_MIN": 13, "PATCH_MAX": 11}, "PATCH_MIN must not exceed PATCH_MAX"),
    ("epitome:trainepitome", {"CASCADE": 1}, "CASCADE must be 0"),
])
def test_check_parameter_values_gives_the_core_message(epitome_provider, scene, tmp_path, alg_id, params,
                                                       core_message):
    alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id)
    base = {"IMAGERY": scene.imagery, "CLASSES": scene.classes, "OUTPUT": str(tmp_path / "o.tif")} \
        if alg_id.endswith("lsr") else {"IMAGERY": [scene.imagery], "MODEL": str(tmp_path / "m.epitome"),
                                        "SIZE": 32, "PATCH_MIN": 5, "PATCH_MAX": 9}
    base.update(params)
    ok, msg = alg.checkParameterValues(base, QgsProcessingContext())
    assert not ok and core_message in msg, msg


@pytest.mark.parametrize("tile_size", [None, ""])
def test_tile_size_left_empty_with_downsample_set_is_accepted(epitome_provider, scene, tmp_path, tile_size):
    """TILE_SIZE empty means about 512 m of ground: with DOWNSAMPLE set the check must not read it as 0 px
    (it said "TILE_SIZE / DOWNSAMPLE = 0 working pixels")."""
    alg = QgsApplication.processingRegistry().createAlgorithmById("epitome:selfepitomiclsr")
    params = {"IMAGERY": scene.imagery, "CLASSES": scene.classes, "OUTPUT": str(tmp_path / "o.tif"), "DOWNSAMPLE": 4}
    if tile_size is not None:
        params["TILE_SIZE"] = tile_size
    ok, msg = alg.checkParameterValues(params, QgsProcessingContext())
    assert ok, msg
