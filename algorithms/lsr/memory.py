"""Working memory of self-epitomic LSR, known before the run: every setting either fits the memory budget
(Settings > Options > Epitome; automatic: half of this machine's memory) or is refused up front with the memory it
would need and what to lower (docs/RELIABILITY.md).

The estimate follows the arrays of one tile's computation (lsr/tile.py) and of the job around it (lsr/job.py):
    H x W   tile (full resolution)    h x w  working tile (H / DOWNSAMPLE)    P = h w working pixels
    C bands, L labels, Cc classes     K patch side, D = C K^2, d = PATCH_DIMS (or D)
    S keys (windows KEY_STRIDE apart)  T queries (SAMPLES x P)
- the tile's inputs [C, H, W] float32, class rows int64, masks, and its label distributions [L, H, W] float32
  (upsampled, then held by the job and blended: a few copies at once);
- keys [S, D] (and [S, d] after PCA), queries [T, d], the attention blocks (block_elements logits) and the
  leave-one-out posteriors of the appearance refinement (4 x block_elements);
- the class embedding spread over the working pixels [Cc, h, w] (box sums: a few copies) and the EM [P, L];
- the job's strip of blended rows [L + 2, H, raster width], the sampled tiles kept for the main pass
  (job.CACHE_BYTES at most) and the fusion's column chunks [L, H, PRIOR_CHUNK] (several arrays);
On top of the working memory (what the budget bounds), a run holds the libraries, the sampled tiles kept for
the main pass and GDAL's block cache (GDAL_CACHEMAX, 5% of the machine's memory by default): run_peak_bytes.
The coefficients were checked against the peak resident memory of whole runs (docs/BENCHMARKS.md, section 10):
the estimate is an upper bound, within about 2x.
"""

from __future__ import annotations

import math
import os
from typing import Optional

F32, I64 = 4, 8
MARGIN = 1.25  # temporaries not listed and the allocators' slack (calibrated: docs/BENCHMARKS.md, section 10)
AUTO_SHARE = 0.5  # the automatic budget: this share of the machine's physical memory
AUTO_FALLBACK = 4 << 30  # when the physical memory cannot be read


