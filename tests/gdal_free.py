"""Which test files can run without GDAL's Python bindings (osgeo): the selection of the Python 3.9 step of
`make test` (tests/py39/run.sh), where no GDAL exists for that Python.

A test file needs GDAL when it imports osgeo anywhere (its test functions too), or when a project module it
imports at module level does, transitively (imports inside the project's functions are not followed: a test
that reaches one fails loudly, it is never skipped). Pure ast: nothing is imported.

    python tests/gdal_free.py tests/core        # prints 'run <file>' / 'gdal <file> (via a -> b -> osgeo)'
"""

import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ("algorithms", "plugin", "synthetic", "epitome")


def _module_file(name):
    """The project file of a dotted module name ('epitome.x' is this tree), or None."""
    parts = name.split(".")
    if parts[0] == "epitome":
        parts = parts[1:]
    if not parts or parts[0] not in PACKAGES[:-1]:
        return None
    base = os.path.join(ROOT, *parts)
    for cand in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(cand):
            return cand
    return None


def _module_name(path):
    rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
    return rel[:-len(".__init__")] if rel.endswith(".__init__") else rel


def top_level_imports(path):
    """Dotted names imported at module level (not inside functions or classes' methods); relative imports
    resolved against the file's package."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), path)
    package = _module_name(path)
    if not path.endswith("__init__.py"):
        package = package.rpartition(".")[0]
    out = []

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.Import):
                out.extend(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                out.append(mod)
                out.extend(mod + "." + a.name for a in node.names)  # 'from pkg import module'
            elif isinstance(node, (ast.If, ast.Try)):  # guarded imports run at import time too
                visit(node.body)
                for h in getattr(node, "handlers", []):
                    visit(h.body)
                visit(node.orelse)
                visit(getattr(node, "finalbody", []))
    visit(tree.body)
    return out


def gdal_chain(path, seen=None):
    """None when importing `path` needs no GDAL, else the import chain ['file', 'module', ..., 'osgeo']."""
    seen = set() if seen is None else seen
    if path in seen:
        return None
    seen.add(path)
    mods = top_level_imports(path)
    parents = set()
    for name in mods:
        parts = name.split(".")
        parents.update(".".join(parts[:i]) for i in range(1, len(parts)))  # a package's __init__ runs first
    for name in mods + sorted(parents):
        if name == "osgeo" or name.startswith("osgeo."):
            return [os.path.relpath(path, ROOT), "osgeo"]
        f = _module_file(name)
        if f is not None:
            chain = gdal_chain(f, seen)
            if chain is not None:
                return [os.path.relpath(path, ROOT)] + chain
    return None


def imports_gdal_anywhere(path):
    """True when the file imports osgeo anywhere, inside test functions too."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), path)
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        if any(n == "osgeo" or n.startswith("osgeo.") for n in names):
            return True
    return False


def test_file_chain(path):
    """gdal_chain of a test file, counting its own imports inside test functions too."""
    path = os.path.abspath(path)
    if imports_gdal_anywhere(path):
        return [os.path.relpath(path, ROOT), "osgeo (in a test)"]
    return gdal_chain(path)


def needs_gdal(path):
    return test_file_chain(path) is not None


def test_files(folder):
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.startswith("test_") and n.endswith(".py"))


if __name__ == "__main__":
    for f in test_files(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "core")):
        chain = test_file_chain(f)
        print(("run  " if chain is None else "gdal ") + os.path.relpath(f, ROOT) +
              ("" if chain is None else "  (" + " -> ".join(chain[1:]) + ")"))
