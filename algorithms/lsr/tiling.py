"""Tile plans and seam-free blending (no QGIS, no torch).

A raster of H x W pixels is covered by tiles of side `tile` whose starts are `stride = tile - overlap`
apart; the last tile in each direction is pulled back to end exactly at the raster edge, so every tile
is full size when the raster is at least one tile large. Each tile's prediction is weighted by a ramp
that rises linearly across the overlap (never to zero, so weights stay positive) and is flat in the
middle; overlapping predictions are averaged with these weights, which removes seams.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np


def tile_starts(length: int, tile: int, overlap: int) -> List[int]:
    """Start offsets along one axis. tile > overlap >= 0."""
    if length <= tile:
        return [0]
    stride = tile - overlap
    if stride <= 0:
        raise ValueError("tile size must be larger than the overlap")
    starts = list(range(0, length - tile + 1, stride))
    if starts[-1] + tile < length:
        starts.append(length - tile)
    return starts


@dataclass(frozen=True)
class Tile:
    row: int  # index of the tile row
    col: int
    y: int  # pixel offsets and size
    x: int
    h: int
    w: int


def plan_tiles(height: int, width: int, tile: int, overlap: int) -> List[List[Tile]]:
    """Tiles in rows (row-major), each tile clipped to the raster."""
    ys = tile_starts(height, tile, overlap)
    xs = tile_starts(width, tile, overlap)
    return [[Tile(r, c, y, x, min(tile, height - y), min(tile, width - x)) for c, x in enumerate(xs)]
            for r, y in enumerate(ys)]


def ramp(n: int, lead: int, trail: int) -> np.ndarray:
    """1-D weights of length n: linear rise over `lead` samples, flat, linear fall over `trail`."""
    w = np.ones(n, dtype=np.float32)
    if lead > 0:
        k = min(lead, n)
        w[:k] = np.minimum(w[:k], (np.arange(k, dtype=np.float32) + 1) / (lead + 1))
    if trail > 0:
        k = min(trail, n)
        w[n - k:] = np.minimum(w[n - k:], (np.arange(k, 0, -1, dtype=np.float32)) / (trail + 1))
    return w


def tile_weights(t: Tile, height: int, width: int, overlap: int) -> np.ndarray:
    """2-D blending weights [h, w] for tile t: ramps only on sides that have a neighbour."""
    top = overlap if t.y > 0 else 0
    left = overlap if t.x > 0 else 0
    bottom = overlap if t.y + t.h < height else 0
    right = overlap if t.x + t.w < width else 0
    return np.outer(ramp(t.h, top, bottom), ramp(t.w, left, right))


class StripBlender:
    """Accumulates weighted tile predictions one tile row at a time and hands back finished rows.

    Memory: (L + 2) x (tile height) x width float32 - bounded by one strip, independent of the
    raster's height. Call add() for every tile of a row, then finish_rows(next_row_start), which
    returns (y0, probs [L, rows, width], weight [rows, width], valid_weight [rows, width]) for rows no
    later tile touches: probs averages the tiles that have evidence at a pixel (weight > 0 there);
    valid_weight > 0 where any tile had data.
    """

    def __init__(self, n_labels: int, width: int):
        self.L = n_labels
        self.width = width
        self.y0 = 0
        self.acc = np.zeros((n_labels, 0, width), dtype=np.float32)
        self.wsum = np.zeros((0, width), dtype=np.float32)
        self.vsum = np.zeros((0, width), dtype=np.float32)

    def _ensure(self, y_end: int):
        rows = y_end - self.y0
        if rows > self.wsum.shape[0]:
            extra = rows - self.wsum.shape[0]
            self.acc = np.concatenate([self.acc, np.zeros((self.L, extra, self.width), np.float32)], axis=1)
            self.wsum = np.concatenate([self.wsum, np.zeros((extra, self.width), np.float32)], axis=0)
            self.vsum = np.concatenate([self.vsum, np.zeros((extra, self.width), np.float32)], axis=0)

    def add(self, t: Tile, probs: np.ndarray, weights: np.ndarray, valid: np.ndarray,
            evidence: Optional[np.ndarray] = None):
        """probs [L, h, w], weights [h, w], valid [h, w] bool (invalid pixels add nothing), evidence [h, w] bool
        (default: valid): the pixels whose probs count in the average."""
        if t.y < self.y0:
            raise ValueError("tiles must be added in row order")
        self._ensure(t.y + t.h)
        w = weights * (valid if evidence is None else evidence)
        r0 = t.y - self.y0
        self.acc[:, r0:r0 + t.h, t.x:t.x + t.w] += probs * w[None]
        self.wsum[r0:r0 + t.h, t.x:t.x + t.w] += w
        self.vsum[r0:r0 + t.h, t.x:t.x + t.w] += weights * valid

    def finish_rows(self, y_end: int) -> Tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """Pop rows [self.y0, y_end): (y0, probs normalised where weight > 0, weight, valid_weight)."""
        n = y_end - self.y0
        self._ensure(y_end)
        acc, ws, vs = self.acc[:, :n], self.wsum[:n], self.vsum[:n]
        probs = acc / np.maximum(ws, 1e-12)[None]
        y0 = self.y0
        self.acc = self.acc[:, n:].copy()
        self.wsum = self.wsum[n:].copy()
        self.vsum = self.vsum[n:].copy()
        self.y0 = y_end
        return y0, probs, ws, vs


def covering_tiles(plan: Sequence[Sequence[Tile]], rows: np.ndarray, cols: np.ndarray) -> List[List[Tile]]:
    """For pixels (rows, cols) [n] of the output grid, the tiles of the plan (plan_tiles) that cover each
    (one to four: tiles overlap). The plan is a regular grid: covering rows and columns are found per axis."""
    y0 = np.array([r[0].y for r in plan])
    y1 = y0 + np.array([r[0].h for r in plan])
    x0 = np.array([t.x for t in plan[0]])
    x1 = x0 + np.array([t.w for t in plan[0]])
    in_row = (rows[:, None] >= y0[None]) & (rows[:, None] < y1[None])  # [n, tile rows]
    in_col = (cols[:, None] >= x0[None]) & (cols[:, None] < x1[None])  # [n, tile columns]
    return [[plan[i][j] for i in np.nonzero(in_row[k])[0] for j in np.nonzero(in_col[k])[0]]
            for k in range(rows.size)]
