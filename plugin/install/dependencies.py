"""PyTorch for Epitome: checking it without risking QGIS, building the pip command, the start-up check.

Why a subprocess: importing a broken or mismatched torch (wrong Python, missing CUDA libraries, a
half-finished install) can crash the process that imports it. check_torch() and TorchProbe import
torch in a child process of QGIS's own Python, with the dependency folders APPENDED to sys.path
(as the plugin does), and read one JSON line back. Only torch_findable() works in-process, and it
never imports torch (importlib.util.find_spec).

Why the constraints: pip installs into a separate folder (--target) that QGIS appends to sys.path.
QGIS's numpy and GDAL are compiled together with QGIS; a second numpy in that folder would be
shadowed at best and, if it ever came first, break GDAL and QGIS's Python. The constraints file pins
numpy and GDAL to the versions QGIS runs with, so pip never picks another version, and
clean_target() removes any numpy pip put into the folder anyway (torch does not need numpy to
install; Epitome uses QGIS's numpy) - the same rule as `make torch-deps`.
"""

import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import List

from qgis.PyQt.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, pyqtSignal

from ...algorithms.device import MIN_TORCH, version_tuple
from . import deps, torch_builds

TAG = "Epitome"
INDEX_BASE = torch_builds.INDEX_BASE
CPU_VARIANT = "cpu"
MARKER = "EPITOME_TORCH_INFO "


from ..i18n import tr  # noqa: E402 (re-exported: the installer dialog and the options page use it)


def offered_builds():
    """The PyTorch builds offered for this QGIS's Python and platform (torch_builds.builds): the CPU build (on
    macOS the one build, CPU and Apple GPU), then CUDA builds on Linux and Windows; [] when none exists."""
    return torch_builds.builds()


def variants():
    return [b.variant for b in offered_builds()]


def build_for(variant):
    """The build of `variant` here (ValueError naming the builds offered when it is not one of them)."""
    b = torch_builds.build_for(variant)
    if b is None:
        offered = ", ".join(variants()) or tr("none")
        raise ValueError(f"Unknown PyTorch variant {variant!r} here; choose one of {offered}.")
    return b


def index_url(variant):
    """The wheel index of a build ('' for PyPI: macOS and Windows CPU builds)."""
    return build_for(variant).index_url or ""


def cuda_label(variant):
    """'cu128' -> '12.8'."""
    m = re.fullmatch(r"cu(\d+)(\d)", variant or "")
    return f"{m.group(1)}.{m.group(2)}" if m else ""


# --- QGIS's Python interpreter ------------------------------------------------------------------
def find_python(system, executable, base_prefix, exec_prefix, version, exists, which=lambda name: None):
    """QGIS's own Python interpreter for a given layout (pure: `exists(path)` and `which(name)` stand in for the
    file system and PATH, so tests can simulate Windows and macOS installations).

    Inside QGIS sys.executable is the QGIS program, not python. Windows, OSGeo4W (C:\\OSGeo4W) and the standalone
    installer (C:\\Program Files\\QGIS 3.x): <base_prefix>\\python.exe (apps\\Python3x), else python3.exe /
    python.exe / python-qgis.bat next to qgis-bin.exe; the child inherits QGIS's PATH and PYTHONHOME, so
    python.exe finds its DLLs. macOS bundle: <base_prefix>/bin/python3.x (QGIS.app/Contents/MacOS/bin or the
    bundled Python.framework). Linux: <prefix>/bin/python3.x, python3 on PATH."""
    import ntpath
    import posixpath

    win = system.lower().startswith("win")
    path = ntpath if win else posixpath
    here = path.dirname(executable or "")
    ver = "python{}.{}".format(*version[:2])
    name = path.basename(executable or "").lower()
    if not win:
        # The interpreter of this very Python installation first: inside QGIS sys.executable can be a PATH
        # lookup (e.g. a pyenv shim) that runs another Python, with other packages and version.
        own = path.join(base_prefix, "bin", ver)
        if exists(own):
            return own
    if name.startswith("python") and not name.endswith(".bat") and exists(executable):
        return executable
    if win:
        cands = [path.join(base_prefix, "python.exe"), path.join(exec_prefix, "python.exe"),
                 path.join(here, "python3.exe"), path.join(here, "python.exe"),
                 path.join(here, "python-qgis.bat"), path.join(here, "python-qgis-ltr.bat"),
                 which("python3.exe"), which("python.exe")]
    else:
        cands = [path.join(base_prefix, "bin", ver), path.join(base_prefix, "bin", "python3"),
                 path.join(exec_prefix, "bin", ver), path.join(exec_prefix, "bin", "python3"),
                 path.join(here, "bin", ver), path.join(here, "bin", "python3"),
                 path.join(here, ver), path.join(here, "python3"), which(ver), which("python3")]
    for c in cands:
        if c and exists(c):
            return c
    return which("python3") or which("python") or ("python.exe" if win else "python3")


