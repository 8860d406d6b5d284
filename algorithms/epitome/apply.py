"""A trained epitome applied to whole rasters: the parameters, the patch grid and windowed reads shared by
label embedding, epitomic LSR and prediction (docs/METHOD.md, "Putting labels into the epitome", "Label
super-resolution by EM" and "Prediction with a trained epitome").

The patch grid: centre blocks of Q x Q pixels tile the raster from its top-left corner; the patch of a
block is the K x K window centred on it (o = (K - Q) / 2 pixels of context on each side; pixels beyond
the raster's edge, and nodata, are missing and drop out of the likelihood). The grid is fixed to the
raster, not to the windows it is read by, so a raster read in strips gives exactly the blocks of one read
(seamless). Rasters are read one strip of block rows at a time: memory does not depend on their height.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence, Tuple

import numpy as np
from osgeo import gdal

from ..bounds import bounded, check_bounds
from ..device import is_out_of_memory
from ..errors import Cancelled, EpitomeError
from ..io.raster import Scaling, read_imagery

try:
    import torch
    import torch.nn.functional as F
except Exception:  # the plugin must load without torch
    torch = F = None


@dataclass
class ApplyParams:
    """Parameters of epitome:embedlabels, epitome:epitomiclsr and epitome:predict (Processing names in
    upper case). Each algorithm declares the ones it uses."""

    patch_size: int = bounded(31, 1, 255, odd=True, hint="31 (the paper) or any odd size up to the epitome SIZE")
    centre: int = bounded(11, 1, 255, odd=True, hint="11 (the paper): the labelled centre of each patch")
    samples: float = bounded(1.0, 0.0, 1.0, low_open=True,
                             hint="the share of the patch grid used; 1 = every pixel once")
    temperature: Optional[float] = bounded(None, 0.0, allow_none=True)  # None (or 0) = (K / 11)^2, as in training
    em_iterations: int = bounded(30, 1, 1000)
    top_k: int = bounded(0, 0, 1 << 20, hint="0 = the exact posterior over every window")
    batch_size: int = bounded(256, 1, 65536)
    backend: str = "auto"
    seed: int = bounded(0, 0)

    def validate(self, epitome_size: Optional[int] = None):
        """ValueError naming the parameter and what to change."""
        check_bounds(self)
        if self.centre > self.patch_size:
            raise ValueError(f"CENTRE ({self.centre}) must not exceed PATCH_SIZE ({self.patch_size}).")
        if epitome_size is not None and self.patch_size > epitome_size:
            raise ValueError(f"PATCH_SIZE ({self.patch_size}) must not exceed the epitome size of the MODEL "
                             f"({epitome_size}).")

    def check_for(self, epitome_size: int):
        """validate() against a model's epitome size, as the EpitomeError a job reports."""
        try:
            self.validate(epitome_size)
        except ValueError as e:
            raise EpitomeError(str(e))

    @property
    def effective_temperature(self) -> float:
        return float(self.temperature) if self.temperature else (self.patch_size / 11.0) ** 2


