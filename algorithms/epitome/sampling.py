"""Random training patches from rasters of any size, by windowed GDAL reads (never a whole raster).

Each batch reads a few random blocks (side = K + margin) from the rasters (chosen with probability
proportional to their usable area), finds the top-left positions whose K x K patch is fully valid
(and, with a guide, contains at least one pixel of the guide labels) and draws the patches there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except Exception:
    torch = F = None

from ..io.align import align_classes, unique_codes
from ..io.raster import Scaling, compute_scaling, grid_of, open_raster, read_imagery
from ..errors import EpitomeError


@dataclass
class _Source:
    ds: object
    x0: int
    y0: int
    w: int
    h: int
    guide: Optional[object] = None  # aligned guide VRT (Int32), same grid


class RasterPatchSampler:
    def __init__(self, paths: Sequence[str], bands: Sequence[int] = (), extent=None, guide: Optional[str] = None,
                 guide_labels: Sequence[int] = (), scaling: Optional[Scaling] = None, device="cpu",
                 block_margin: int = 96, blocks_per_batch: int = 4, patch_max: int = 31):
        """paths: imagery rasters with the same band count. extent: (xmin, ymin, xmax, ymax) in the
        rasters' CRS, or None. guide: label raster (any grid; resampled by nearest onto each imagery
        grid) and guide_labels: sample only patches containing at least one of these codes."""
        if not paths:
            raise EpitomeError("IMAGERY: give at least one raster.")
        self.device = device
        self.block_margin, self.blocks_per_batch = block_margin, blocks_per_batch
        self.sources: List[_Source] = []
        n_bands = None
        guide_ds = open_raster(guide, "GUIDE") if guide else None
        if guide and not guide_labels:
            raise EpitomeError("GUIDE_LABELS: give the label codes to sample around (e.g. 4 for built).")
        self.guide_labels = np.array(sorted(set(int(v) for v in guide_labels)), dtype=np.int64)
        if guide_ds is not None:
            present = unique_codes(guide_ds)
            if not np.isin(self.guide_labels, present).any():
                raise EpitomeError("GUIDE_LABELS {} do not occur in the GUIDE raster, whose codes are {}. Choose "
                                   "codes that occur in it.".format(
                                       ", ".join(map(str, self.guide_labels)),
                                       ", ".join(str(int(v)) for v in present[:30]) or "none"))
        for p in paths:
            ds = open_raster(p, "IMAGERY")
            n_bands = ds.RasterCount if n_bands is None else n_bands
            if ds.RasterCount != n_bands:
                raise EpitomeError(f"IMAGERY rasters must have the same number of bands: {p!r} has {ds.RasterCount}, "
                                   f"the first has {n_bands}.")
            grid = grid_of(ds)
            x0, y0, w, h = 0, 0, ds.RasterXSize, ds.RasterYSize
            if extent is not None:
                gt = grid.geotransform
                cx0 = int(np.floor((extent[0] - gt[0]) / gt[1]))
                cx1 = int(np.ceil((extent[2] - gt[0]) / gt[1]))
                cy0 = int(np.floor((extent[3] - gt[3]) / gt[5]))
                cy1 = int(np.ceil((extent[1] - gt[3]) / gt[5]))
                x0, y0 = max(0, cx0), max(0, cy0)
                w, h = min(ds.RasterXSize, cx1) - x0, min(ds.RasterYSize, cy1) - y0
                if w <= 0 or h <= 0:
                    continue
            if w < patch_max or h < patch_max:
                continue
            src = _Source(ds, x0, y0, w, h)
            if guide_ds is not None:
                src.guide = align_classes(guide_ds, grid, [], resampling="near")
            self.sources.append(src)
        if not self.sources:
            raise EpitomeError(f"IMAGERY: no raster has a usable area of at least PATCH_MAX = {patch_max} pixels "
                               "inside EXTENT. Enlarge the extent or lower PATCH_MAX.")
        all_bands = list(range(1, n_bands + 1))
        self.bands = list(bands) if bands else all_bands
        bad = [b for b in self.bands if b not in all_bands]
        if bad:
            raise EpitomeError(f"BANDS {bad} do not exist: the imagery has {n_bands} band(s).")
        self.scaling = scaling or compute_scaling(self.sources[0].ds, self.bands)
        areas = np.array([s.w * s.h for s in self.sources], dtype=np.float64)
        self.weights = areas / areas.sum()

    @property
    def n_bands(self) -> int:
        return len(self.bands)

    def _block(self, k: int, gen) -> Tuple[Optional[np.ndarray], Optional[np.ndarray]]:
        """One random block: (image [C, bh, bw], candidate mask of top-left positions) or (None, None)."""
        r = float(torch.rand(1, generator=gen))
        i = int(np.searchsorted(np.cumsum(self.weights), r, side="right"))
        src = self.sources[min(i, len(self.sources) - 1)]
        side = k + self.block_margin
        bw, bh = min(side, src.w), min(side, src.h)
        bx = src.x0 + int(torch.randint(0, src.w - bw + 1, (1,), generator=gen))
        by = src.y0 + int(torch.randint(0, src.h - bh + 1, (1,), generator=gen))
        img, valid = read_imagery(src.ds, self.bands, self.scaling, bx, by, bw, bh)
        ok = F.avg_pool2d(torch.from_numpy(valid.astype(np.float32))[None, None], k, stride=1)[0, 0] > 1 - 1e-6
        if src.guide is not None:
            g = src.guide.GetRasterBand(1).ReadAsArray(bx, by, bw, bh)
            hit = torch.from_numpy(np.isin(g, self.guide_labels).astype(np.float32))
            ok &= F.max_pool2d(hit[None, None], k, stride=1)[0, 0] > 0
        if not bool(ok.any()):
            return None, None
        return img, ok

    def sample(self, batch: int, k: int, gen) -> "torch.Tensor":
        """[batch, C, k, k] float32 patches on the sampler's device."""
        per = int(np.ceil(batch / self.blocks_per_batch))
        out = []
        tries = 0
        while len(out) < batch:
            tries += 1
            if tries > 50 * self.blocks_per_batch:
                what = " containing GUIDE_LABELS " if len(self.guide_labels) else " "
                raise EpitomeError(f"Could not find valid {k} x {k} patches{what}in the imagery after {tries} random "
                                   "blocks: check the nodata areas, EXTENT and GUIDE_LABELS.")
            img, ok = self._block(k, gen)
            if img is None:
                continue
            cand = torch.nonzero(ok.flatten()).flatten()
            pick = cand[torch.randint(0, cand.numel(), (min(per, batch - len(out)),), generator=gen)]
            w = ok.shape[1]
            t = torch.from_numpy(img)
            for idx in pick.tolist():
                y, x = divmod(idx, w)
                out.append(t[:, y:y + k, x:x + k])
        return torch.stack(out).to(self.device)