def python_executable():
    """QGIS's own Python interpreter on this machine (find_python with the real file system)."""
    import platform

    return find_python(platform.system(), sys.executable or "", sys.base_prefix, sys.exec_prefix,
                       sys.version_info, lambda p: os.path.isfile(p) and os.access(p, os.X_OK), shutil.which)


def child_environment():
    """QGIS's environment for child processes, unbuffered so output arrives line by line."""
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


# --- checking torch in a subprocess -------------------------------------------------------------
@dataclass
class TorchInfo:
    found: bool = False
    version: str = ""
    cuda_available: bool = False
    cuda_version: str = ""  # '' for the CPU build
    devices: List[str] = field(default_factory=list)
    folder: str = ""  # where torch was imported from ('' when not found)
    error: str = ""
    warnings: List[str] = field(default_factory=list)
    gpu_test: str = ""  # the tiny CUDA matmul: '' (not run), 'ok ...'
    gpu_error: str = ""
    mps_available: bool = False  # the Apple GPU (Apple-silicon Mac, PyTorch with MPS)

    @property
    def cpu_build(self):
        return self.found and not self.cuda_version and not self.mps_available

    @property
    def too_old(self):
        nums = version_tuple(self.version)
        return self.found and bool(nums) and nums < MIN_TORCH

    @property
    def usable(self):
        return self.found and not self.too_old and not self.error

PROBE = r'''
import json, os, sys, time, warnings
out = {"found": False, "version": "", "cuda_available": False, "cuda_version": "", "devices": [],
       "folder": "", "error": "", "warnings": [], "gpu_test": "", "gpu_error": "", "mps_available": False}
for p in json.loads(sys.argv[1]):
    if p not in sys.path:
        sys.path.append(p)
try:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import torch
        out["version"] = str(torch.__version__)
        out["folder"] = os.path.dirname(os.path.dirname(os.path.abspath(torch.__file__)))
        out["found"] = True
        out["cuda_version"] = str(getattr(torch.version, "cuda", None) or "")
        out["cuda_available"] = bool(torch.cuda.is_available())
        if out["cuda_available"]:
            out["devices"] = [str(torch.cuda.get_device_name(i)) for i in range(torch.cuda.device_count())]
        try:
            out["mps_available"] = bool(torch.backends.mps.is_available())
        except Exception:
            pass
        if sys.argv[2] == "1" and out["cuda_available"]:
            try:
                g = torch.Generator().manual_seed(0)
                a = torch.randn(256, 256, generator=g)
                t0 = time.perf_counter()
                c = (a.to("cuda") @ a.to("cuda")).cpu()
                torch.cuda.synchronize()
                ms = (time.perf_counter() - t0) * 1000.0
                err = float((c - a @ a).abs().max()) / max(float((a @ a).abs().max()), 1e-12)
                if err > 1e-2:
                    out["gpu_error"] = "the GPU result differs from the CPU result (relative error %.3g)" % err
                else:
                    out["gpu_test"] = "ok (256 x 256 matmul on %s in %.0f ms)" % (out["devices"][0], ms)
            except Exception as e:
                out["gpu_error"] = "%s: %s" % (type(e).__name__, e)
    out["warnings"] = [str(w.message) for w in caught][:5]
except BaseException as e:
    out["error"] = "%s: %s" % (type(e).__name__, e)
sys.stdout.write("\n" + "EPITOME_TORCH_INFO " + json.dumps(out) + "\n")
sys.stdout.flush()
'''

