"""Epitome's user settings (QgsSettings, keys under "epitome/"): default device, memory budget and
the folder PyTorch is installed into. Edited on the Settings > Options > Epitome page."""

import os

from qgis.core import QgsSettings

from ..algorithms.device import is_device_name
from .install import deps

PREFIX = "epitome/"
KEY_DEVICE = PREFIX + "default_device"
KEY_MEMORY = PREFIX + "memory_budget_mb"
KEY_FOLDER = deps.SETTINGS_KEY  # "epitome/dependency_folder", also read by deps.candidate_folders()
KEY_LAST_FOLDER = PREFIX + "last_folder"  # where the user last saved a result or a table


def normalize_device(value):
    """'auto', 'cpu', 'cuda' or 'cuda:N' (lower case, no spaces); ValueError for anything else."""
    v = str(value or "").strip().lower().replace(" ", "") or "auto"
    if not is_device_name(v):
        raise ValueError(f"Device {value!r} is not one of auto, cpu, cuda, cuda:N (N = GPU index) or mps (Apple GPU).")
    return v


def default_device():
    """The device used when an algorithm's DEVICE parameter is 'auto': 'auto', 'cpu', 'cuda' or 'cuda:N'."""
    try:
        return normalize_device(QgsSettings().value(KEY_DEVICE, "auto", type=str))
    except ValueError:
        return "auto"


def set_default_device(value):
    QgsSettings().setValue(KEY_DEVICE, normalize_device(value))


def memory_budget_mb():
    """Memory budget in MiB for the working arrays of one run; 0 = automatic."""
    try:
        return max(0, int(QgsSettings().value(KEY_MEMORY, 0, type=int) or 0))
    except (TypeError, ValueError):
        return 0


def set_memory_budget_mb(value):
    QgsSettings().setValue(KEY_MEMORY, max(0, int(value)))


def dependency_folder_setting():
    """The stored folder, '' when the default is used."""
    return deps.configured_folder()


def dependency_folder():
    """The folder PyTorch is installed into and loaded from first (the setting, else deps.default_folder())."""
    return dependency_folder_setting() or deps.default_folder()


def set_dependency_folder(path):
    """Store the folder; the default folder (or '') is stored as '' so it follows $EPITOME_DEPS."""
    path = str(path or "").strip()
    if path and os.path.normpath(os.path.expanduser(path)) != os.path.normpath(deps.default_folder()):
        QgsSettings().setValue(KEY_FOLDER, os.path.normpath(os.path.expanduser(path)))
    else:
        QgsSettings().setValue(KEY_FOLDER, "")


def resolve_device(param_value):
    """The device to use for an algorithm's DEVICE parameter value: the default device from the
    settings when the parameter is 'auto' or empty, else the parameter itself (unchanged)."""
    v = str(param_value or "").strip()
    if not v or v.lower() == "auto":
        return default_device()
    return v


def last_folder():
    """The folder the user last saved an Epitome result or table into ('' when none, or gone)."""
    folder = QgsSettings().value(KEY_LAST_FOLDER, "", type=str) or ""
    return folder if folder and os.path.isdir(folder) else ""


def set_last_folder(path):
    """Remember the folder of a file the user chose to save (or the folder itself)."""
    path = str(path or "").strip()
    if not path:
        return
    folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
    QgsSettings().setValue(KEY_LAST_FOLDER, folder)


def writable_folder(folder):
    """A folder the user can save into: writable, and not marked read-only (no write bit at all - a shared data
    folder, which root could still write into)."""
    if not (folder and os.path.isdir(folder) and os.access(folder, os.W_OK)):
        return False
    return bool(os.stat(folder).st_mode & 0o222)


def unused_path(folder, stem, ext):
    """folder/stem.ext, or folder/stem_2.ext, _3, ... : a name no file has yet."""
    path = os.path.join(folder, stem + ext)
    n = 2
    while os.path.exists(path):
        path = os.path.join(folder, "{}_{}{}".format(stem, n, ext))
        n += 1
    return path
