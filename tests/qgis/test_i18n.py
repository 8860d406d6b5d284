"""Translations: strings are translatable (never formatted before tr()), the shipped template (.ts) is the one
the Qt tool makes from today's sources, and a translation made from it reaches the dialogs and algorithms."""

import ast
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from qgis_scenes import ROOT

PLUGIN = os.path.join(ROOT, "plugin")
TS = os.path.join(ROOT, "i18n", "epitome.ts")


def read(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def sources():
    for folder, _, files in os.walk(PLUGIN):
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def call_name(node):
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def test_no_text_is_formatted_before_it_is_translated():
    bad = []
    for path in sources():
        for node in ast.walk(ast.parse(read(path))):
            if isinstance(node, ast.Call) and call_name(node) in ("tr", "translate"):
                for arg in node.args[:2]:
                    if any(isinstance(x, ast.JoinedStr) for x in ast.walk(arg)) or (
                            isinstance(arg, ast.Call) and call_name(arg) == "format") or (
                            isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod)):
                        bad.append("{}:{}".format(os.path.relpath(path, ROOT), node.lineno))
    assert not bad, "tr() of a formatted string (write tr('... {}').format(x)): " + ", ".join(bad)


def test_one_translation_helper():
    """Bare tr() calls are filed by pylupdate5 under '@default': only plugin/i18n.py may define tr()."""
    defining = [os.path.relpath(p, ROOT) for p in sources()
                if re.search(r"^def tr\(", read(p), re.M)]
    assert defining == [os.path.join("plugin", "i18n.py")]


def messages(path):
    root = ET.parse(path).getroot()
    return {(ctx.findtext("name"), m.findtext("source"), m.findtext("comment") or "")
            for ctx in root.iter("context") for m in ctx.iter("message")}


@pytest.mark.skipif(shutil.which("pylupdate5") is None, reason="pylupdate5 (pyqt5-dev-tools) not installed")
def test_shipped_template_is_current(tmp_path):
    decl = tmp_path / "declared_strings.py"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "i18n_strings.py"), str(decl)], check=True,
                   capture_output=True, env=env)
    fresh = tmp_path / "fresh.ts"
    subprocess.run(["pylupdate5", "-noobsolete"] + sorted(sources()) + [str(decl), "-ts", str(fresh)], check=True,
                   capture_output=True)
    shipped, now = messages(TS), messages(str(fresh))
    assert shipped == now, "run `make ts`: missing {} / stale {}".format(sorted(now - shipped)[:5],
                                                                        sorted(shipped - now)[:5])
    contexts = {c for c, _, _ in shipped}
    assert {"@default", "SelfEpitomicLsrAlgorithm", "TrainEpitomeAlgorithm"} <= contexts
    assert ("@default", "Imagery and coarse classes", "") in shipped  # the wizard
    assert ("SelfEpitomicLsrAlgorithm", "Tile size (pixels, empty = about 512 m)", "") in shipped  # a declared parameter


@pytest.mark.skipif(shutil.which("lrelease") is None, reason="lrelease (Qt tools) not installed")
def test_a_translation_reaches_the_wizard_and_the_algorithms(qgis_app, epitome_provider, tmp_path, monkeypatch):
    from qgis.PyQt.QtCore import QCoreApplication

    from epitome.plugin import i18n

    tree = ET.parse(TS)
    wanted = {("@default", "Imagery and coarse classes"): "Imagerie et classes grossières",
              ("SelfEpitomicLsrAlgorithm", "Tile size (pixels, empty = about 512 m)"): "Taille des tuiles (pixels)"}
    for ctx in tree.getroot().iter("context"):
        for m in ctx.iter("message"):
            text = wanted.get((ctx.findtext("name"), m.findtext("source")))
            if text:
                t = m.find("translation")
                t.text = text
                t.attrib.pop("type", None)
    ts = tmp_path / "epitome_fr.ts"
    tree.write(str(ts), encoding="utf-8", xml_declaration=True)
    subprocess.run(["lrelease", str(ts), "-qm", str(tmp_path / "epitome_fr.qm")], check=True, capture_output=True)
    monkeypatch.setattr(i18n, "FOLDER", str(tmp_path))
    assert i18n.qm_file("fr_CA") == str(tmp_path / "epitome_fr.qm")  # the language when no country file
    translator = i18n.install_translator("fr_FR")
    assert translator is not None
    try:
        from epitome.plugin.gui.lsr_wizard import LsrWizard
        from epitome.plugin.processing.selfepitomiclsr import SelfEpitomicLsrAlgorithm

        w = LsrWizard(None)
        assert w.layers.title() == "Imagerie et classes grossières"
        w.deleteLater()
        alg = SelfEpitomicLsrAlgorithm()
        alg.initAlgorithm({})
        assert alg.parameterDefinition("TILE_SIZE").description() == "Taille des tuiles (pixels)"
    finally:
        QCoreApplication.removeTranslator(translator)