_cache = {}


def probe_folders(folder=None):
    """The folders the probe appends to sys.path: the given one, else the plugin's existing candidates."""
    if folder:
        return [os.path.normpath(os.path.expanduser(str(folder)))]
    return [p for p in deps.candidate_folders() if os.path.isdir(p)]


def probe_command(folder=None, gpu_test=False):
    return [python_executable(), "-c", PROBE, json.dumps(probe_folders(folder)), "1" if gpu_test else "0"]


def parse_probe_output(stdout, stderr="", returncode=0):
    """TorchInfo from the probe's output; a crash or garbage becomes found=False with an error."""
    for line in reversed((stdout or "").splitlines()):
        if line.startswith(MARKER):
            try:
                data = json.loads(line[len(MARKER):])
                known = set(TorchInfo.__dataclass_fields__)
                return TorchInfo(**{k: v for k, v in data.items() if k in known})
            except Exception as e:  # noqa: BLE001
                return TorchInfo(error=tr("Unreadable answer from the PyTorch check: {}").format(e))
    tail = [ln for ln in (stderr or stdout or "").splitlines() if ln.strip()][-3:]
    return TorchInfo(error=tr("The PyTorch check stopped (exit code {}): {}").format(
        returncode, " | ".join(tail) or tr("no output")))


def check_torch(folder=None, timeout=60, gpu_test=False):
    """TorchInfo for the torch that Epitome would load (or the one in `folder`), checked in a subprocess
    of QGIS's Python so that a broken install cannot crash QGIS. Never raises. Blocks up to `timeout` s:
    in the GUI use TorchProbe (asynchronous) instead."""
    cmd = probe_command(folder, gpu_test)
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=child_environment(),
                           stdin=subprocess.DEVNULL, errors="replace", cwd=tempfile.gettempdir())
        info = parse_probe_output(r.stdout, r.stderr, r.returncode)
    except subprocess.TimeoutExpired:
        info = TorchInfo(error=tr("The PyTorch check did not finish within {} s.").format(timeout))
    except Exception as e:  # noqa: BLE001 (no python found, ...)
        info = TorchInfo(error=tr("The PyTorch check could not run {}: {}").format(cmd[0], e))
    _cache[tuple(probe_folders(folder))] = info
    return info


def cached_info(folder=None):
    """The last TorchInfo for these folders (check_torch or TorchProbe), or None."""
    return _cache.get(tuple(probe_folders(folder)))


def clear_cache():
    _cache.clear()


class TorchProbe(QObject):
    """check_torch() without blocking the GUI: a QProcess; `finished(TorchInfo)` when done."""

    finished = pyqtSignal(object)

    def __init__(self, folder=None, gpu_test=False, timeout=60, parent=None):
        super().__init__(parent)
        self.folder, self.gpu_test, self.timeout = folder, gpu_test, timeout
        self.info = None
        self._proc = None
        self._timer = None
        self._timed_out = False

    def is_running(self):
        return self._proc is not None and self._proc.state() != QProcess.NotRunning

    def start(self):
        cmd = probe_command(self.folder, self.gpu_test)
        self._proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        self._proc.setProcessEnvironment(env)
        self._proc.setWorkingDirectory(tempfile.gettempdir())
        self._proc.finished.connect(self._on_finished)
        self._proc.errorOccurred.connect(self._on_error)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)
        self._timer.start(int(self.timeout * 1000))
        self._proc.start(cmd[0], cmd[1:])

    def cancel(self):
        if self.is_running():
            self._proc.kill()

    def _on_timeout(self):
        if self.is_running():
            self._timed_out = True
            self._proc.kill()

    def _on_error(self, err):
        if err == QProcess.FailedToStart:
            self._emit(TorchInfo(error=tr("The PyTorch check could not start {}: {}").format(
                self._proc.program(), self._proc.errorString())))

    def _on_finished(self, code, status):
        out = bytes(self._proc.readAllStandardOutput()).decode("utf-8", "replace")
        err = bytes(self._proc.readAllStandardError()).decode("utf-8", "replace")
        if self._timed_out:
            info = TorchInfo(error=tr("The PyTorch check did not finish within {} s.").format(self.timeout))
        else:
            info = parse_probe_output(out, err, code)
        self._emit(info)

    def _emit(self, info):
        if self.info is not None:
            return
        if self._timer is not None:
            self._timer.stop()
        self.info = info
        _cache[tuple(probe_folders(self.folder))] = info
        self.finished.emit(info)


