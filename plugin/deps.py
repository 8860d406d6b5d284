"""Where Epitome's Python dependencies (PyTorch) live, and putting them on QGIS's sys.path.

Order: $EPITOME_DEPS, then <QGIS profile>/python/epitome-deps (the folder `make install` fills).
The folder is appended to sys.path, so QGIS's own numpy and GDAL always win over anything there.
"""

import os
import sys

FOLDER_NAME = "epitome-deps"


def default_folder():
    """$EPITOME_DEPS, else the default profile's folder (what `make torch-deps` fills)."""
    return os.environ.get("EPITOME_DEPS") or os.path.join(
        os.path.expanduser("~"), ".local", "share", "QGIS", "QGIS3", "profiles", "default", "python", FOLDER_NAME)


def candidate_folders():
    out = []
    env = os.environ.get("EPITOME_DEPS")
    if env:
        out.append(env)
    try:
        from qgis.core import QgsApplication

        out.append(os.path.join(QgsApplication.qgisSettingsDirPath(), "python", FOLDER_NAME))
    except Exception:
        pass
    out.append(default_folder())
    seen, uniq = set(), []
    for p in out:
        p = os.path.normpath(p)
        if p not in seen:
            seen.add(p)
            uniq.append(p)
    return uniq


def add_dependency_folders():
    """Append existing dependency folders to sys.path; returns the ones added."""
    added = []
    for p in candidate_folders():
        if os.path.isdir(p) and p not in sys.path:
            sys.path.append(p)
            added.append(p)
    return added
