#!/usr/bin/env python3
"""Which PyTorch build Epitome installs, for which Python and platform: the one source of truth.

Read by the installer dialog (plugin/install/installer_dialog.py: what is installed and its size), the pip
command of plugin/install/dependencies.py, the "PyTorch missing" message of every algorithm, and the
Makefile (`make torch-deps` and the Python 3.9 test step run this file as a script). No QGIS and no
package imports, so that any Python can run it:

    python3 plugin/install/torch_builds.py pip-args                 # this Python, CPU build
    python3 plugin/install/torch_builds.py pip-args --oldest        # the oldest PyTorch Epitome allows
    python3 plugin/install/torch_builds.py describe --python 3.9 --system Windows --machine AMD64

QGIS 3.22-3.40 ship Python 3.9-3.12 (Windows: OSGeo4W and the standalone installer; macOS: the official
bundle; Linux: the distribution's Python). PyTorch's wheels (checked on PyPI and download.pytorch.org):
- Python 3.9: the last release is 2.8.0 (2.9 dropped Python 3.9).
- Intel macOS (x86_64): the last release is 2.2.2 (Python 3.8-3.12); none for Python 3.13+.
- Apple-silicon macOS (arm64): 2.12 and later need macOS 14; macOS 11-13 get 2.11.0. The macOS wheels use the
  Apple GPU (MPS); there are no CUDA builds for macOS, so none is offered there.
- Linux: PyPI's default torch is a CUDA build (about 3 GB with its NVIDIA libraries): the CPU build comes from
  download.pytorch.org/whl/cpu. Windows: PyPI's wheels are CPU builds; CUDA builds come from
  download.pytorch.org/whl/cuXXX (Linux and Windows only).

TESTED is what `make test` runs everything with; OLDEST is the oldest release Epitome accepts
(algorithms/device.MIN_TORCH, checked by tests/core/test_torch_builds.py), and `make test` runs the core
tests with it under Python 3.9 (tests/py39/run.sh).
"""

import argparse
import platform
import sys
from collections import namedtuple

TESTED = "2.13.0"  # Linux x86_64, Python 3.10+, Windows, macOS 14+ on Apple silicon
PY39 = "2.8.0"  # the last release with Python 3.9 wheels
MAC_INTEL = "2.2.2"  # the last release for Intel Macs
MAC_ARM_BEFORE_14 = "2.11.0"  # the last release with macosx_11_0 arm64 wheels (macOS 11-13)
OLDEST = MAC_INTEL  # the oldest release Epitome allows (MIN_TORCH = its major.minor)

INDEX_BASE = "https://download.pytorch.org/whl/"
PYPI = "https://pypi.org/simple"

# CUDA builds per release (download.pytorch.org/whl/<variant>); newest last. CUDA 12.x wheels need an NVIDIA
# driver >= 525 (Linux) / 528 (Windows), CUDA 13.0 wheels a driver >= 580.
CUDA = {"2.13.0": ["cu126", "cu128", "cu130"], "2.11.0": ["cu126", "cu128", "cu130"],
        "2.8.0": ["cu126", "cu128", "cu129"]}

# Download of the torch wheel (MB) per (release, platform), from PyPI's file list and, for Linux CPU builds,
# the wheel itself (2.13.0+cpu, Python 3.11: 192 MB). None: not known. On disk after installing: about 4.5 x.
DOWNLOAD_MB = {
    ("2.13.0", "linux-x86_64"): 192, ("2.8.0", "linux-x86_64"): 190, ("2.2.2", "linux-x86_64"): 190,
    ("2.13.0", "windows"): 122, ("2.8.0", "windows"): 241, ("2.11.0", "windows"): 115,
    ("2.13.0", "macos-arm64"): 111, ("2.11.0", "macos-arm64"): 81, ("2.8.0", "macos-arm64"): 74,
    ("2.2.2", "macos-x86_64"): 151,
}
CUDA_DOWNLOAD_MB = 3000  # torch + NVIDIA libraries, Linux and Windows
CUDA_INSTALLED_MB = 5000
INSTALLED_FACTOR = 4.6  # 2.13.0+cpu: 192 MB download, 880 MB in the folder

Build = namedtuple("Build", "version variant index_url download_mb installed_mb description")


def platform_key(system=None, machine=None):
    """'linux-x86_64', 'linux-aarch64', 'windows', 'macos-arm64', 'macos-x86_64' (or 'other')."""
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    if system.startswith("win"):
        return "windows"
    if system == "darwin":
        return "macos-arm64" if machine in ("arm64", "aarch64") else "macos-x86_64"
    if system == "linux":
        return "linux-aarch64" if machine in ("arm64", "aarch64") else "linux-x86_64"
    return "other"


def _mac_major(mac_release):
    try:
        return int(str(mac_release or platform.mac_ver()[0] or "0").split(".")[0])
    except ValueError:
        return 0