def describe(info):
    """One or two lines for people: version, CUDA, devices, folder."""
    if not info.found:
        return tr("PyTorch not found ({}).").format(info.error or tr("no torch package"))
    if info.mps_available:
        cuda = tr("Apple GPU (MPS) and CPU")
    elif info.cpu_build:
        cuda = tr("CPU build (no CUDA)")
    elif info.cuda_available:
        cuda = tr("CUDA {}, GPU: {}").format(info.cuda_version, ", ".join(info.devices) or "?")
    else:
        cuda = tr("CUDA {} build, but no usable NVIDIA GPU").format(info.cuda_version)
    text = tr("PyTorch {} - {} - in {}").format(info.version, cuda, info.folder)
    if info.too_old:
        text += " " + tr("(too old: Epitome needs {} or newer)").format(".".join(map(str, MIN_TORCH)))
    if info.error:
        text += " " + tr("(error: {})").format(info.error)
    return text


def gpu_report(info):
    """(gpu usable, sentence) for the 'Test GPU' button."""
    if not info.found:
        return False, tr("No GPU: PyTorch is not found or cannot be imported ({}).").format(info.error or "?")
    if info.mps_available:
        return True, tr("Apple GPU ready: PyTorch {} uses it through MPS (DEVICE mps, or auto).").format(info.version)
    if info.cpu_build:
        return False, tr("No CUDA: PyTorch {} is the CPU build. Install a CUDA build with "
                         "'Install / update PyTorch…' to use an NVIDIA GPU.").format(info.version)
    if not info.cuda_available:
        why = " ".join(w for w in info.warnings if w) or tr("no NVIDIA driver or no NVIDIA GPU found")
        return False, tr("No CUDA: PyTorch {} (CUDA {}) cannot use a GPU: {}").format(
            info.version, info.cuda_version, why)
    if info.gpu_error:
        return False, tr("GPU {} found, but a test computation failed: {}").format(
            ", ".join(info.devices), info.gpu_error)
    names = ", ".join(f"cuda:{i} {n}" for i, n in enumerate(info.devices))
    return True, tr("GPU ready: {} (PyTorch {}, CUDA {}){}").format(
        names, info.version, info.cuda_version, (" - " + info.gpu_test) if info.gpu_test else "")


# --- in-process, import-free check ---------------------------------------------------------------
def torch_findable():
    """True when `import torch` would find a package (dependency folders added; torch NOT imported)."""
    if "torch" in sys.modules:
        return True
    try:
        deps.add_dependency_folders()
        importlib.invalidate_caches()
        return importlib.util.find_spec("torch") is not None
    except Exception:  # noqa: BLE001 (a broken folder on sys.path)
        return False


# --- pip ----------------------------------------------------------------------------------------
def qgis_pins():
    """{'numpy': version, 'GDAL': version} of the numpy and GDAL QGIS runs with (those importable)."""
    pins = {}
    try:
        import numpy

        pins["numpy"] = numpy.__version__
    except Exception:  # noqa: BLE001
        pass
    try:
        from osgeo import gdal

        pins["GDAL"] = gdal.__version__
    except Exception:  # noqa: BLE001
        pass
    return pins


