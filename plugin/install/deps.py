"""Where Epitome's Python dependencies (PyTorch) live, and putting them on QGIS's sys.path.

Order: the folder chosen in Epitome's settings (Settings > Options > Epitome), $EPITOME_DEPS, then
<active QGIS profile>/python/epitome-deps (the folder `make install` and the installer dialog fill).
The profile folder is QGIS's own (QgsApplication.qgisSettingsDirPath(): the active profile, on every
OS); without a running QGIS, the default profile of this OS: %APPDATA%\\QGIS\\QGIS3\\profiles\\default on
Windows, ~/Library/Application Support/QGIS/QGIS3/profiles/default on macOS, ~/.local/share/QGIS/QGIS3/profiles/
default on Linux. The folders are appended to sys.path, so QGIS's own numpy and GDAL always win over anything
there.
"""

import importlib
import os
import platform
import sys

FOLDER_NAME = "epitome-deps"
SETTINGS_KEY = "epitome/dependency_folder"


def os_profile_folder(system=None, environ=None, home=None):
    """QGIS's default profile folder on an OS ('Windows', 'Darwin', 'Linux'), as QGIS itself lays it out."""
    import ntpath
    import posixpath

    system = system or platform.system()
    environ = os.environ if environ is None else environ
    home = home or os.path.expanduser("~")
    if system.lower().startswith("win"):
        base = environ.get("APPDATA") or ntpath.join(home, "AppData", "Roaming")
        return ntpath.join(base, "QGIS", "QGIS3", "profiles", "default")
    if system == "Darwin":
        return posixpath.join(home, "Library", "Application Support", "QGIS", "QGIS3", "profiles", "default")
    base = environ.get("XDG_DATA_HOME") or posixpath.join(home, ".local", "share")
    return posixpath.join(base, "QGIS", "QGIS3", "profiles", "default")


def qgis_profile_folder():
    """The active QGIS profile's folder when QGIS runs in this process (desktop, qgis_process), else ''."""
    try:
        from qgis.core import QgsApplication

        if QgsApplication.instance() is None:
            return ""
        return (QgsApplication.qgisSettingsDirPath() or "").rstrip("/\\")
    except Exception:  # noqa: BLE001 - no QGIS here
        return ""


def default_folder():
    """$EPITOME_DEPS, else <active QGIS profile>/python/epitome-deps (the OS's default profile without QGIS)."""
    env = os.environ.get("EPITOME_DEPS")
    if env:
        return env
    profile = qgis_profile_folder() or os_profile_folder()
    return os.path.join(profile, "python", FOLDER_NAME)


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
    out.append(os.path.join(qgis_profile_folder() or os_profile_folder(), "python", FOLDER_NAME))
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