def physical_memory_bytes() -> Optional[int]:
    """This machine's physical memory in bytes (None when it cannot be read)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        pass
    try:  # Windows
        import ctypes

        class MemoryStatus(ctypes.Structure):
            _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                        ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                        ("ullTotalPageFile", ctypes.c_ulonglong), ("ullAvailPageFile", ctypes.c_ulonglong),
                        ("ullTotalVirtual", ctypes.c_ulonglong), ("ullAvailVirtual", ctypes.c_ulonglong),
                        ("sullAvailExtendedVirtual", ctypes.c_ulonglong)]

        st = MemoryStatus()
        st.dwLength = ctypes.sizeof(MemoryStatus)
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(st)):
            return int(st.ullTotalPhys)
    except Exception:  # noqa: BLE001
        pass
    return None


def budget_bytes(budget_mib: int = 0) -> int:
    """The memory budget of a run in bytes: the setting in MiB, or (0) AUTO_SHARE of the physical memory."""
    if budget_mib and budget_mib > 0:
        return int(budget_mib) << 20
    phys = physical_memory_bytes()
    return int(phys * AUTO_SHARE) if phys else AUTO_FALLBACK


def describe_bytes(n: float) -> str:
    """'9.2 GiB', '310 MiB'."""
    return f"{n / (1 << 30):.1f} GiB" if n >= (1 << 30) else f"{max(1, round(n / (1 << 20)))} MiB"


def key_count(n: int, k: int, stride: int) -> int:
    """Key windows along an axis of n working pixels (attention.key_positions): 0, stride, ... and the last."""
    if n < k:
        return 0
    m = (n - k) // stride + 1
    return m + (1 if (n - k) % stride else 0)


def tile_bytes(tile_h: int, tile_w: int, params, bands: int, labels: int, classes: int, raster_width: int) -> int:
    """Upper bound of the working memory a run needs while it computes one tile of tile_h x tile_w pixels (module
    docstring): what the budget bounds. params: LsrParams with DOWNSAMPLE resolved (the job's ground settings)."""
    f = params.effective_downsample
    H, W = int(tile_h), int(tile_w)
    h, w = math.ceil(H / f), math.ceil(W / f)
    P, full = h * w, H * W
    K = params.patch_size
    C, L, Cc = max(1, bands), max(1, labels), max(1, classes)
    D = C * K * K
    d = min(params.patch_dims, D) if params.patch_dims else D
    S = key_count(h, K, params.key_stride) * key_count(w, K, params.key_stride)
    win = max(0, h - K + 1) * max(0, w - K + 1)
    T = min(win, max(1, round(params.samples * P)))
    be = params.block_elements
    n_mix = min(T, 4 * be // max(S, 1)) if params.appearance_iterations > 0 else 0

    inputs = F32 * C * full + (I64 + 3) * full  # image, class rows, masks
    prep = inputs + 2 * F32 * C * full + (F32 * L + I64) * full  # downsampling copies; the tile's class statistics
    keys = F32 * S * D + F32 * S * (d + 1) + F32 * T * (D + d) + F32 * C * P + I64 * P * 2
    block = min(be, T * S)  # logits of one block of queries (fewer when the whole tile has fewer)
    attention = keys + 3 * F32 * block + F32 * n_mix * S + F32 * Cc * S * 2
    em = F32 * S * D + 6 * F32 * Cc * P + 4 * F32 * L * P
    upsample = 4 * F32 * L * full + 4 * full
    tile = inputs + max(prep - inputs, attention, em, upsample)
    strip = 2 * F32 * (L + 2) * H * max(raster_width, W)  # blended rows (grown by concatenation: twice at once)
    job = 3 * F32 * L * full + strip + 8 * F32 * L * H * min(2048, max(raster_width, W))
    return int(MARGIN * (max(tile, job) + F32 * L * full))  # + the tile's result held by the job


LIBRARIES = 300 << 20  # Python, numpy, torch and GDAL themselves (measured: 260 MiB)
SAMPLED_TILES = 256 << 20  # job.CACHE_BYTES: the results of the sampled tiles kept for the main pass


def run_peak_bytes(working: int, cached_tiles: bool = True, gdal_cache: int = 0) -> int:
    """The peak resident memory a run should stay under: the working arrays of a tile (what the budget bounds), the
    libraries, the sampled tiles kept when the appearance weight is learnt, and GDAL's block cache."""
    return int(working + LIBRARIES + (SAMPLED_TILES if cached_tiles else 0) + gdal_cache)


def check_tile_memory(tile_size: int, params, bands: int, labels: int, classes: int, raster_h: int, raster_w: int,
                      budget: int) -> int:
    """The working memory of a tile (tile_bytes); ValueError with the memory needed and what to lower when it exceeds
    `budget` (bytes). Tiles are clipped to the raster, so a large TILE_SIZE on a small raster costs what the raster
    costs."""
    th, tw = min(tile_size, raster_h), min(tile_size, raster_w)
    need = tile_bytes(th, tw, params, bands, labels, classes, raster_w)
    if need <= budget:
        return need
    fits = None
    t = tile_size
    while t > 32:
        t = max(32, int(t * 0.8))
        if tile_bytes(min(t, raster_h), min(t, raster_w), params, bands, labels, classes, raster_w) <= budget:
            fits = t
            break
    hint = f"lower TILE_SIZE (at most about {fits} fits)" if fits else "lower TILE_SIZE"
    if tile_size > th or tile_size > tw:
        tile_size = f"{tile_size} (clipped to the raster)"
    raise ValueError(
        f"TILE_SIZE {tile_size} needs about {describe_bytes(need)} of working memory for each tile of {tw} x {th} px "
        f"(DOWNSAMPLE {params.effective_downsample}, PATCH_SIZE {params.patch_size}, KEY_STRIDE {params.key_stride}, "
        f"SAMPLES {params.samples:g}, PATCH_DIMS {params.patch_dims or 'all'}, {bands} band(s), {labels} labels), more "
        f"than the memory budget of {describe_bytes(budget)} (Settings > Options > Epitome; automatic = half of this "
        f"machine's memory). Nothing was computed. {hint[0].upper() + hint[1:]}; or raise DOWNSAMPLE or KEY_STRIDE, "
        "lower SAMPLES or PATCH_DIMS; or raise the memory budget if the machine has the memory.")