def write_constraints(path=None):
    """A pip constraints file pinning QGIS's numpy and GDAL (so nothing installs other versions)."""
    if path is None:
        path = os.path.join(tempfile.gettempdir(), f"epitome-pip-constraints-{os.getpid()}.txt")
    lines = ["# QGIS's own numpy and GDAL: never install other versions (Epitome plugin)"]
    lines += [f"{name}=={ver}" for name, ver in qgis_pins().items()]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def pip_command(folder, variant=CPU_VARIANT, version=None, constraints=None, python=None):
    """The command list installing the PyTorch build `variant` of this platform (torch_builds: the release
    for this Python, its index) into `folder`; `version` overrides the release.

    Only torch is a requirement; numpy and GDAL are constraints (pinned to QGIS's versions). Run
    clean_target(folder) afterwards."""
    build = build_for(variant)
    if version:
        build = build._replace(version=version)
    constraints = constraints or write_constraints()
    args = torch_builds.pip_args(build)
    return [python or python_executable(), "-m", "pip", "install",
            "--target", os.path.normpath(os.path.expanduser(str(folder))), "--upgrade",
            "--constraint", constraints] + args[1:] + \
        ["--disable-pip-version-check", "--no-input", "--progress-bar", "off", args[0]]


DASK_REQUIREMENT = "dask[distributed]==2026.8.0"  # SCHEDULER (docs/SCALING.md); the Makefile's DASK_VERSION


def dask_pip_command(folder, constraints=None, python=None):
    """The command list installing dask and distributed into `folder` (after PyTorch: packages already there are
    kept, numpy and GDAL are pinned to QGIS's). Run clean_target(folder) afterwards."""
    return [python or python_executable(), "-m", "pip", "install",
            "--target", os.path.normpath(os.path.expanduser(str(folder))),
            "--constraint", constraints or write_constraints(),
            "--disable-pip-version-check", "--no-input", "--progress-bar", "off", DASK_REQUIREMENT]


def quote_command(cmd, system=None):
    """A command list as one line to paste into this system's shell (cmd.exe on Windows, a POSIX shell else)."""
    import platform
    import shlex
    import subprocess as sp

    if (system or platform.system()).lower().startswith("win"):
        return sp.list2cmdline([str(c) for c in cmd])
    return " ".join(shlex.quote(str(c)) for c in cmd)


def manual_command(folder=None, variant=CPU_VARIANT, python=None, system=None, machine=None, python_version=None):
    """The installer's pip command without its temporary constraints file, as one line for a terminal (the
    fallback every 'PyTorch missing' message shows); '' when no build exists for this Python and platform.
    system, machine, python_version: another platform than this one (tests simulate Windows and macOS)."""
    build = torch_builds.build_for(variant, python_version, system, machine)
    if build is None:
        return ""
    if not folder:
        from .. import settings

        folder = settings.dependency_folder()
    cmd = [python or python_executable(), "-m", "pip", "install", "--target", folder, "--upgrade"]
    args = torch_builds.pip_args(build)
    return quote_command(cmd + args[1:] + [args[0]], system)


def install_hint_text(folder=None, system=None, python=None, machine=None, python_version=None):
    """What every algorithm says when PyTorch is missing: the plugin's installer (menu and message bar) on every
    platform, and the exact command for this platform as the fallback."""
    import platform

    system = system or platform.system()
    text = tr("Install it from QGIS: menu Raster > Epitome > Install or update PyTorch… (also offered in the "
              "message bar when QGIS starts), then restart QGIS.")
    cmd = manual_command(folder, python=python, system=system, machine=machine, python_version=python_version)
    if not cmd:
        why = torch_builds.release_for(python_version, system, machine)[1]
        return text + " " + tr("No PyTorch build exists for this QGIS: {}.").format(why)
    where = tr("in the OSGeo4W Shell (Start menu > QGIS)") if system.lower().startswith("win") else \
        tr("in the Terminal") if system == "Darwin" else tr("in a terminal")
    return text + " " + tr("Or, with QGIS closed, run {}: {}").format(where, cmd)


