"""torch availability and device choice (no QGIS)."""

from __future__ import annotations

import re
from typing import List, Tuple

MIN_TORCH = (1, 12)
INSTALL_HINT = (
    "Install PyTorch for QGIS's own Python: run 'make install' in the plugin's source folder, or "
    "'/usr/bin/python3 -m pip install --target ~/.local/share/QGIS/QGIS3/profiles/default/python/epitome-deps "
    "torch' (Linux; on Windows use the OSGeo4W shell's python -m pip install torch), then restart QGIS. "
    "On a machine without an NVIDIA GPU, 'torch --index-url https://download.pytorch.org/whl/cpu' is much smaller."
)


DEVICE_PATTERN = re.compile(r"auto|cpu|cuda(:\d+)?")  # what a DEVICE value may be (lower case, no spaces)


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
        return False, f"PyTorch is not installed or cannot be imported ({e}). {INSTALL_HINT}"
    ver = getattr(torch, "__version__", "0")
    if version_tuple(ver) < MIN_TORCH:
        return False, (f"PyTorch {ver} is too old; Epitome needs {'.'.join(map(str, MIN_TORCH))} or newer. "
                       + INSTALL_HINT)
    return True, f"PyTorch {ver}"


def resolve_device(name: str) -> Tuple["torch.device", List[str]]:  # noqa: F821
    """Map a DEVICE value (auto, cpu, cuda, cuda:N) to a torch.device; warnings for fallbacks."""
    import torch

    name = (name or "auto").strip().lower()
    warnings: List[str] = []
    if name == "auto":
        return (torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")), warnings
    if name == "cpu":
        return torch.device("cpu"), warnings
    m = re.fullmatch(r"cuda(?::(\d+))?", name)
    if not m:
        raise ValueError(f"DEVICE {name!r} is not one of auto, cpu, cuda, cuda:N (N = GPU index).")
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
    return f"cpu ({torch.get_num_threads()} threads)"


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom is not None and isinstance(exc, oom):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def configure_precision():
    """Keep likelihoods in true fp32: TF32 loses 0.1-2 nats in these logits (method.md section 7)."""
    import torch

    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    except Exception:
        pass


class MemoryFallback:
    """The out-of-memory policy of block-wise computations (architecture.md): on an out-of-memory error,
    retry with blocks 4 x smaller down to `min_block` logits, then continue on the CPU; on the CPU there
    is nothing smaller to fall back to and the error says what to change.

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
                if not is_out_of_memory(e):
                    raise
                self._fall_back()

    def _fall_back(self):
        import torch

        from .errors import EpitomeError

        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        if self.block_elements > self.min_block:
            self.block_elements //= 4
            self.warn(f"Out of memory on {self.device}; retrying with smaller blocks ({self.block_elements} logits).")
        elif self.device.type != "cpu":
            self.warn(f"Out of memory on {self.device} even with small blocks; continuing on the CPU.")
            self.device = torch.device("cpu")
        else:
            raise EpitomeError("Out of memory on the CPU. Use a smaller TILE_SIZE.")
