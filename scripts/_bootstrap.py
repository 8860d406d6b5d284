"""What every script of scripts/ does before importing the project (import it first: `from _bootstrap import ...`;
Python puts scripts/ on sys.path when a script of it runs).

The checkout goes on sys.path (the project's packages import as `algorithms`, `plugin`, `synthetic`), so does
scripts/ (for scripts imported by others, e.g. dense_reference), and PyTorch from the plugin-managed folder, as
QGIS finds it (plugin/install/deps.py: $EPITOME_DEPS, else the active QGIS profile's folder; QGIS's numpy and
GDAL always win). DATA is the shared real data ($EPITOME_DATA, else ../shared/data beside the checkout, as the
tests read it). Run the scripts with QGIS's interpreter (/usr/bin/python3).
"""

import os
import platform
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "scripts")
for _path in (SCRIPTS, ROOT):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from plugin.install.deps import default_folder  # noqa: E402 (no QGIS needed)

DEPS = default_folder()
if os.path.isdir(DEPS) and DEPS not in sys.path:
    sys.path.append(DEPS)

DATA = os.environ.get("EPITOME_DATA") or os.path.join(os.path.dirname(ROOT), "shared", "data")


def machine() -> str:
    """The CPU model, its logical CPUs and the OS, for the header of a benchmark page."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"
