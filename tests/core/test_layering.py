"""algorithms/ must never import qgis; plugin/ must not do the math (no torch there)."""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def imports_of(folder):
    for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
        for fn in files:
            if fn.endswith(".py"):
                path = os.path.join(dirpath, fn)
                with open(path, encoding="utf-8") as fh:
                    tree = ast.parse(fh.read())
                for node in ast.walk(tree):
                    if isinstance(node, ast.Import):
                        for a in node.names:
                            yield path, a.name
                    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                        yield path, node.module


def modules_of(folder):
    """Dotted names of every module under folder (subpackages included)."""
    for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
        rel = os.path.relpath(dirpath, ROOT).replace(os.sep, ".")
        for fn in files:
            if fn.endswith(".py"):
                yield rel if fn == "__init__.py" else rel + "." + fn[:-3]


def test_algorithms_never_import_qgis():
    bad = [(p, m) for p, m in imports_of("algorithms") if m.split(".")[0] in ("qgis", "processing", "PyQt5")]
    assert not bad, bad


def test_plugin_does_no_tensor_math():
    bad = [(p, m) for p, m in imports_of("plugin") if m.split(".")[0] in ("torch", "scipy")]
    assert not bad, bad


@pytest.mark.gdal  # imports every module, GDAL's too
def test_algorithms_import_without_torch():
    """The plugin loads without torch (canExecute then explains): no module may touch torch at import."""
    import subprocess
    import sys

    mods = sorted(modules_of("algorithms"))
    assert len(mods) > 20, mods  # every subpackage is walked
    code = ("import importlib, sys; sys.modules['torch'] = None; sys.path.insert(0, sys.argv[1]); "
            "[importlib.import_module('epitome.' + m) for m in sys.argv[2:]]")
    p = subprocess.run([sys.executable, "-c", code, os.path.join(ROOT, ".pkgroot"), *mods], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