@dataclass(frozen=True)
class PatchGrid:
    """Centre blocks of side q tiling a height x width raster; patches of side k around them."""

    height: int
    width: int
    k: int
    q: int

    @property
    def o(self) -> int:
        return (self.k - self.q) // 2

    @property
    def rows(self) -> int:
        return math.ceil(self.height / self.q)

    @property
    def cols(self) -> int:
        return math.ceil(self.width / self.q)

    def strips(self, max_values: int, bands: int) -> Iterator[Tuple[int, int]]:
        """Block-row ranges [r0, r1) whose patches hold at most about max_values values (one row at least)."""
        per_row = self.cols * bands * self.k * self.k
        step = max(1, min(self.rows, max_values // max(per_row, 1)))
        for r0 in range(0, self.rows, step):
            yield r0, min(self.rows, r0 + step)


@dataclass
class StripPatches:
    """The patches of block rows [r0, r1): patches [n, C, K, K], mask [n, K, K] bool (valid pixels),
    codes [n, K, K] long (label/class index per pixel, -1 = none) or None, block [n, 2] (row, col)."""

    r0: int
    r1: int
    patches: np.ndarray
    mask: np.ndarray
    codes: Optional[np.ndarray]
    block: np.ndarray


def _padded_read(height: int, width: int, y0: int, x0: int, h: int, w: int, read, fill, dtype, lead=()):
    """read(x, y, w, h) of the part of [y0, y0 + h) x [x0, x0 + w) inside the raster, padded with fill."""
    out = np.full(tuple(lead) + (h, w), fill, dtype=dtype)
    ya, yb, xa, xb = max(0, y0), min(height, y0 + h), max(0, x0), min(width, x0 + w)
    if ya < yb and xa < xb:
        out[..., ya - y0:yb - y0, xa - x0:xb - x0] = read(xa, ya, xb - xa, yb - ya)
    return out


def read_strip(ds, bands: Sequence[int], scaling: Scaling, grid: PatchGrid, r0: int, r1: int,
               codes_of=None) -> StripPatches:
    """All patches of block rows [r0, r1) with their validity (and codes_of(x, y, w, h) -> int array of
    label/class indices, -1 = none, when given). Pixels beyond the raster are missing."""
    k, q, o = grid.k, grid.q, grid.o
    y0, h, x0, w = r0 * q - o, (r1 - r0 - 1) * q + k, -o, (grid.cols - 1) * q + k
    H, W = grid.height, grid.width

    def imagery(x, y, ww, hh):
        img, valid = read_imagery(ds, bands, scaling, x, y, ww, hh)
        return np.concatenate([img, valid[None].astype(np.float32)])

    both = _padded_read(H, W, y0, x0, h, w, imagery, 0.0, np.float32, lead=(len(bands) + 1,))
    codes = None if codes_of is None else _padded_read(H, W, y0, x0, h, w, codes_of, -1, np.int64)
    return cut_patches(both[:-1], both[-1] > 0.5, codes, grid, r0, r1)


def cut_patches(image: np.ndarray, valid: np.ndarray, codes: Optional[np.ndarray], grid: PatchGrid, r0: int,
                r1: int) -> StripPatches:
    """image [C, h, w] of a strip (with its context) -> its patches, one per block, row-major."""
    k, q = grid.k, grid.q
    C = image.shape[0]
    t = torch.from_numpy(np.concatenate([image, valid[None].astype(np.float32)] +
                                        ([] if codes is None else [codes[None].astype(np.float32)])))
    cols = F.unfold(t[None], kernel_size=k, stride=q)[0]  # [(C + 1 (+ 1)) K K, blocks]
    n = cols.shape[1]
    cols = cols.t().reshape(n, -1, k, k)
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(grid.cols), indexing="ij")
    return StripPatches(r0, r1, cols[:, :C].numpy(), cols[:, C].numpy() > 0.5,
                        None if codes is None else np.rint(cols[:, C + 1].numpy()).astype(np.int64),
                        np.stack([rr.ravel(), cc.ravel()], 1))


def centre_of(a: np.ndarray, grid: PatchGrid) -> np.ndarray:
    """The centre blocks [n, ..., Q, Q] of per-patch arrays [n, ..., K, K]."""
    o, q = grid.o, grid.q
    return a[..., o:o + q, o:o + q]


def sample_blocks(keep: np.ndarray, block: np.ndarray, share: float, seed: int) -> np.ndarray:
    """Indices of the blocks to use: those with keep, each kept with probability share, decided by a
    per-block random draw (seed, row, col) - the same blocks whatever the strips."""
    idx = np.nonzero(keep)[0]
    if share >= 1 or idx.size == 0:
        return idx
    u = np.array([np.random.default_rng((int(seed), int(r), int(c))).random() for r, c in block[idx]])
    return idx[u < share]


def batches(n: int, size: int) -> Iterator[slice]:
    for a in range(0, n, size):
        yield slice(a, min(n, a + size))


def model_scaling(model) -> Scaling:
    """The band scaling the model was trained with (imagery is scaled the same way before matching)."""
    return Scaling(np.asarray(model.scaling_offset, np.float32), np.asarray(model.scaling_scale, np.float32),
                   model.scaling_method)


def check_imagery_bands(ds, model, what: str = "IMAGERY") -> list:
    """The model's bands (1-based) in this raster, or an error saying what does not match."""
    if max(model.bands) > ds.RasterCount:
        raise EpitomeError(f"{what}: the MODEL was trained on bands {list(model.bands)}, but the raster has "
                           f"{ds.RasterCount} band(s). Give imagery with the same bands as the training imagery.")
    return list(model.bands)


def run_batches(n: int, batch_size: int, compute, device, warn=None, cancel=None, progress=None):
    """compute(device, slice) over [0, n) in slices of batch_size, under the out-of-memory policy of
    docs/METHOD.md, "Costs and devices": an out-of-memory error retries the slice 4x smaller (down to one patch),
    then on the
    CPU, with a warning; compute must be repeatable for a slice. Returns (device, batch size) in use at
    the end: later calls start there."""
    import torch

    warn = warn or (lambda msg: None)
    a, size = 0, max(1, int(batch_size))
    while a < n:
        if cancel is not None and cancel():
            raise Cancelled()
        sl = slice(a, min(n, a + size))
        try:
            compute(device, sl)
        except Exception as e:  # noqa: BLE001 - only out-of-memory errors are handled, others re-raised
            if not is_out_of_memory(e):
                raise
            if getattr(device, "type", "cpu") == "cuda":
                torch.cuda.empty_cache()
            if size > 1:
                size = max(1, size // 4)
                warn(f"Out of memory on {device}; going on with batches of {size} patches.")
            elif getattr(device, "type", "cpu") != "cpu":
                device = torch.device("cpu")
                warn("Out of memory on the GPU even with single patches; going on on the CPU.")
            else:
                raise EpitomeError("Out of memory on the CPU: lower BATCH_SIZE or use a model with fewer or smaller "
                                   "epitomes.")
            continue
        a = sl.stop
        if progress is not None:
            progress(a / n)
    return device, size


@dataclass
class Batches:
    """Where and how large the batches of a job are; run() keeps what the out-of-memory policy reached."""

    device: object
    size: int
    warn: Optional[Callable] = None
    cancel: Optional[Callable] = None

    def run(self, n: int, compute, progress=None):
        self.device, self.size = run_batches(n, self.size, compute, self.device, self.warn, self.cancel, progress)


def scaling_warning(ds, model, what: str = "IMAGERY") -> Optional[str]:
    """A warning when the imagery's data type is not the one the model's band scaling was made for (the
    model's scaling is applied as it is: uint8 imagery under a uint16 model would be matched wrongly)."""

    dtype = gdal.GetDataTypeName(ds.GetRasterBand(model.bands[0]).DataType)
    method = model.scaling_method or ""
    expected = "Byte" if method.startswith("uint8") else method[method.rfind("(") + 1:-1] if "(" in method else None
    if expected and dtype != expected:
        return (f"{what} is {dtype} but the MODEL was trained on {expected} imagery (scaling: {method}): its values "
                "are scaled as the training imagery's were, so the results may be meaningless. Use imagery of the "
                "same kind as the training imagery.")
    return None
