"""Which PyTorch Epitome installs where (plugin/install/torch_builds.py, the one source of truth): per Python
3.9-3.12 (QGIS 3.22-3.40) and per platform (Linux, Windows, Intel and Apple-silicon macOS); MIN_TORCH is the
oldest of them; the Makefile and the installer take the build from it (no second pinned version)."""

import os
import re
import subprocess
import sys

import pytest

from algorithms.device import MIN_TORCH, version_tuple
from plugin.install import torch_builds as tb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHONS = [(3, 9), (3, 10), (3, 11), (3, 12)]


def read(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def test_min_torch_is_the_oldest_build_offered_anywhere():
    offered = {b.version for py in PYTHONS
               for system, machine in (("Linux", "x86_64"), ("Windows", "AMD64"), ("Darwin", "arm64"),
                                       ("Darwin", "x86_64"))
               for b in tb.builds(py, system, machine, mac_release="13.6")}
    oldest = min(offered, key=version_tuple)
    assert oldest == tb.OLDEST and version_tuple(oldest) == MIN_TORCH


@pytest.mark.parametrize("py", PYTHONS)
def test_every_qgis_python_gets_a_build_on_linux_and_windows(py):
    want = tb.PY39 if py == (3, 9) else tb.TESTED
    linux = tb.builds(py, "Linux", "x86_64")
    assert linux[0].variant == "cpu" and linux[0].version == want
    assert linux[0].index_url == "https://download.pytorch.org/whl/cpu"  # never PyPI's CUDA default on Linux
    assert [b.variant for b in linux[1:]] == tb.CUDA[want]
    win = tb.builds(py, "Windows", "AMD64")
    assert win[0].variant == "cpu" and win[0].index_url is None  # PyPI's Windows wheels are the CPU build
    assert all(b.index_url.startswith(tb.INDEX_BASE + "cu") for b in win[1:])
    assert all(b.download_mb for b in (linux[0], win[0]))  # the dialog can say the size


@pytest.mark.parametrize("py", PYTHONS)
def test_macos_gets_one_build_and_never_cuda(py):
    arm = tb.builds(py, "Darwin", "arm64", mac_release="14.5")
    intel = tb.builds(py, "Darwin", "x86_64")
    for offered in (arm, intel):
        assert len(offered) == 1 and offered[0].variant == "default" and offered[0].index_url is None
        assert "cuda" not in offered[0].description.lower()
    assert arm[0].version == (tb.PY39 if py == (3, 9) else tb.TESTED) and "Apple GPU" in arm[0].description
    assert intel[0].version == tb.MAC_INTEL
    assert tb.build_for("cpu", py, "Darwin", "arm64", "14.5") == arm[0]  # 'cpu' names the macOS build
    assert tb.build_for("cu128", py, "Darwin", "arm64", "14.5") is None


def test_older_macos_and_newer_pythons():
    assert tb.builds((3, 11), "Darwin", "arm64", mac_release="13.6")[0].version == tb.MAC_ARM_BEFORE_14
    assert tb.builds((3, 13), "Darwin", "x86_64") == []  # no PyTorch for Intel Macs with Python 3.13
    assert "Intel Macs" in tb.release_for((3, 13), "Darwin", "x86_64")[1]
    assert tb.builds((3, 8), "Linux", "x86_64") == []


def test_size_text_and_script():
    b = tb.build_for("cpu", (3, 11), "Linux", "x86_64")
    assert tb.size_text(b) == "about 192 MB to download, about 880 MB once installed"
    out = subprocess.run([sys.executable, os.path.join(ROOT, "plugin", "install", "torch_builds.py"), "pip-args",
                          "--python", "3.11", "--system", "Linux", "--machine", "x86_64"], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["torch==" + tb.TESTED, "--index-url", "https://download.pytorch.org/whl/cpu"]
    oldest = subprocess.run([sys.executable, os.path.join(ROOT, "plugin", "install", "torch_builds.py"), "pip-args",
                             "--oldest", "--python", "3.9", "--system", "Linux", "--machine", "x86_64"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert oldest[0] == "torch==" + tb.OLDEST


def test_one_pinned_version_in_the_project():
    """The Makefile and the installer take the version from torch_builds: no other 'torch==<version>'."""
    pinned = re.compile(r"torch==\d")
    offenders = []
    for folder in ("plugin", "scripts", "algorithms"):
        for d, _, files in os.walk(os.path.join(ROOT, folder)):
            for f in files:
                p = os.path.join(d, f)
                if f.endswith(".py") and not p.endswith(os.path.join("install", "torch_builds.py")):
                    if pinned.search(read(p)):
                        offenders.append(os.path.relpath(p, ROOT))
    makefile = read(os.path.join(ROOT, "Makefile"))
    assert not pinned.search(makefile) and "plugin/install/torch_builds.py" in makefile and "pip-args" in makefile
    assert not offenders, offenders


def test_the_readme_documents_the_install_the_makefile_runs():
    readme = read(os.path.join(ROOT, "README.md"))
    assert "download.pytorch.org/whl/cpu" in readme and "plugin/install/torch_builds.py" in readme
