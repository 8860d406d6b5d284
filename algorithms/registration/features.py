"""What the shift search compares: the imagery quantised into appearance clusters and the coarse classes, both on
a reduced "feature grid" (a tenth of a coarse cell), on a sample of windows (docs/METHOD.md, "Registration of the
coarse map"). No QGIS here; bounded memory: one window of imagery is read at a time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence, Tuple

import numpy as np
from osgeo import gdal

from ..errors import EpitomeError, check_cancel
from ..io.align import CLASS_NODATA, align_classes
from ..io.raster import Grid, Scaling, read_imagery

gdal.UseExceptions()


@dataclass
class Window:
    """One sampled window on the feature grid: cluster ids [h, w] (-1 = no data) and class indices on the same
    grid widened by `margin` feature pixels on every side [h + 2m, w + 2m] (-1 = no class)."""

    clusters: np.ndarray
    classes: np.ndarray
    margin: int


def feature_windows(width: int, height: int, factor: int, side: int = 256, max_windows: int = 16
                    ) -> List[Tuple[int, int, int, int]]:
    """Imagery pixel windows (x, y, w, h) to estimate on: the whole raster when it has at most max_windows
    feature windows of `side` feature pixels, else max_windows of them spread on a regular lattice (large rasters
    in bounded memory). Every window is a whole number of feature pixels (`factor` imagery pixels each)."""
    step = side * factor
    nx, ny = max(1, int(np.ceil(width / step))), max(1, int(np.ceil(height / step)))
    cells = [(i, j) for j in range(ny) for i in range(nx)]
    if len(cells) > max_windows:
        pick = np.linspace(0, len(cells) - 1, max_windows).round().astype(int)
        cells = [cells[k] for k in pick]
    out = []
    for i, j in cells:
        x, y = i * step, j * step
        w, h = (min(step, width - x) // factor) * factor, (min(step, height - y) // factor) * factor
        if w >= factor and h >= factor:
            out.append((x, y, w, h))
    return out


def block_features(image: np.ndarray, valid: np.ndarray, factor: int) -> Tuple[np.ndarray, np.ndarray]:
    """Per feature pixel (factor x factor imagery pixels): the mean and the standard deviation of each band.
    image [C, H, W] with H, W multiples of factor -> (features [h, w, 2C] float32, valid [h, w] bool: at least
    half the block has data)."""
    C, H, W = image.shape
    h, w = H // factor, W // factor
    blocks = image.reshape(C, h, factor, w, factor)
    ok = valid.reshape(h, factor, w, factor)
    n = ok.sum(axis=(1, 3)).astype(np.float32)
    s1 = (blocks * ok[None]).sum(axis=(2, 4)) / np.maximum(n, 1)
    s2 = (blocks ** 2 * ok[None]).sum(axis=(2, 4)) / np.maximum(n, 1)
    std = np.sqrt(np.maximum(s2 - s1 ** 2, 0))
    feats = np.concatenate([s1, std], axis=0).transpose(1, 2, 0).astype(np.float32)
    return feats, n >= 0.5 * factor * factor


def label_blocks(labels: np.ndarray, valid: np.ndarray, factor: int) -> Tuple[np.ndarray, np.ndarray]:
    """A fine label map as 'features' (estimatecomposition): the centre label of each feature pixel.
    labels [H, W] -> (codes [h, w], valid [h, w])."""
    c = factor // 2
    return labels[c::factor, c::factor], valid[c::factor, c::factor]


def classes_on_feature_grid(classes: gdal.Dataset, grid: Grid, window, factor: int, margin: int,
                            class_band: int = 1) -> np.ndarray:
    """The class codes on the feature grid of the imagery window (x, y, w, h), widened by `margin` feature pixels
    on every side [h/f + 2m, w/f + 2m] (Int32, CLASS_NODATA outside the class raster; nearest, as the run aligns
    them: io/align.py). A window the class raster does not reach is all CLASS_NODATA (the run itself says what is
    wrong with the layers)."""
    x, y, w, h = window
    gt = grid.geotransform
    fx, fy = gt[1] * factor, gt[5] * factor
    ox = gt[0] + x * gt[1] - margin * fx
    oy = gt[3] + y * gt[5] - margin * fy
    target = Grid(w // factor + 2 * margin, h // factor + 2 * margin, (ox, fx, 0.0, oy, 0.0, fy), grid.wkt)
    try:
        vrt = align_classes(classes, target, [], class_band=class_band, resampling="near")
    except EpitomeError:
        return np.full((target.height, target.width), CLASS_NODATA, np.int32)
    return vrt.GetRasterBand(1).ReadAsArray()


def class_indices(codes: Sequence[np.ndarray], nodata_codes: Sequence[int]) -> Tuple[List[np.ndarray], np.ndarray]:
    """Class codes -> indices 0..Cc-1 over all windows (-1 = no class: CLASS_NODATA and nodata_codes).
    Returns (indices per window, the codes in index order)."""
    bad = set(int(c) for c in nodata_codes) | {CLASS_NODATA}
    allc = np.unique(np.concatenate([np.unique(c) for c in codes])) if codes else np.zeros(0, np.int64)
    known = np.array([c for c in allc if int(c) not in bad], dtype=np.int64)
    out = []
    for c in codes:
        idx = np.searchsorted(known, c) if known.size else np.zeros(c.shape, np.int64)
        idx = np.clip(idx, 0, max(known.size - 1, 0))
        ok = known.size > 0
        hit = (known[idx] == c) if ok else np.zeros(c.shape, bool)
        out.append(np.where(hit, idx, -1).astype(np.int64))
    return out, known


def imagery_block(ds: gdal.Dataset, bands: Sequence[int], scaling: Scaling, window, factor: int,
                  categorical: bool) -> Tuple[np.ndarray, np.ndarray]:
    """Features of one imagery window: (block_features or label_blocks) of its pixels."""
    x, y, w, h = window
    if categorical:
        band = ds.GetRasterBand(bands[0])
        a = band.ReadAsArray(x, y, w, h)
        nd = band.GetNoDataValue()
        valid = np.ones(a.shape, bool) if nd is None else a != nd
        valid &= a != 0
        return label_blocks(a.astype(np.int64), valid, factor)
    image, valid = read_imagery(ds, bands, scaling, x, y, w, h)
    return block_features(image, valid, factor)


def sample_rows(feats: List[np.ndarray], valids: List[np.ndarray], n: int, seed: int) -> np.ndarray:
    """At most n feature vectors drawn at random from the valid pixels of all windows [n, F]."""
    rows = np.concatenate([f[v] for f, v in zip(feats, valids)], axis=0)
    if rows.shape[0] > n:
        rows = rows[np.random.default_rng(seed).choice(rows.shape[0], n, replace=False)]
    return rows


def kmeans(x: np.ndarray, k: int, iterations: int = 15, seed: int = 0) -> np.ndarray:
    """Lloyd's k-means on the rows of x [n, F] (standardised by the caller), started from k distinct rows drawn at
    random; returns the centres [k', F] (k' <= k: duplicates dropped)."""
    rng = np.random.default_rng(seed)
    uniq = np.unique(x, axis=0)
    if uniq.shape[0] <= k:
        return uniq
    centres = uniq[rng.choice(uniq.shape[0], k, replace=False)]
    for _ in range(iterations):
        lab = assign(x, centres)
        for j in range(centres.shape[0]):
            members = x[lab == j]
            if members.shape[0]:
                centres[j] = members.mean(axis=0)
    return centres


def assign(x: np.ndarray, centres: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """Nearest centre of each row of x [n, F] -> [n] int64 (in chunks: bounded memory)."""
    out = np.empty(x.shape[0], np.int64)
    c2 = (centres ** 2).sum(axis=1)
    for s in range(0, x.shape[0], chunk):
        xs = x[s:s + chunk]
        out[s:s + chunk] = np.argmin(c2[None, :] - 2 * xs @ centres.T, axis=1)
    return out


def quantise(feats: List[np.ndarray], valids: List[np.ndarray], k: int, seed: int,
             cancel=None) -> Tuple[List[np.ndarray], int]:
    """Appearance clusters: features standardised, k-means on a sample, every valid pixel assigned its nearest
    centre. Returns (cluster ids [h, w] per window, -1 = no data; the number of distinct clusters found)."""
    sample = sample_rows(feats, valids, 20000, seed)
    if sample.shape[0] == 0:
        return [np.full(v.shape, -1, np.int64) for v in valids], 0
    mu, sd = sample.mean(axis=0), sample.std(axis=0)
    sd = np.where(sd > 1e-6, sd, 1.0)
    centres = kmeans((sample - mu) / sd, k, seed=seed)
    out = []
    for f, v in zip(feats, valids):
        check_cancel(cancel)
        ids = np.full(v.shape, -1, np.int64)
        ids[v] = assign((f[v] - mu) / sd, centres)
        out.append(ids)
    return out, int(centres.shape[0])


def no_texture(feats: List[np.ndarray], valids: List[np.ndarray], tol: float = 1e-3) -> bool:
    """True when the imagery is (nearly) uniform: every band's block mean varies by less than tol."""
    rows = [f[v] for f, v in zip(feats, valids) if v.any()]
    if not rows:
        return True
    r = np.concatenate(rows, axis=0)
    half = r.shape[1] // 2 if r.ndim == 2 and r.shape[1] > 1 else r.shape[1] if r.ndim == 2 else 1
    means = r[:, :half] if r.ndim == 2 else r[:, None]
    return bool((means.max(axis=0) - means.min(axis=0)).max() < tol)

