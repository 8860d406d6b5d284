#!/usr/bin/env bash
# The Python 3.9 step of `make test`: QGIS 3.22 ships Python 3.9 on Windows and macOS, and PyTorch 2.2 is the
# oldest release Epitome allows (plugin/install/torch_builds.py OLDEST, algorithms/device.py MIN_TORCH). In a
# virtual environment of Python 3.9 with that PyTorch, numpy 1.26 and pytest, it runs
#   1. a syntax check of every .py file of the project (compiled by Python 3.9, nothing written);
#   2. an import of every module of algorithms/ (those needing GDAL are listed, not imported);
#   3. the QGIS-free tests of tests/core that need no GDAL (tests/gdal_free.py lists them; the others are
#      printed as not run) - the numerics of likelihoods, attention, EM, training, trust, tiling, metrics.
# GDAL's Python bindings do not exist for Python 3.9 here (Debian's are built for its own Python; pip would
# compile them against libgdal-dev), and QGIS is not importable from Python 3.9: those parts run in the main
# step only. Nothing is skipped silently: a missing Python 3.9 is reported in capitals and, under
# EPITOME_STRICT=1, the pytest run fails on any skip.
#
# Python 3.9 is looked for in $PY39, pyenv's versions (/root/.pyenv and ~/.pyenv) and PATH; when none is there
# and pyenv is, `pyenv install 3.9.18` provides it. The environment (.venv-py39, about 3 GB: on Linux PyPI's
# PyTorch 2.2.2 is the CUDA build with its NVIDIA libraries when download.pytorch.org cannot be reached) is
# made once and reused while its requirements do not change.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
VENV=${VENV39:-$ROOT/.venv-py39}
SYSPY=${PY:-/usr/bin/python3}

find_py39() {
  local c
  for c in "${PY39:-}" /root/.pyenv/versions/3.9*/bin/python3.9 "$HOME"/.pyenv/versions/3.9*/bin/python3.9 \
           "$(command -v python3.9 || true)"; do
    if [ -n "$c" ] && [ -x "$c" ] && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 9)' 2>/dev/null; then
      echo "$c"; return 0
    fi
  done
  return 1
}

PYTHON39=$(find_py39 || true)
if [ -z "$PYTHON39" ] && command -v pyenv >/dev/null 2>&1; then
  echo "Python 3.9 step: installing Python 3.9.18 with pyenv"
  pyenv install -s 3.9.18 && PYTHON39=$(find_py39 || true)
fi
if [ -z "$PYTHON39" ]; then
  echo "=================================================================================================="
  echo "PYTHON 3.9 STEP NOT RUN: no Python 3.9 found (PY39, /root/.pyenv/versions/3.9*, ~/.pyenv, PATH) and no"
  echo "pyenv to install one. Install Python 3.9 (e.g. pyenv install 3.9.18) or set PY39=/path/to/python3.9."
  echo "=================================================================================================="
  exit 0
fi

TORCH_ARGS=$("$SYSPY" plugin/install/torch_builds.py pip-args --oldest --python 3.9 --extra-index)
REQS="numpy==1.26.4 pytest>=7,<9 pytest-timeout $TORCH_ARGS"
if [ ! -f "$VENV/.done" ] || [ "$(cat "$VENV/.done")" != "$REQS" ]; then
  echo "Python 3.9 step: making $VENV with $PYTHON39 ($REQS)"
  rm -rf "$VENV"
  "$PYTHON39" -m venv "$VENV"
  # shellcheck disable=SC2086 (the requirements are words)
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --retries 1 $REQS
  echo "$REQS" > "$VENV/.done"
fi
PY=$VENV/bin/python
echo "Python 3.9 step: $("$PY" -c 'import sys, numpy, torch; print("Python", sys.version.split()[0], "- numpy",
  numpy.__version__, "- PyTorch", torch.__version__)')"

echo "1. Syntax of every project file under Python 3.9"
"$PY" - <<'EOF'
import os, sys
bad, n = [], 0
for top in ("algorithms", "plugin", "synthetic", "scripts", "tests", "__init__.py"):
    paths = [top] if top.endswith(".py") else [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs
                                               if f.endswith(".py")]
    for p in paths:
        n += 1
        try:
            compile(open(p, encoding="utf-8").read(), p, "exec", dont_inherit=True)
        except SyntaxError as e:
            bad.append(f"{p}:{e.lineno}: {e.msg}")
print(f"   {n} files compiled")
if bad:
    sys.exit("Not valid Python 3.9:\n" + "\n".join(bad))
EOF

echo "2. Importing every module of algorithms/ under Python 3.9"
"$PY" - <<'EOF'
import importlib, os, sys
sys.path.insert(0, os.getcwd())
sys.path.insert(0, "tests")
from gdal_free import gdal_chain
ok, gdal, failed = [], [], []
for d, _, fs in os.walk("algorithms"):
    for f in sorted(fs):
        if not f.endswith(".py"):
            continue
        path = os.path.join(d, f)
        name = path[:-3].replace(os.sep, ".").replace(".__init__", "")
        if gdal_chain(os.path.abspath(path)) is not None:
            gdal.append(name)
            continue
        try:
            importlib.import_module(name)
            ok.append(name)
        except Exception as e:  # noqa: BLE001
            failed.append(f"{name}: {type(e).__name__}: {e}")
print(f"   {len(ok)} modules imported; {len(gdal)} need GDAL (not imported here): {', '.join(sorted(gdal))}")
if failed:
    sys.exit("Import failures under Python 3.9:\n" + "\n".join(failed))
EOF

echo "3. tests/core without GDAL under Python 3.9 (the files that need GDAL run in the main step only):"
"$SYSPY" tests/gdal_free.py tests/core | sed -n 's/^gdal /   not run here (needs GDAL): /p'
EPITOME_NO_GDAL=1 QT_QPA_PLATFORM=offscreen "$PY" -m pytest -q -rs -p no:cacheprovider tests/core