def release_for(python=None, system=None, machine=None, mac_release=None):
    """(version, why) of the PyTorch release for this Python and platform; (None, why) when there is none."""
    py = tuple(python or sys.version_info[:2])[:2]
    key = platform_key(system, machine)
    if py < (3, 9):
        return None, "Python {}.{} is older than any QGIS Epitome supports (3.9 or newer)".format(*py)
    if key == "macos-x86_64":
        if py > (3, 12):
            return None, ("PyTorch stopped publishing builds for Intel Macs with 2.2.2, which exists for Python "
                          "3.8-3.12 only (this QGIS has Python {}.{})").format(*py)
        return MAC_INTEL, "the last release for Intel Macs"
    if py == (3, 9):
        return PY39, "the last release for Python 3.9"
    if key == "macos-arm64" and _mac_major(mac_release) < 14:
        return MAC_ARM_BEFORE_14, "the last release for macOS 11-13"
    return TESTED, "the release Epitome is tested with"


def python_label(python=None):
    py = tuple(python or sys.version_info[:2])[:2]
    return "{}.{}".format(*py)


PLATFORM_NAMES = {"linux-x86_64": "Linux (x86_64)", "linux-aarch64": "Linux (ARM64)", "windows": "Windows",
                  "macos-arm64": "macOS (Apple silicon)", "macos-x86_64": "macOS (Intel)", "other": "this system"}


def builds(python=None, system=None, machine=None, mac_release=None):
    """The builds offered here, CPU (or, on macOS, the one build) first, then CUDA builds; [] when none exists.
    Never a CUDA build on macOS."""
    version, _ = release_for(python, system, machine, mac_release)
    if version is None:
        return []
    key = platform_key(system, machine)
    where = "Python {} on {}".format(python_label(python), PLATFORM_NAMES[key])
    mb = DOWNLOAD_MB.get((version, key))
    installed = int(round(mb * INSTALLED_FACTOR, -1)) if mb else None
    if key.startswith("macos"):
        gpu = "CPU and Apple GPU (MPS)" if key == "macos-arm64" else "CPU"
        return [Build(version, "default", None, mb, installed, "PyTorch {} ({}) for {}".format(version, gpu, where))]
    if key == "windows":  # PyPI's Windows wheels are the CPU build
        out = [Build(version, "cpu", None, mb, installed, "PyTorch {} (CPU) for {}".format(version, where))]
    else:
        out = [Build(version, "cpu", INDEX_BASE + "cpu", mb, installed,
                     "PyTorch {} (CPU) for {}".format(version, where))]
    if key in ("windows", "linux-x86_64"):
        for v in CUDA.get(version, []):
            label = "{}.{}".format(v[2:-1], v[-1])
            out.append(Build(version, v, INDEX_BASE + v, CUDA_DOWNLOAD_MB, CUDA_INSTALLED_MB,
                             "PyTorch {} (NVIDIA GPU, CUDA {}) for {}".format(version, label, where)))
    return out


def build_for(variant="cpu", python=None, system=None, machine=None, mac_release=None):
    """The build of `variant` ('cpu', a CUDA variant, or 'default' on macOS; 'cpu' also names the one macOS
    build); None when it is not offered here."""
    offered = builds(python, system, machine, mac_release)
    for b in offered:
        if b.variant == variant or (variant == "cpu" and b.variant == "default"):
            return b
    return None


def pip_args(build, extra_index=False):
    """pip's arguments after `install` for one build: the requirement and the index. extra_index: PyPI as an
    extra index (tests/py39: where download.pytorch.org cannot be reached, PyPI's build is taken)."""
    args = ["torch=={}".format(build.version)]
    if build.index_url:
        args += ["--index-url", build.index_url]
        if extra_index:
            args += ["--extra-index-url", PYPI]
    return args


def size_text(build):
    """'about 190 MB to download, about 870 MB once installed' (or that the size is not known)."""
    if not build.download_mb:
        return "size not known here (usually 100-250 MB to download, about 1 GB once installed)"
    dl = ("{:.1f} GB".format(build.download_mb / 1000.0) if build.download_mb >= 1000
          else "{} MB".format(build.download_mb))
    inst = ("{:.1f} GB".format(build.installed_mb / 1000.0) if build.installed_mb >= 1000
            else "{} MB".format(build.installed_mb))
    return "about {} to download, about {} once installed".format(dl, inst)


def _parse_python(text):
    return tuple(int(x) for x in text.split(".")[:2])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["pip-args", "version", "describe"])
    ap.add_argument("--variant", default="cpu")
    ap.add_argument("--python", type=_parse_python, default=None)
    ap.add_argument("--system", default=None)
    ap.add_argument("--machine", default=None)
    ap.add_argument("--oldest", action="store_true", help="the oldest PyTorch Epitome allows (OLDEST)")
    ap.add_argument("--extra-index", action="store_true", help="PyPI as an extra index")
    a = ap.parse_args(argv)
    b = build_for(a.variant, a.python, a.system, a.machine)
    if b is None:
        sys.exit("No PyTorch build '{}' for Python {} on {}: {}".format(
            a.variant, python_label(a.python), PLATFORM_NAMES[platform_key(a.system, a.machine)],
            release_for(a.python, a.system, a.machine)[1]))
    if a.oldest:
        b = b._replace(version=OLDEST)
    if a.what == "pip-args":
        print(" ".join(pip_args(b, a.extra_index)))
    elif a.what == "version":
        print(b.version)
    else:
        print("{}: {}".format(b.description, size_text(b)))


if __name__ == "__main__":
    main()
