"""Random training patches from rasters of any size.

Every patch of a batch comes from its own random place when the rasters' usable areas fit a memory
budget together (they are read once and kept; patch validity is checked in O(1) with integral images).
Larger rasters are read by windows: a batch is drawn from batch / PATCHES_PER_READ random blocks
(side K + margin), a few patches per block. Rasters are chosen with probability proportional to their
usable area; a patch is used only when all its pixels are valid and, with a guide, when it contains at
least one pixel of the guide labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np
from osgeo import gdal

try:
    import torch
    import torch.nn.functional as F
except Exception:
    torch = F = None

from ..errors import EpitomeError
from ..io.align import align_classes, unique_codes
from ..io.raster import Scaling, compute_scaling, grid_of, open_raster, read_imagery

CACHE_VALUES = 64 << 20  # imagery values (float32: 256 MiB) kept in memory at most
PATCHES_PER_READ = 8  # patches drawn from one block read from disk


def integral_image(a: np.ndarray) -> np.ndarray:
    """[h, w] -> [h + 1, w + 1] int64 cumulative sums with a zero first row and column."""
    out = np.zeros((a.shape[0] + 1, a.shape[1] + 1), np.int64)
    out[1:, 1:] = a.astype(np.int64).cumsum(0).cumsum(1)
    return out


def box_sums(ii: np.ndarray, y: np.ndarray, x: np.ndarray, k: int) -> np.ndarray:
    """Sums over the k x k boxes with top-left corners (y, x), from an integral image."""
    return ii[y + k, x + k] - ii[y, x + k] - ii[y + k, x] + ii[y, x]


@dataclass
class _Cache:
    """A source read once: image [C, h, w] scaled; integral images of invalid pixels and guide hits."""

    image: np.ndarray
    invalid: np.ndarray
    hits: Optional[np.ndarray]


@dataclass
class _Source:
    ds: gdal.Dataset
    x0: int
    y0: int
    w: int
    h: int
    guide: Optional[object] = None  # aligned guide VRT (Int32), same grid
    cache: Optional[_Cache] = None


def usable_window(ds, extent) -> Tuple[int, int, int, int]:
    """(x0, y0, w, h) of the raster inside extent (xmin, ymin, xmax, ymax; None = whole raster)."""
    if extent is None:
        return 0, 0, ds.RasterXSize, ds.RasterYSize
    gt = grid_of(ds).geotransform
    cx0 = int(np.floor((extent[0] - gt[0]) / gt[1]))
    cx1 = int(np.ceil((extent[2] - gt[0]) / gt[1]))
    cy0 = int(np.floor((extent[3] - gt[3]) / gt[5]))
    cy1 = int(np.ceil((extent[1] - gt[3]) / gt[5]))
    x0, y0 = max(0, cx0), max(0, cy0)
    return x0, y0, min(ds.RasterXSize, cx1) - x0, min(ds.RasterYSize, cy1) - y0


def open_guide(guide: Optional[str], guide_labels: Sequence[int]):
    """(guide dataset or None, sorted label codes); errors say what to change."""
    if not guide:
        return None, np.array(sorted(set(int(v) for v in guide_labels)), dtype=np.int64)
    ds = open_raster(guide, "GUIDE")
    if not guide_labels:
        raise EpitomeError("GUIDE_LABELS: give the label codes to sample around (e.g. 4 for built).")
    labels = np.array(sorted(set(int(v) for v in guide_labels)), dtype=np.int64)
    present = unique_codes(ds)
    if not np.isin(labels, present).any():
        raise EpitomeError("GUIDE_LABELS {} do not occur in the GUIDE raster, whose codes are {}. Choose "
                           "codes that occur in it.".format(", ".join(map(str, labels)),
                                                            ", ".join(str(int(v)) for v in present[:30]) or "none"))
    return ds, labels


class RasterPatchSampler:
    def __init__(self, paths: Sequence[str], bands: Sequence[int] = (), extent=None, guide: Optional[str] = None,
                 guide_labels: Sequence[int] = (), scaling: Optional[Scaling] = None, device="cpu",
                 block_margin: int = 32, patch_max: int = 31, cache_values: int = CACHE_VALUES):
        """paths: imagery rasters with the same band count. extent: (xmin, ymin, xmax, ymax) in the
        rasters' CRS, or None. guide: label raster (any grid; resampled by nearest onto each imagery
        grid) and guide_labels: sample only patches containing at least one of these codes.
        cache_values: rasters are kept in memory when their usable areas hold at most this many values."""
        if not paths:
            raise EpitomeError("IMAGERY: give at least one raster.")
        self.device, self.block_margin = device, block_margin
        guide_ds, self.guide_labels = open_guide(guide, guide_labels)
        self.sources, n_bands = self._open_sources(paths, extent, guide_ds, patch_max)
        all_bands = list(range(1, n_bands + 1))
        self.bands = list(bands) if bands else all_bands
        bad = [b for b in self.bands if b not in all_bands]
        if bad:
            raise EpitomeError(f"BANDS {bad} do not exist: the imagery has {n_bands} band(s).")
        self.scaling = scaling or compute_scaling(self.sources[0].ds, self.bands)
        areas = np.array([s.w * s.h for s in self.sources], dtype=np.float64)
        self.weights = areas / areas.sum()
        self.cached = bool(areas.sum() * len(self.bands) <= cache_values)
        if self.cached:
            for src in self.sources:
                img, valid, hit = self._read(src, src.x0, src.y0, src.w, src.h)
                src.cache = _Cache(img, integral_image(~valid), None if hit is None else integral_image(hit))

    def _open_sources(self, paths, extent, guide_ds, patch_max) -> Tuple[List[_Source], int]:
        sources, n_bands = [], None
        for p in paths:
            ds = open_raster(p, "IMAGERY")
            n_bands = ds.RasterCount if n_bands is None else n_bands
            if ds.RasterCount != n_bands:
                raise EpitomeError(f"IMAGERY rasters must have the same number of bands: {p!r} has {ds.RasterCount}, "
                                   f"the first has {n_bands}.")
            x0, y0, w, h = usable_window(ds, extent)
            if w < patch_max or h < patch_max:
                continue
            src = _Source(ds, x0, y0, w, h)
            if guide_ds is not None:
                src.guide = align_classes(guide_ds, grid_of(ds), [], resampling="near", roles=("IMAGERY", "GUIDE"))
            sources.append(src)
        if not sources:
            raise EpitomeError(f"IMAGERY: no raster has a usable area of at least PATCH_MAX = {patch_max} pixels "
                               "inside EXTENT. Enlarge the extent or lower PATCH_MAX.")
        return sources, n_bands

    @property
    def n_bands(self) -> int:
        return len(self.bands)

    def _read(self, src: _Source, x: int, y: int, w: int, h: int):
        """(image [C, h, w] scaled, valid [h, w] bool, guide hit [h, w] bool or None) of a window, from disk."""
        img, valid = read_imagery(src.ds, self.bands, self.scaling, x, y, w, h)
        hit = None
        if src.guide is not None:
            hit = np.isin(src.guide.GetRasterBand(1).ReadAsArray(x, y, w, h), self.guide_labels)
        return img, valid, hit

    def _no_patches(self, k: int, tries: int):
        what = " containing GUIDE_LABELS " if len(self.guide_labels) else " "
        return EpitomeError(f"Could not find valid {k} x {k} patches{what}in the imagery after {tries} random "
                            "draws: check the nodata areas, EXTENT and GUIDE_LABELS.")

    def sample(self, batch: int, k: int, gen) -> "torch.Tensor":
        """[batch, C, k, k] float32 patches on the sampler's device."""
        out = self._sample_cached(batch, k, gen) if self.cached else self._sample_blocks(batch, k, gen)
        return torch.from_numpy(np.stack(out)).to(self.device)

    def _sample_cached(self, batch: int, k: int, gen) -> List[np.ndarray]:
        """Every patch from its own random place: rejection sampling with O(1) validity checks."""
        out: List[np.ndarray] = []
        weights = torch.as_tensor(self.weights, dtype=torch.float64)
        for attempt in range(200):
            n = 2 * (batch - len(out)) + 8
            which = torch.multinomial(weights, n, replacement=True, generator=gen).numpy()
            u = torch.rand(n, 2, generator=gen, dtype=torch.float64).numpy()
            for i in range(n):
                src = self.sources[which[i]]
                c = src.cache
                y, x = int(u[i, 0] * (src.h - k + 1)), int(u[i, 1] * (src.w - k + 1))
                if box_sums(c.invalid, y, x, k) or (c.hits is not None and not box_sums(c.hits, y, x, k)):
                    continue
                out.append(c.image[:, y:y + k, x:x + k])
                if len(out) == batch:
                    return out
        raise self._no_patches(k, 200)

    def _block(self, k: int, gen) -> Tuple[Optional[np.ndarray], Optional["torch.Tensor"]]:
        """One random block read from disk: (image [C, bh, bw], candidate mask of top-left positions) or
        (None, None) when it holds no valid patch."""
        r = float(torch.rand(1, generator=gen))
        i = int(np.searchsorted(np.cumsum(self.weights), r, side="right"))
        src = self.sources[min(i, len(self.sources) - 1)]
        side = k + self.block_margin
        bw, bh = min(side, src.w), min(side, src.h)
        bx = src.x0 + int(torch.randint(0, src.w - bw + 1, (1,), generator=gen))
        by = src.y0 + int(torch.randint(0, src.h - bh + 1, (1,), generator=gen))
        img, valid, hit = self._read(src, bx, by, bw, bh)
        ok = F.avg_pool2d(torch.from_numpy(valid.astype(np.float32))[None, None], k, stride=1)[0, 0] > 1 - 1e-6
        if hit is not None:
            ok &= F.max_pool2d(torch.from_numpy(hit.astype(np.float32))[None, None], k, stride=1)[0, 0] > 0
        if not bool(ok.any()):
            return None, None
        return img, ok

    def _sample_blocks(self, batch: int, k: int, gen) -> List[np.ndarray]:
        """PATCHES_PER_READ patches from each of about batch / PATCHES_PER_READ random blocks."""
        places = int(np.ceil(batch / PATCHES_PER_READ))
        out: List[np.ndarray] = []
        tries = 0
        while len(out) < batch:
            tries += 1
            if tries > 50 * places + 200:
                raise self._no_patches(k, tries)
            img, ok = self._block(k, gen)
            if img is None:
                continue
            cand = torch.nonzero(ok.flatten()).flatten()
            pick = cand[torch.randint(0, cand.numel(), (min(PATCHES_PER_READ, batch - len(out)),), generator=gen)]
            w = ok.shape[1]
            for idx in pick.tolist():
                y, x = divmod(idx, w)
                out.append(img[:, y:y + k, x:x + k])
        return out
