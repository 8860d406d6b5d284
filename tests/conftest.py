"""Test set-up: the repo importable as package `epitome` (as QGIS imports it) and as top-level
`algorithms`; PyTorch from the plugin-managed folder (EPITOME_DEPS), as QGIS would find it."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKGROOT = os.path.join(ROOT, ".pkgroot")
link = os.path.join(PKGROOT, "epitome")
if not os.path.exists(link):
    os.makedirs(PKGROOT, exist_ok=True)
    try:
        os.symlink(ROOT, link)
    except FileExistsError:
        pass
for p in (ROOT, PKGROOT):
    if p not in sys.path:
        sys.path.insert(0, p)
from plugin.install.deps import default_folder  # noqa: E402 (the plugin's own rule for where PyTorch lives)

deps = default_folder()
if os.path.isdir(deps) and deps not in sys.path:
    sys.path.append(deps)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data", "chesapeake-wv")
