"""torch availability and device choice (no QGIS).

Devices: cpu, cuda[:N] (NVIDIA) and mps (the Apple GPU of Apple-silicon Macs). auto prefers CUDA, then MPS,
then the CPU. Every device computes in true fp32 (configure_precision), and MemoryFallback moves a computation
to the CPU when the GPU runs out of memory even with small blocks, or when MPS lacks an operation.
"""

from __future__ import annotations

import os
import re
from typing import List, Tuple

from .errors import EpitomeError

# The oldest PyTorch Epitome accepts: 2.2 is the last release for Intel Macs (plugin/install/torch_builds.py
# OLDEST); `make test` runs the core tests with it under Python 3.9 (tests/py39/run.sh).
MIN_TORCH = (2, 2)
# Operations MPS lacks run on the CPU instead of failing (read by PyTorch when it starts using MPS).
os.environ.setdefault("PYTORCH_ENABLE_MPS_FALLBACK", "1")

# What to do when PyTorch is missing. The core does not know how Epitome is installed: the QGIS plugin sets its
# own words (its installer and the exact command for this platform) with set_install_hint() when it loads.
DEFAULT_INSTALL_HINT = ("Install PyTorch for the Python that runs Epitome (python -m pip install torch; see "
                        "https://pytorch.org), then restart.")
_INSTALL_HINT = [DEFAULT_INSTALL_HINT]


def set_install_hint(text: str):
    """The sentence every 'PyTorch missing' message ends with (the QGIS plugin: its installer and the command)."""
    _INSTALL_HINT[0] = text or DEFAULT_INSTALL_HINT


def install_hint() -> str:
    return _INSTALL_HINT[0]


DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d+)?")  # what a DEVICE value may be (lower case, no spaces)
DEVICE_NAMES = "auto, cpu, cuda, cuda:N or mps"


def is_device_name(name: str) -> bool:
    return bool(DEVICE_PATTERN.fullmatch((name or "auto").strip().lower()))


def version_tuple(v: str) -> Tuple[int, ...]:
    """'2.13.0+cpu' -> (2, 13): compared with MIN_TORCH."""
    return tuple(int(x) for x in re.findall(r"\d+", v.split("+")[0])[:2])


def torch_status() -> Tuple[bool, str]:
    """(usable, message). Never raises: the plugin must load without torch."""
    try:
        import torch  # noqa: F401
    except Exception as e:  # ImportError, or a broken install raising OSError
        return False, f"PyTorch is not installed or cannot be imported ({e}). {install_hint()}"
    ver = getattr(torch, "__version__", "0")
    if version_tuple(ver) < MIN_TORCH:
        return False, (f"PyTorch {ver} is too old; Epitome needs {'.'.join(map(str, MIN_TORCH))} or newer. "
                       + install_hint())
    return True, f"PyTorch {ver}"


def mps_available(torch) -> bool:
    """True when this PyTorch can use the Apple GPU (an Apple-silicon Mac with a PyTorch built with MPS)."""
    mps = getattr(getattr(torch, "backends", None), "mps", None)
    try:
        return bool(mps is not None and mps.is_available())
    except Exception:  # noqa: BLE001 - a PyTorch without a working MPS check has no MPS
        return False


