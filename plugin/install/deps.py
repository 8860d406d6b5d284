"""Where Epitome's Python dependencies (PyTorch) live, and putting them on QGIS's sys.path.

Order: the folder chosen in Epitome's settings (Settings > Options > Epitome), $EPITOME_DEPS, then
<QGIS profile>/python/epitome-deps (the folder `make install` and the installer dialog fill).
The folders are appended to sys.path, so QGIS's own numpy and GDAL always win over anything there.
"""

import importlib
import os
import sys

FOLDER_NAME = "epitome-deps"
SETTINGS_KEY = "epitome/dependency_folder"


def default_folder():
    """$EPITOME_DEPS, else the default profile's folder (what `make torch-deps` fills)."""
    return os.environ.get("EPITOME_DEPS") or os.path.join(
        os.path.expanduser("~"), ".local", "share", "QGIS", "QGIS3", "profiles", "default", "python", FOLDER_NAME)


def configured_folder():
    """The folder stored in Epitome's settings ('' when none, or when QGIS settings are unavailable)."""
    try:
        from qgis.core import QgsSettings

        return str(QgsSettings().value(SETTINGS_KEY, "", type=str) or "").strip()
    except Exception:
        return ""


def candidate_folders():
    out = []
    chosen = configured_folder()
    if chosen:
        out.append(chosen)
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
        p = os.path.normpath(os.path.expanduser(p))
        if p not in seen:
            seen.add(p)
            uniq.append(p)
    return uniq


def add_folder(folder):
    """Append one folder to sys.path (if it exists and is not there yet); True when added."""
    if not folder:
        return False
    folder = os.path.normpath(os.path.expanduser(folder))
    if not os.path.isdir(folder):
        return False
    if folder not in sys.path:
        sys.path.append(folder)
        importlib.invalidate_caches()
        return True
    # Already there but maybe filled since: forget the cached directory listing.
    importlib.invalidate_caches()
    return False


def add_dependency_folders():
    """Append existing dependency folders to sys.path; returns the ones added."""
    return [p for p in candidate_folders() if add_folder(p)]