def clean_target(folder):
    """Remove numpy from the dependency folder if pip put one there (QGIS's numpy must win, see the module
    docstring); returns the removed paths."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if name == "numpy" or name == "numpy.libs" or re.fullmatch(r"numpy-[^/\\]*\.(dist|egg)-info", name):
            p = os.path.join(folder, name)
            try:
                shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p)
                removed.append(p)
            except OSError:
                pass
    # Console scripts of numpy (f2py) are harmless but point at a numpy that is gone.
    for script in ("f2py", "f2py.exe", "numpy-config", "numpy-config.exe"):
        p = os.path.join(folder, "bin", script)
        if os.path.isfile(p):
            try:
                os.remove(p)
                removed.append(p)
            except OSError:
                pass
    return removed


def last_error_line(lines):
    """The most telling error line of pip's output (the last 'ERROR:' line, else the last line)."""
    lines = [ln.strip() for ln in lines if ln and ln.strip()]
    for ln in reversed(lines):
        if ln.startswith("ERROR:") or "Error:" in ln or ln.lower().startswith("error"):
            return ln
    return lines[-1] if lines else ""


def failure_hint(lines):
    """A hint for the user after a failed install, from pip's output."""
    text = "\n".join(lines).lower()
    if "no module named pip" in text:
        return tr("QGIS's Python has no pip. On Debian/Ubuntu install the package python3-pip; on Windows "
                  "use the OSGeo4W installer (python3-pip).")
    if "no matching distribution" in text or "could not find a version" in text:
        return tr("No PyTorch build matches this Python version, platform and build choice. Try another "
                  "build (CPU works everywhere), or a newer PyTorch.")
    if "permission denied" in text or "access is denied" in text or "winerror 5" in text:
        return tr("The folder is not writable, or PyTorch files are in use (QGIS has loaded them). Choose "
                  "another folder, or restart QGIS and install before running Epitome.")
    if "no space left" in text:
        return tr("The disk is full: the CPU build needs about 1 GB, a CUDA build about 5 GB.")
    if any(s in text for s in ("connection", "max retries", "could not fetch", "proxy", "ssl", "timed out")):
        return tr("The download failed: check the internet connection or the proxy (pip honours "
                  "HTTPS_PROXY), then try again.")
    return tr("Check the output above, the internet connection and the free disk space (about 1 GB for "
              "the CPU build, 5 GB for CUDA), then try again.")


# --- start-up check -----------------------------------------------------------------------------
def _log(text, level=None):
    try:
        from qgis.core import Qgis, QgsMessageLog

        QgsMessageLog.logMessage(text, TAG, Qgis.Warning if level is None else level)
    except Exception:  # noqa: BLE001
        pass


def startup_check(iface, open_dialog):
    """If torch cannot be found, a message bar warning 'Epitome needs PyTorch' with an 'Install…' button
    that calls open_dialog(). Returns True when a message was shown. Never raises."""
    try:
        if torch_findable():
            return False
        from qgis.core import Qgis

        title = tr("Epitome needs PyTorch")
        text = tr("PyTorch was not found, so the Epitome algorithms cannot run yet.")
        bar = iface.messageBar()
        if not hasattr(bar, "pushItem"):  # a minimal message bar (tests, old interfaces)
            bar.pushMessage(title, text, Qgis.Warning, 0)
            return True
        from qgis.gui import QgsMessageBarItem
        from qgis.PyQt.QtWidgets import QPushButton

        button = QPushButton(tr("Install…"))
        button.setToolTip(tr("Open the Epitome installer: downloads PyTorch into a folder of your QGIS "
                             "profile (QGIS's own numpy and GDAL stay untouched)."))
        item = QgsMessageBarItem(title, text, button, Qgis.Warning, 0)
        from qgis.PyQt import sip

        sip.transferto(button, item)  # the item owns the button: it outlives this function's Python wrapper

        def clicked():
            try:
                bar.popWidget(item)
            except Exception:  # noqa: BLE001
                pass
            try:
                open_dialog()
            except Exception as e:  # noqa: BLE001
                _log(tr("Could not open the PyTorch installer: {}").format(e))

        button.clicked.connect(clicked)
        bar.pushItem(item)
        return True
    except Exception as e:  # noqa: BLE001 (never break QGIS's start-up)
        _log(tr("PyTorch start-up check failed: {}").format(e))
        return False