def resolve_device(name: str) -> Tuple["torch.device", List[str]]:  # noqa: F821
    """Map a DEVICE value (auto, cpu, cuda, cuda:N, mps) to a torch.device; warnings for fallbacks. auto: CUDA,
    else MPS, else the CPU."""
    import torch

    name = (name or "auto").strip().lower()
    warnings: List[str] = []
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda"), warnings
        return (torch.device("mps") if mps_available(torch) else torch.device("cpu")), warnings
    if name == "cpu":
        return torch.device("cpu"), warnings
    if name == "mps":
        if mps_available(torch):
            return torch.device("mps"), warnings
        warnings.append("DEVICE mps was asked for but the Apple GPU (MPS) is not available (not an Apple-silicon "
                        "Mac, or a PyTorch without MPS); running on the CPU instead.")
        return torch.device("cpu"), warnings
    m = re.fullmatch(r"cuda(?::(\d+))?", name)
    if not m:
        raise ValueError(f"DEVICE {name!r} is not one of {DEVICE_NAMES} (N = GPU index).")
    if not torch.cuda.is_available():
        warnings.append(f"DEVICE {name} was asked for but CUDA is not available (no NVIDIA GPU or a CPU-only "
                        "PyTorch build); running on the CPU instead.")
        return torch.device("cpu"), warnings
    idx = int(m.group(1) or 0)
    if idx >= torch.cuda.device_count():
        warnings.append(f"DEVICE {name}: only {torch.cuda.device_count()} GPU(s) present; using cuda:0.")
        idx = 0
    return torch.device(f"cuda:{idx}"), warnings


def describe_device(dev) -> str:
    import torch

    if dev.type == "cuda":
        return f"{dev} ({torch.cuda.get_device_name(dev)})"
    if dev.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom is not None and isinstance(exc, oom):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()  # CUDA's and MPS's words


def is_mps_unsupported(exc: BaseException) -> bool:
    """An operation or data type the Apple GPU (MPS) does not support (e.g. float64), which the CPU does."""
    text = str(exc)
    return isinstance(exc, (RuntimeError, TypeError, NotImplementedError)) and "MPS" in text and \
        "out of memory" not in text.lower()


def configure_precision():
    """Keep likelihoods in true fp32 on every device: TF32 (CUDA) and reduced-precision matmuls lose 0.1-2 nats in
    these logits (docs/METHOD.md, "Costs and devices")."""
    import torch

    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    except Exception:
        pass
    try:
        torch.set_float32_matmul_precision("highest")  # the same rule for MPS and the CPU
    except Exception:
        pass


class MemoryFallback:
    """The out-of-memory policy of block-wise computations (docs/METHOD.md, "Costs and devices"): on an
    out-of-memory error,
    retry with blocks 4 x smaller down to `min_block` logits, then continue on the CPU; on the CPU there
    is nothing smaller to fall back to and the error says what to change. An operation the Apple GPU (MPS)
    does not support continues on the CPU at once.

        memory = MemoryFallback(device, block_elements, warn)
        result = memory.run(lambda device, block_elements: compute(...))

    The device and block size reached stay in effect for later calls (later tiles)."""

    def __init__(self, device, block_elements: int, warn=None, min_block: int = 1 << 18):
        self.device, self.block_elements, self.min_block = device, int(block_elements), int(min_block)
        self.warn = warn or (lambda msg: None)

    def run(self, attempt):
        while True:
            try:
                return attempt(self.device, self.block_elements)
            except Exception as e:  # noqa: BLE001 - only out-of-memory errors are handled, others re-raised
                if self.device.type == "mps" and is_mps_unsupported(e):
                    import torch

                    self.warn(f"The Apple GPU (MPS) cannot do this step ({str(e)[:120]}); continuing on the CPU.")
                    self.device = torch.device("cpu")
                    continue
                if not is_out_of_memory(e):
                    raise
                self._fall_back()

    def _fall_back(self):
        import torch

        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        elif self.device.type == "mps" and hasattr(torch, "mps"):
            try:
                torch.mps.empty_cache()
            except Exception:  # noqa: BLE001 - an older PyTorch without it
                pass
        if self.block_elements > self.min_block:
            self.block_elements //= 4
            self.warn(f"Out of memory on {self.device}; retrying with smaller blocks ({self.block_elements} logits).")
        elif self.device.type != "cpu":
            self.warn(f"Out of memory on {self.device} even with small blocks; continuing on the CPU.")
            self.device = torch.device("cpu")
        else:
            raise EpitomeError("Out of memory on the CPU. Use a smaller TILE_SIZE.")
