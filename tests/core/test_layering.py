"""algorithms/ must never import qgis; plugin/ must not do the math (no torch there)."""

import ast
import os

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


def test_algorithms_never_import_qgis():
    bad = [(p, m) for p, m in imports_of("algorithms") if m.split(".")[0] in ("qgis", "processing", "PyQt5")]
    assert not bad, bad


def test_plugin_does_no_tensor_math():
    bad = [(p, m) for p, m in imports_of("plugin") if m.split(".")[0] in ("torch", "scipy")]
    assert not bad, bad
