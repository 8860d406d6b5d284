"""Synthetic aerial scene with known truth, for the demo, tests and benchmarks.

``generate_scene`` paints a 1 m, 4-band (R, G, B, NIR) uint8 image of a rural landscape with a small
town, and the 4-label truth it was painted from (1 water, 2 forest = tree canopy, 3 field = low
vegetation, 4 built = roads, buildings, paved surfaces). Content: agricultural parcels with different
crops (some with row texture, some bare or ploughed and dark), organic forest with individual
crowns, shadows and clearings, hedgerows, a meandering river with riparian trees and often a lake,
main roads and a gravel road, and a town on a street grid with houses (gable roofs, driveways, yard
trees, lawns), commercial blocks with parking lots and parks. Trees and buildings cast shadows on
the ground (sun in the north-west). A point-spread blur and sensor noise are added at the end.
The classes are separable by texture and context but not by a pixel's colour alone (dark fields,
shadows on lawns and roads, grass in forest clearings, bright bare soil next to concrete).

``smooth_labels=True`` replaces the truth by a hand-drawn-style map: large smooth polygons, in which
roads, single houses and yard trees vanish although the imagery shows them. Pure self-similarity
does worse than upsampling the coarse map on that case.

``nlcd_from_truth`` derives a coarse NLCD-like class per 30 x 30 block from the truth, and
``write_scene`` writes the imagery, truth and coarse classes as GeoTIFFs (the 30 m classes in a
different CRS, EPSG:5070 by default, as NLCD is distributed).

Everything is deterministic given ``seed`` (numpy Generator). Pure numpy (GDAL only for writing).

Command line (from the repository root)::

    python3 -m synthetic.scene OUTDIR [--size 1024] [--seed 0] [--smooth]
"""

import math
import os

import numpy as np

WATER, FOREST, FIELD, BUILT = 1, 2, 3, 4
LABEL_NAMES = ("water", "forest", "field", "built")
LABEL_COLOURS = {
    WATER: (0, 112, 255),
    FOREST: (38, 115, 0),
    FIELD: (163, 255, 115),
    BUILT: (230, 0, 0),
}
# Official NLCD legend colours, used for the colour table of the coarse class rasters.
NLCD_COLOURS = {
    11: (70, 107, 159), 12: (209, 222, 248),
    21: (222, 197, 197), 22: (217, 146, 130), 23: (235, 0, 0), 24: (171, 0, 0),
    31: (179, 172, 159), 41: (104, 171, 95), 42: (28, 95, 44), 43: (181, 197, 143),
    51: (166, 140, 48), 52: (204, 186, 124), 71: (223, 223, 194), 72: (209, 209, 130),
    73: (164, 204, 81), 74: (130, 186, 158), 81: (220, 217, 57), 82: (171, 108, 40),
    90: (184, 217, 235), 95: (108, 159, 184),
}


# ----------------------------------------------------------------------------------------------
# Numerical helpers (all on the last two axes, float32)

def _gauss_transfer(shape, sigma, rfft=True):
    fy = np.fft.fftfreq(shape[0]).astype(np.float32)[:, None]
    fx = (np.fft.rfftfreq(shape[1]) if rfft else np.fft.fftfreq(shape[1])).astype(np.float32)[None, :]
    return np.exp(-2.0 * math.pi ** 2 * sigma ** 2 * (fx * fx + fy * fy)).astype(np.float32)


def _blur(img, sigma, periodic=False):
    """Gaussian blur of the last two axes (FFT). Non-periodic mode pads by reflection."""
    if sigma <= 0:
        return img.astype(np.float32, copy=False)
    img = np.asarray(img, dtype=np.float32)
    pad = 0 if periodic else int(math.ceil(3 * sigma)) + 1
    if pad:
        spec = [(0, 0)] * (img.ndim - 2) + [(pad, pad), (pad, pad)]
        a = np.pad(img, spec, mode="reflect")
    else:
        a = img
    h, w = a.shape[-2:]
    out = np.fft.irfft2(np.fft.rfft2(a) * _gauss_transfer((h, w), sigma), s=(h, w)).astype(np.float32)
    if pad:
        out = out[..., pad:pad + img.shape[-2], pad:pad + img.shape[-1]]
    return out


def _noise(rng, shape, sigmas, weights=None):
    """Sum of Gaussian-filtered white noises (one FFT), each term scaled to unit std, total std 1."""
    sigmas = list(np.atleast_1d(sigmas))
    weights = list(np.ones(len(sigmas)) if weights is None else np.atleast_1d(weights))
    white = rng.standard_normal(shape, dtype=np.float32)
    kern = np.zeros((shape[0], shape[1] // 2 + 1), np.float32)
    for s, wgt in zip(sigmas, weights):
        k_full = _gauss_transfer(shape, s, rfft=False)
        kern += wgt * _gauss_transfer(shape, s) / np.sqrt(np.mean(k_full ** 2))
    out = np.fft.irfft2(np.fft.rfft2(white) * kern, s=shape).astype(np.float32)
    out -= out.mean()
    out /= out.std() + 1e-12
    return out


def _shift(mask, dy, dx):
    """mask moved by (dy, dx) >= 0 pixels (down, right), zero-filled."""
    out = np.zeros_like(mask)
    h, w = mask.shape
    if dy >= h or dx >= w:
        return out
    out[dy:, dx:] = mask[:h - dy, :w - dx]
    return out


def _paint(img, truth, mask, colour, label=None, tex=None):
    """Paint colour (4,) or (4, n_masked) into img where mask, times texture tex (n_masked,)."""
    if not mask.any():
        return
    col = np.asarray(colour, np.float32)
    if col.ndim == 1:
        col = col[:, None]
    if tex is not None:
        col = col * tex[None, :]
    img[:, mask] = col
    if label is not None:
        truth[mask] = label


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


# Colours (R, G, B, NIR) in DN before noise.
_CROPS = np.array([
    (82, 122, 58, 195),    # green crop
    (66, 108, 52, 215),    # lush crop (close to forest colour, no crowns)
    (192, 172, 118, 135),  # ripe grain
    (168, 164, 112, 150),  # hay / pale grass
    (160, 136, 106, 100),  # bare soil, light
    (98, 80, 62, 72),      # ploughed, dark
    (108, 138, 74, 175),   # pasture
    (128, 146, 84, 165),   # mixed / stubble
    (116, 113, 107, 96),   # dry bare soil, greyish (close to asphalt and dark roofs)
    (176, 164, 146, 138),  # light dry soil / chalk (close to concrete)
], np.float32)
_ROOFS = np.array([
    (78, 78, 84, 80), (150, 150, 150, 140), (140, 82, 66, 135), (205, 205, 200, 190),
    (118, 100, 86, 95), (112, 128, 142, 120), (96, 64, 52, 70), (172, 160, 140, 150),
], np.float32)
_LAWN = np.array((98, 136, 68, 185), np.float32)
_DRY_LAWN = np.array((140, 148, 96, 160), np.float32)
_ASPHALT = np.array((96, 97, 100, 82), np.float32)
_CONCRETE = np.array((168, 166, 160, 150), np.float32)
_GRAVEL = np.array((150, 140, 122, 118), np.float32)
_WATER = np.array((30, 52, 62, 14), np.float32)
_SEDIMENT = np.array((62, 78, 70, 26), np.float32)
_DECIDUOUS = np.array((72, 110, 54, 205), np.float32)
_CONIFER = np.array((38, 66, 44, 135), np.float32)
_UNDERSTORY = np.array((44, 58, 36, 90), np.float32)


# ----------------------------------------------------------------------------------------------

def _paint_trees(img, truth, canopy_img, mask):
    if mask.any():
        img[:, mask] = canopy_img[:, mask]
        truth[mask] = FOREST


def _wiggle(S, t, amp, period, phase, flat):
    ramp = _smoothstep((np.abs(t) - flat) / (0.2 * S))
    return amp * np.sin(2 * math.pi * t / period + phase) * ramp


def _parcels(rng, S, xx, yy, img, truth, fine, mid):
    """Agricultural parcels: a rotated grid with irregular spacings, crop rows and dry margins (painted)."""
    beta = rng.uniform(-0.35, 0.35)
    cb, sb = math.cos(beta), math.sin(beta)
    u = xx * cb + yy * sb
    v = -xx * sb + yy * cb
    lo = -S * 0.5
    bu = lo + np.cumsum(rng.uniform(70, 230, int(2.2 * S / 70) + 4)).astype(np.float32)
    bv = lo + np.cumsum(rng.uniform(60, 200, int(2.2 * S / 60) + 4)).astype(np.float32)
    bu_ext = np.concatenate([[-1e9], bu, [1e9]]).astype(np.float32)
    bv_ext = np.concatenate([[-1e9], bv, [1e9]]).astype(np.float32)
    iu = np.searchsorted(bu, u)
    iv = np.searchsorted(bv, v)
    du_lo, du_hi = u - bu_ext[iu], bu_ext[iu + 1] - u
    dv_lo, dv_hi = v - bv_ext[iv], bv_ext[iv + 1] - v
    dist_u = np.minimum(du_lo, du_hi)
    dist_v = np.minimum(dv_lo, dv_hi)
    n_parcels = (len(bu) + 1) * (len(bv) + 1)
    pid = iu * (len(bv) + 1) + iv
    crop = rng.integers(0, len(_CROPS), n_parcels)
    row_dir = rng.integers(0, 2, n_parcels)
    row_period = rng.uniform(3.0, 8.0, n_parcels).astype(np.float32)
    row_amp = np.where(rng.random(n_parcels) < 0.55, rng.uniform(0.05, 0.16, n_parcels), 0.0).astype(np.float32)
    row_amp[crop == 6] = 0.0                                  # pasture: no rows
    parcel_gain = rng.uniform(0.88, 1.12, n_parcels).astype(np.float32)

    coord = np.where(row_dir[pid] == 0, u, v)
    rows = 1.0 + row_amp[pid] * np.sin(2 * math.pi * coord / row_period[pid])
    tex = parcel_gain[pid] * rows * (1.0 + 0.05 * fine + 0.06 * mid)
    col = np.moveaxis(_CROPS[crop[pid]], -1, 0)              # (4, S, S)
    img[:] = col * tex[None]
    truth[:] = FIELD
    # field margins / tracks: dry grass strips 2-3 px wide
    margin = np.minimum(dist_u, dist_v) < 1.6
    _paint(img, truth, margin, _DRY_LAWN, FIELD, (1.0 + 0.06 * fine)[margin])
    return beta, bu_ext, bv_ext, iu, iv, du_lo, du_hi, dv_lo, dv_hi, dist_u, dist_v


def _canopy(rng, shape, fine, mid):
    """Tree crowns: a bump field shared by every tree area; (crowns, lit, gap, canopy colours [4, S, S])."""
    impulses = (rng.random(shape, dtype=np.float32) < 1.0 / 26).astype(np.float32)
    impulses *= rng.uniform(0.6, 1.4, shape).astype(np.float32)
    crowns = _blur(impulses, 2.3, periodic=True)
    crowns /= np.percentile(crowns, 99.5) + 1e-6
    crowns = np.clip(crowns, 0.0, 1.2)
    gy, gx = np.gradient(crowns)
    lit = np.clip((gx + gy) * 4.0, -0.6, 0.6)                 # sun in the north-west
    species = _noise(rng, shape, [20.0, 60.0])
    conifer_w = _smoothstep(species * 0.8 - 0.3)[None]
    canopy_col = _DECIDUOUS[:, None, None] * (1 - conifer_w) + _CONIFER[:, None, None] * conifer_w
    canopy_bright = 0.42 + 0.62 * crowns + 0.45 * lit + 0.04 * fine
    gap = crowns < 0.16                                       # between crowns: understory in shade
    canopy_img = canopy_col * canopy_bright[None]
    canopy_img[:, gap] = (_UNDERSTORY[:, None] * (0.7 + 0.15 * fine[gap])[None])
    canopy_img[3] *= 1.0 + 0.1 * mid                          # NIR varies with vigour
    return crowns, lit, gap, canopy_img


def _woods(rng, S, shape, mid, crowns, bu_ext, bv_ext, iu, iv, du_lo, du_hi, dv_lo, dv_hi, dist_u, dist_v):
    """Forest: organic patches with clearings, and hedgerows along about a third of the parcel boundaries."""
    forest_n = _noise(rng, shape, [max(S / 14.0, 20.0), 28.0, 9.0], [1.0, 0.45, 0.15])
    forest = forest_n > np.quantile(forest_n[::4, ::4], 0.66)
    clearing = forest & (_noise(rng, shape, [10.0, 18.0]) > 1.75)
    # hedgerows along about a third of the parcel boundaries, with gaps
    hedge_u = rng.random(len(bu_ext) + 1) < 0.3
    hedge_v = rng.random(len(bv_ext) + 1) < 0.3
    near_u = np.where(du_lo < du_hi, iu, iu + 1)
    near_v = np.where(dv_lo < dv_hi, iv, iv + 1)
    hedge = ((dist_u < 4.5) & hedge_u[near_u]) | ((dist_v < 4.5) & hedge_v[near_v])
    hedge &= (mid > -0.6) & (crowns > 0.22 - 0.1 * (np.minimum(dist_u, dist_v) < 2.5))
    return forest, clearing, hedge


def _water(rng, S, shape, xx, yy, mid):
    """Water: a meandering river and often a lake; (distance to the river, water, riparian, lake)."""
    theta = rng.uniform(0, math.pi)
    ct, st = math.cos(theta), math.sin(theta)
    ox, oy = S * rng.uniform(0.3, 0.7), S * rng.uniform(0.3, 0.7)
    ru = (xx - ox) * ct + (yy - oy) * st
    rv = -(xx - ox) * st + (yy - oy) * ct
    ph = rng.uniform(0, 2 * math.pi, 3)
    centre = (0.07 * S * np.sin(2 * math.pi * ru / (0.75 * S) + ph[0])
              + 0.025 * S * np.sin(2 * math.pi * ru / (0.23 * S) + ph[1]))
    width = (10 + 0.018 * S) * (1.0 + 0.3 * np.sin(2 * math.pi * ru / (0.4 * S) + ph[2]))
    rdist = np.abs(rv - centre) - width / 2
    water = rdist < 0
    riparian = rdist < (12 + 8 * mid)
    lake = np.zeros(shape, bool)
    if rng.random() < 0.7:
        for _ in range(20):
            lx, ly = S * rng.uniform(0.15, 0.85, 2)
            if np.abs(rdist[int(ly), int(lx)]) > 0.18 * S:
                break
        lr = S * rng.uniform(0.05, 0.085)
        lake_n = _noise(rng, shape, [lr * 0.35])
        lake = np.hypot(xx - lx, yy - ly) / lr + 0.22 * lake_n < 1.0
        riparian |= np.hypot(xx - lx, yy - ly) / lr + 0.22 * lake_n < 1.0 + (10 + 8 * mid) / lr
    water |= lake
    return rdist, water, riparian, lake


def _town_blocks(rng, S, xx, yy, beta, rdist, lake, riparian):
    """Town: a rotated street grid around a centre away from the water; blocks residential, commercial or parks."""
    best = None
    for _ in range(24):
        cx, cy = S * rng.uniform(0.28, 0.72, 2)
        d = np.abs(rdist[int(cy), int(cx)]) + (0 if not lake[int(cy), int(cx)] else -S)
        if best is None or d > best[0]:
            best = (d, cx, cy)
        if d > 0.22 * S:
            break
    _, cx, cy = best
    alpha = beta + rng.uniform(-0.25, 0.25)
    ca, sa = math.cos(alpha), math.sin(alpha)
    p = (xx - cx) * ca + (yy - cy) * sa
    q = -(xx - cx) * sa + (yy - cy) * ca
    BP, BQ, SW = 84.0, 96.0, 7.0                              # block size along p, q; street width
    ip = np.floor(p / BP).astype(np.int32)
    iq = np.floor(q / BQ).astype(np.int32)
    K = int(S / 60) + 3
    ipc, iqc = np.clip(ip + K, 0, 2 * K), np.clip(iq + K, 0, 2 * K)
    block_id = ipc * (2 * K + 1) + iqc
    nb = (2 * K + 1) ** 2
    bi, bj = np.divmod(np.arange(nb), 2 * K + 1)
    bcp, bcq = (bi - K + 0.5) * BP, (bj - K + 0.5) * BQ
    town_r = 0.2 * S + 40
    in_town_b = (bcp / (town_r * 1.1)) ** 2 + (bcq / town_r) ** 2 < 1.0 + rng.uniform(-0.25, 0.25, nb)
    wet_b = np.bincount(block_id[riparian].ravel(), minlength=nb) > 0
    in_town_b &= ~wet_b
    in_town_b &= (np.abs(bi - K) < K) & (np.abs(bj - K) < K)
    in_town = in_town_b[block_id]
    pb = p - ip * BP                                          # position within the block
    qb = q - iq * BQ
    street = in_town & ((pb < SW) | (qb < SW))
    interior = in_town & ~street
    rdist_c = np.hypot(bcp, bcq) / town_r
    kind = np.where(rng.random(nb) < 0.5 * (1 - rdist_c), 1, 0)          # 1 commercial
    kind = np.where((kind == 0) & (rng.random(nb) < 0.1), 2, kind)       # 2 park
    return alpha, p, q, BP, BQ, SW, block_id, nb, town_r, in_town, pb, qb, street, interior, kind


def _residential(rng, shape, fine, BP, BQ, SW, pb, qb, block_id, nb, interior, kind):
    """Residential lots, 2 x 3 per block: houses, driveways, yard trees."""
    LW, LH = (BP - SW) / 2, (BQ - SW) / 3
    a_in, b_in = pb - SW, qb - SW
    lp = np.clip((a_in // LW).astype(np.int32), 0, 1)
    lq = np.clip((b_in // LH).astype(np.int32), 0, 2)
    a = a_in - lp * LW
    b = b_in - lq * LH
    lot = block_id * 6 + lp * 3 + lq
    nl = nb * 6
    hw = rng.uniform(12, 20, nl)
    hd = rng.uniform(9, 15, nl)
    setback = rng.uniform(5, 10, nl)
    lot_side = np.tile(np.repeat([0, 1], 3), nb)
    a0 = np.where(lot_side == 0, setback, LW - setback - hw)
    b0 = rng.uniform(2, LH - hd - 6)
    has_house = rng.random(nl) > 0.1
    roof = rng.integers(0, len(_ROOFS), nl)
    la0, lb0, lhw, lhd = a0[lot], b0[lot], hw[lot], hd[lot]
    resid = interior & (kind[block_id] == 0)
    house = resid & has_house[lot] & (a >= la0) & (a < la0 + lhw) & (b >= lb0) & (b < lb0 + lhd)
    drive_a = np.where(lot_side[lot] == 0, a < la0 + lhw, a >= la0)
    driveway = resid & has_house[lot] & drive_a & (b >= lb0 + lhd) & (b < lb0 + lhd + 4.5)
    yard_tree = np.zeros(shape, bool)
    for _ in range(2):
        tr = rng.uniform(3.0, 7.5, nl)
        ta, tb = rng.uniform(0, LW, nl), rng.uniform(0, LH, nl)
        on = rng.random(nl) < 0.55
        d2 = (a - ta[lot]) ** 2 + (b - tb[lot]) ** 2
        yard_tree |= interior & (kind[block_id] != 1) & on[lot] & (d2 < (tr[lot] * (1 + 0.12 * fine)) ** 2)
    return a_in, b_in, a, b, lot, la0, lb0, lhw, lhd, roof, house, driveway, yard_tree


def _commercial(rng, BP, BQ, SW, a_in, b_in, block_id, nb, interior, kind):
    """Commercial blocks: one big flat-roofed building, the rest parking; and the parks."""
    cw, chh = rng.uniform(30, 56, nb), rng.uniform(26, 62, nb)
    cbld = interior & (kind[block_id] == 1) & (a_in >= 8) & (a_in < 8 + cw[block_id]) \
        & (b_in >= 8) & (b_in < 8 + chh[block_id])
    commercial = interior & (kind[block_id] == 1)
    c_lawn = commercial & ((a_in < 3) | (b_in < 3) | (a_in > BP - SW - 3) | (b_in > BQ - SW - 3))
    parking = commercial & ~c_lawn & ~cbld
    park = interior & (kind[block_id] == 2)
    return cbld, c_lawn, parking, park


def _roads(rng, S, xx, yy, p, q, SW, alpha, town_r, in_town):
    """Two main roads crossing in town, one gravel road."""
    ph = rng.uniform(0, 2 * math.pi, 4)
    road1 = np.abs(q - SW / 2 - _wiggle(S, p, 0.03 * S, 0.6 * S, ph[0], town_r)) < 4.5
    road2 = np.abs(p - SW / 2 - _wiggle(S, q, 0.03 * S, 0.55 * S, ph[1], town_r)) < 4.0
    g_ang = alpha + math.pi / 2 + rng.uniform(-0.6, 0.6)
    gx0, gy0 = S * rng.uniform(0.15, 0.85, 2)
    gu = (xx - gx0) * math.cos(g_ang) + (yy - gy0) * math.sin(g_ang)
    gv = -(xx - gx0) * math.sin(g_ang) + (yy - gy0) * math.cos(g_ang)
    gravel = np.abs(gv - 0.04 * S * np.sin(2 * math.pi * gu / (0.5 * S) + ph[2])) < 2.6
    gravel &= ~in_town
    road1_line = np.abs(q - SW / 2 - _wiggle(S, p, 0.03 * S, 0.6 * S, ph[0], town_r)) < 0.6
    dashes = road1_line & (np.sin(2 * math.pi * p / 9.0) > 0.2)
    return ph, road1, road2, gravel, dashes


def _paint_land(img, truth, fine, mid, canopy_img, gap, forest, clearing, hedge, riparian, water, in_town, rdist):
    """Paint forest, hedges and riparian trees, clearings, water and its banks."""
    woods = forest & ~clearing
    edge_trees = (riparian & ~water & (mid > -0.9) & ~gap) | hedge
    forest_area = (woods | edge_trees) & ~in_town
    _paint_trees(img, truth, canopy_img, forest_area)
    # forest clearings: grass, partly shaded
    clr = clearing & ~in_town
    _paint(img, truth, clr, _LAWN * 1.05, FIELD, (1 + 0.08 * fine + 0.08 * mid)[clr])
    # water: dark, sediment plumes, brighter sunlit ripples
    sed = _smoothstep(mid * 0.5 + 0.3)
    water_col = _WATER[:, None, None] * (1 - sed[None]) + _SEDIMENT[:, None, None] * sed[None]
    water_col *= (1 + 0.04 * fine)[None]
    _paint(img, truth, water, water_col[:, water], WATER)
    bank = ~water & (np.abs(rdist) < 1.5) & ~forest_area
    _paint(img, truth, bank, _GRAVEL * 0.9, FIELD, (1 + 0.1 * fine)[bank])


def _paint_town(rng, shape, img, truth, fine, mid, crowns, lit, canopy_img, interior, driveway, park, yard_tree, lhw,
                lhd, a, b, la0, lb0, roof, lot, house, a_in, b_in, parking, cbld, c_lawn, street):
    """Paint the town: lawns, driveways, trees, gable roofs, parking with cars, flat roofs, streets."""
    lawn_col = _LAWN[:, None] * (1 + 0.07 * fine[interior] + 0.07 * mid[interior])[None]
    dry = _smoothstep(mid[interior] * 0.7)
    lawn_col = lawn_col * (1 - dry) + _DRY_LAWN[:, None] * dry * (1 + 0.06 * fine[interior])
    _paint(img, truth, interior, lawn_col, FIELD)
    _paint(img, truth, driveway, _CONCRETE * 0.92, BUILT, (1 + 0.04 * fine)[driveway])
    park_trees = park & (crowns > 0.2) & (mid > 0)
    _paint_trees(img, truth, canopy_img, park_trees)
    yt = yard_tree & ~driveway
    tree_tex = 0.6 + 0.55 * crowns[yt] + 0.5 * lit[yt]
    _paint(img, truth, yt, _DECIDUOUS[:, None] * tree_tex[None], FOREST)
    # houses: gable roofs, ridge along the longer side, sunlit half brighter
    ridge_along_a = (lhw >= lhd)
    rel = np.where(ridge_along_a, (b - lb0) / lhd, (a - la0) / lhw)
    half = np.where(rel < 0.5, 1.12, 0.80)
    ridge = np.abs(rel - 0.5) < 0.06
    roof_col = np.moveaxis(_ROOFS[roof[lot]], -1, 0) * (half * (1 + 0.03 * fine) * np.where(ridge, 1.1, 1.0))[None]
    _paint(img, truth, house, roof_col[:, house], BUILT)
    del roof_col
    # commercial: parking with stall stripes, flat roofs with rooftop units
    stripes = (np.mod(b_in, 3.0) < 0.6) & (np.mod(a_in, 18.0) > 4) & (np.mod(a_in, 18.0) < 14)
    pk_tex = np.where(stripes, 1.9, 1.0) * (1 + 0.05 * fine)
    _paint(img, truth, parking, _ASPHALT, BUILT, pk_tex[parking])
    cars = parking & ~stripes & (rng.random(shape, dtype=np.float32) < 0.02)
    cars = _blur(cars.astype(np.float32), 1.0) > 0.08
    cars &= parking
    car_col = _ROOFS[rng.integers(0, len(_ROOFS), int(cars.sum()))].T * 1.1
    _paint(img, truth, cars, car_col, BUILT)
    units = cbld & (_noise(rng, shape, [1.5]) > 1.8)
    cb_tex = (1 + 0.03 * fine) * np.where(units, 0.7, 1.0)
    _paint(img, truth, cbld, _CONCRETE * 1.12, BUILT, cb_tex[cbld])
    _paint(img, truth, c_lawn & ~cbld, _LAWN, FIELD, (1 + 0.07 * fine)[c_lawn & ~cbld])
    _paint(img, truth, street, _ASPHALT * 1.05, BUILT, (1 + 0.04 * fine + 0.03 * mid)[street])


def _paint_roads(rng, S, shape, img, truth, fine, mid, p, q, SW, ph, town_r, road1, road2, dashes, gravel, water):
    """Roads over everything (bridges over water) and a farmstead or two along them; returns the barns."""
    roads = road1 | road2
    _paint(img, truth, roads, _ASPHALT, BUILT, (1 + 0.04 * fine + 0.03 * mid)[roads])
    _paint(img, truth, dashes & roads, (225, 220, 200, 200), BUILT)
    grv = gravel & ~roads
    _paint(img, truth, grv, _GRAVEL, BUILT, (1 + 0.08 * fine)[grv])

    farm = np.zeros(shape, bool)
    for _ in range(int(rng.integers(2, 5))):
        tp = rng.choice([-1, 1]) * rng.uniform(town_r + 30, max(town_r + 31, 0.9 * S))
        tq = rng.choice([-1, 1]) * rng.uniform(14, 24) + SW / 2 + _wiggle(S, np.float32(tp), 0.03 * S, 0.6 * S, ph[0],
                                                                          town_r)
        fw, fh = rng.uniform(12, 28), rng.uniform(9, 16)
        barn = (np.abs(p - tp) < fw / 2) & (np.abs(q - tq) < fh / 2) & ~water & ~roads
        if barn.any():
            rf = _ROOFS[int(rng.integers(0, len(_ROOFS)))]
            bt = np.where(q[barn] < tq, 1.1, 0.82) * (1 + 0.03 * fine[barn])
            _paint(img, truth, barn, rf, BUILT, bt)
            farm |= barn
    return farm


def generate_scene(size=1024, seed=0, smooth_labels=False):
    """Paint a synthetic scene.

    Returns a dict of numpy arrays:
      imagery         uint8 [4, size, size]  R, G, B, NIR at 1 m
      truth           uint8 [size, size]     1 water, 2 forest, 3 field, 4 built (the hand-drawn
                                             style map when smooth_labels)
      truth_detailed  uint8 [size, size]     the pixel-exact truth the imagery was painted from
    The stages draw from one random generator in a fixed order: the same seed gives the same scene.
    """
    S = int(size)
    if S < 32:
        raise ValueError("size must be at least 32, got %d" % S)
    rng = np.random.default_rng(seed)
    shape = (S, S)
    yy, xx = np.mgrid[0:S, 0:S].astype(np.float32)
    img = np.zeros((4, S, S), np.float32)
    truth = np.zeros(shape, np.uint8)
    fine = _noise(rng, shape, [1.0, 3.0], [1.0, 0.6])          # per-pixel texture
    mid = _noise(rng, shape, [8.0, 25.0], [1.0, 1.0])          # within-class variation
    beta, bu_ext, bv_ext, iu, iv, du_lo, du_hi, dv_lo, dv_hi, dist_u, dist_v = _parcels(rng, S, xx, yy, img, truth,
                                                                                       fine, mid)
    crowns, lit, gap, canopy_img = _canopy(rng, shape, fine, mid)
    forest, clearing, hedge = _woods(rng, S, shape, mid, crowns, bu_ext, bv_ext, iu, iv, du_lo, du_hi, dv_lo, dv_hi,
                                     dist_u, dist_v)
    del du_lo, du_hi, dv_lo, dv_hi, iu, iv
    rdist, water, riparian, lake = _water(rng, S, shape, xx, yy, mid)
    alpha, p, q, BP, BQ, SW, block_id, nb, town_r, in_town, pb, qb, street, interior, kind = _town_blocks(
        rng, S, xx, yy, beta, rdist, lake, riparian)
    a_in, b_in, a, b, lot, la0, lb0, lhw, lhd, roof, house, driveway, yard_tree = _residential(
        rng, shape, fine, BP, BQ, SW, pb, qb, block_id, nb, interior, kind)
    cbld, c_lawn, parking, park = _commercial(rng, BP, BQ, SW, a_in, b_in, block_id, nb, interior, kind)
    ph, road1, road2, gravel, dashes = _roads(rng, S, xx, yy, p, q, SW, alpha, town_r, in_town)
    _paint_land(img, truth, fine, mid, canopy_img, gap, forest, clearing, hedge, riparian, water, in_town, rdist)
    _paint_town(rng, shape, img, truth, fine, mid, crowns, lit, canopy_img, interior, driveway, park, yard_tree, lhw,
                lhd, a, b, la0, lb0, roof, lot, house, a_in, b_in, parking, cbld, c_lawn, street)
    farm = _paint_roads(rng, S, shape, img, truth, fine, mid, p, q, SW, ph, town_r, road1, road2, dashes, gravel,
                        water)
    # ---- shadows: buildings and tree edges cast to the south-east ----------------------------
    tall_b = house | cbld | farm
    trees = truth == FOREST
    shade = (_shift(tall_b, 3, 3) | _shift(tall_b, 2, 2) | _shift(trees, 3, 3) | _shift(trees, 2, 2)) \
        & ~tall_b & ~trees
    img[:, shade] *= np.array([0.55, 0.55, 0.6, 0.5], np.float32)[:, None]

    # ---- sensor: point-spread blur, haze, noise --------------------------------------------
    img = _blur(img, 0.6)
    img += np.array([4, 4, 10, 0], np.float32)[:, None, None]
    img += rng.normal(0.0, 2.5, img.shape).astype(np.float32)
    imagery = np.clip(np.rint(img), 0, 255).astype(np.uint8)

    detailed = truth.copy()
    if smooth_labels:
        truth = _hand_drawn(detailed, rng)
    return {"imagery": imagery, "truth": truth, "truth_detailed": detailed}


def _hand_drawn(truth, rng):
    """Large smooth polygons from a detailed truth, as a person would draw them.

    Smoothed label shares (Gaussian, sigma = max(8, size / 64)) with wobbly edges; water is favoured so
    rivers stay connected; built-up areas become one built polygon where built covers more than
    about a fifth of a wide neighbourhood (the town), and thin built features (roads, farmsteads,
    single houses) are drawn over by their surroundings.
    """
    S = truth.shape[0]
    sigma = max(8.0, S / 64.0)
    onehot = np.stack([(truth == k).astype(np.float32) for k in (WATER, FOREST, FIELD, BUILT)])
    share = _blur(onehot, sigma)
    share += 0.06 * _noise(rng, truth.shape, [sigma * 1.5])[None]
    share[0] *= 2.5
    town = _blur(onehot[3], 2 * sigma) > 0.24
    share[3] = np.where(town, 2.0, 0.0)
    out = (np.argmax(share, axis=0) + 1).astype(np.uint8)
    return out


# ----------------------------------------------------------------------------------------------

def nlcd_from_truth(truth, block=30, seed=0, noise=0.03):
    """NLCD-like coarse classes per block x block cell of a 4-label truth.

    truth: uint8 [H, W] with 1 water, 2 forest, 3 field, 4 built, 0 nodata. Returns uint8
    [ceil(H/block), ceil(W/block)]; partial edge blocks use their valid pixels; all-nodata blocks
    are 0. Rules, first match wins (shares of valid pixels):
      water > 0.5 -> 11; built > 0.6 -> 24, > 0.4 -> 23, > 0.2 -> 22, > 0.08 -> 21;
      forest > 0.6 -> 41 (or 42 / 43, 20 % each, at random); field > 0.5 -> 81 or 82 (half each);
      otherwise 52 (shrub) where forest outweighs field, else 71 (grassland).
    noise: share of blocks whose class is then replaced by a random 4-neighbour's class, as in real
    NLCD (0 turns it off). Random choices are deterministic given seed.
    """
    truth = np.asarray(truth)
    H, W = truth.shape
    bh, bw = -(-H // block), -(-W // block)
    padded = np.zeros((bh * block, bw * block), np.uint8)
    padded[:H, :W] = truth
    tiles = padded.reshape(bh, block, bw, block)
    counts = np.stack([(tiles == k).sum(axis=(1, 3)) for k in range(5)]).astype(np.float64)
    valid = counts[1:].sum(axis=0)
    share = counts[1:] / np.maximum(valid, 1)[None]
    water, forest, field, built = share
    rng = np.random.default_rng(seed)
    r_forest = rng.random((bh, bw))
    r_field = rng.random((bh, bw))
    forest_code = np.where(r_forest < 0.6, 41, np.where(r_forest < 0.8, 42, 43))
    field_code = np.where(r_field < 0.5, 81, 82)
    out = np.where(forest > field, 52, 71)
    out = np.where(field > 0.5, field_code, out)
    out = np.where(forest > 0.6, forest_code, out)
    out = np.where(built > 0.08, 21, out)
    out = np.where(built > 0.2, 22, out)
    out = np.where(built > 0.4, 23, out)
    out = np.where(built > 0.6, 24, out)
    out = np.where(water > 0.5, 11, out)
    out = np.where(valid > 0, out, 0).astype(np.uint8)
    if noise > 0 and bh * bw > 1:
        swap = (rng.random((bh, bw)) < noise) & (out > 0)
        dirs = rng.integers(0, 4, (bh, bw))
        dy = np.array([-1, 1, 0, 0])[dirs]
        dx = np.array([0, 0, -1, 1])[dirs]
        yi, xi = np.nonzero(swap)
        ny = np.clip(yi + dy[yi, xi], 0, bh - 1)
        nx = np.clip(xi + dx[yi, xi], 0, bw - 1)
        src = out.copy()
        repl = src[ny, nx]
        keep = repl > 0
        out[yi[keep], xi[keep]] = repl[keep]
    return out


# ----------------------------------------------------------------------------------------------

def _nlcd_names():
    from algorithms.composition.table import NLCD_NAMES

    return {k: f"{k} {v}" for k, v in NLCD_NAMES.items()}


def _colour_table(gdal, colours):
    ct = gdal.ColorTable()
    ct.SetColorEntry(0, (0, 0, 0, 0))
    for code, rgb in colours.items():
        ct.SetColorEntry(int(code), tuple(int(c) for c in rgb) + (255,))
    return ct


def _write_tif(gdal, path, array, gt, wkt, nodata=None, colours=None, descriptions=None, names=None):
    array = np.asarray(array)
    if colours is not None and names is not None:
        # A .qml legend listing only the codes present (GeoTIFF pads colour tables to 256 entries).
        from algorithms.io.label_style import qml_for_palette

        present = sorted(int(v) for v in np.unique(array) if int(v) in colours)
        with open(os.path.splitext(path)[0] + ".qml", "w", encoding="utf-8") as fh:
            fh.write(qml_for_palette([(v, colours[v], names.get(v, str(v))) for v in present]))
    if array.ndim == 2:
        array = array[None]
    driver = gdal.GetDriverByName("GTiff")
    opts = ["COMPRESS=DEFLATE"]
    if min(array.shape[1:]) >= 512:
        opts.append("TILED=YES")
    if array.shape[0] > 1:
        opts.append("INTERLEAVE=PIXEL")
        if array.shape[0] == 4:
            opts.append("PHOTOMETRIC=MINISBLACK")
    ds = driver.Create(path, array.shape[2], array.shape[1], array.shape[0], gdal.GDT_Byte, opts)
    ds.SetGeoTransform(gt)
    ds.SetProjection(wkt)
    for i in range(array.shape[0]):
        band = ds.GetRasterBand(i + 1)
        band.WriteArray(array[i])
        if nodata is not None:
            band.SetNoDataValue(nodata)
        if colours is not None:
            band.SetRasterColorTable(_colour_table(gdal, colours))
            band.SetRasterColorInterpretation(gdal.GCI_PaletteIndex)
        if descriptions is not None:
            band.SetDescription(descriptions[i])
    ds.FlushCache()
    ds = None


def _write_classes_30m(gdal, osr, path, classes, block, srs, wkt, x0, y0, S, classes_epsg):
    """The block classes [S / block, S / block] as a 30 m raster in classes_epsg covering the imagery."""
    # 30 m grid in the imagery CRS, then reprojected (nearest) to classes_epsg. The source grid
    # gets a margin of two blocks (edge classes repeated) so that the rotated target grid has
    # data on every cell that touches the imagery, as real NLCD would.
    m = 2
    src = np.pad(classes, m, mode="edge")
    mem = gdal.GetDriverByName("MEM").Create("", src.shape[1], src.shape[0], 1, gdal.GDT_Byte)
    mem.SetGeoTransform((x0 - m * block, float(block), 0.0, y0 + m * block, 0.0, -float(block)))
    mem.SetProjection(wkt)
    mem.GetRasterBand(1).WriteArray(src)
    mem.GetRasterBand(1).SetNoDataValue(0)
    dst_srs = osr.SpatialReference()
    dst_srs.ImportFromEPSG(int(classes_epsg))
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    dst_srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_dst = osr.CoordinateTransformation(srs, dst_srs)
    edge = np.linspace(0.0, float(S), 9)
    ring = [(x0 + t, y0) for t in edge] + [(x0 + t, y0 - S) for t in edge] \
        + [(x0, y0 - t) for t in edge] + [(x0 + S, y0 - t) for t in edge]
    pts = np.array([to_dst.TransformPoint(x, y)[:2] for x, y in ring])
    bounds = (pts[:, 0].min() - block, pts[:, 1].min() - block,
              pts[:, 0].max() + block, pts[:, 1].max() + block)
    warped = gdal.Warp("", mem, format="MEM", dstSRS=dst_srs.ExportToWkt(), outputBounds=bounds,
                       xRes=float(block), yRes=float(block), targetAlignedPixels=True,
                       resampleAlg="near", srcNodata=0, dstNodata=0, outputType=gdal.GDT_Byte)
    arr = warped.GetRasterBand(1).ReadAsArray()
    _write_tif(gdal, path, arr, warped.GetGeoTransform(), warped.GetProjection(),
               nodata=0, colours=NLCD_COLOURS, names=_nlcd_names())
    warped = None
    mem = None


def write_scene(folder, size=1024, seed=0, smooth_labels=False, imagery_epsg=26917,
                classes_epsg=5070, origin=(500000.0, 4300000.0)):
    """Generate a scene and write it as GeoTIFFs (DEFLATE) into folder.

    Files (1 m grid: north-up, top-left corner at origin, in imagery_epsg):
      imagery.tif      uint8, 4 bands R, G, B, NIR
      truth.tif        uint8 labels 1..4, nodata 0, colour table
      classes_1m.tif   the 30 m block classes nearest-upsampled onto the 1 m grid (nodata 0)
      classes_30m.tif  the block classes as a 30 m raster in classes_epsg (default EPSG:5070,
                       as NLCD), reprojected with nearest neighbour on a 30 m aligned grid; its
                       extent covers the imagery
    Returns a dict of the paths (imagery, truth, classes_1m, classes_30m) plus size.
    """
    from osgeo import gdal, osr

    prev_exc = gdal.GetUseExceptions()
    gdal.UseExceptions()
    try:
        os.makedirs(folder, exist_ok=True)
        scene = generate_scene(size=size, seed=seed, smooth_labels=smooth_labels)
        S = int(size)
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(int(imagery_epsg))
        wkt = srs.ExportToWkt()
        x0, y0 = float(origin[0]), float(origin[1])
        gt1 = (x0, 1.0, 0.0, y0, 0.0, -1.0)
        paths = {
            "imagery": os.path.join(folder, "imagery.tif"),
            "truth": os.path.join(folder, "truth.tif"),
            "classes_1m": os.path.join(folder, "classes_1m.tif"),
            "classes_30m": os.path.join(folder, "classes_30m.tif"),
        }
        _write_tif(gdal, paths["imagery"], scene["imagery"], gt1, wkt,
                   descriptions=["red", "green", "blue", "nir"])
        _write_tif(gdal, paths["truth"], scene["truth"], gt1, wkt, nodata=0, colours=LABEL_COLOURS,
                   names=dict(zip((WATER, FOREST, FIELD, BUILT), LABEL_NAMES)))

        block = 30
        classes = nlcd_from_truth(scene["truth"], block=block, seed=seed)
        up = np.repeat(np.repeat(classes, block, axis=0), block, axis=1)[:S, :S]
        _write_tif(gdal, paths["classes_1m"], up, gt1, wkt, nodata=0, colours=NLCD_COLOURS, names=_nlcd_names())

        _write_classes_30m(gdal, osr, paths["classes_30m"], classes, block, srs, wkt, x0, y0, S, classes_epsg)
    finally:
        if not prev_exc:
            gdal.DontUseExceptions()
    paths["size"] = S
    return paths


def main(argv=None):
    import argparse
    import time

    ap = argparse.ArgumentParser(prog="python3 -m synthetic.scene",
                                 description="Write a synthetic scene (imagery, truth, coarse classes).")
    ap.add_argument("outdir")
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smooth", action="store_true", help="hand-drawn-style smooth truth")
    ap.add_argument("--imagery-epsg", type=int, default=26917)
    ap.add_argument("--classes-epsg", type=int, default=5070)
    args = ap.parse_args(argv)
    t0 = time.time()
    paths = write_scene(args.outdir, size=args.size, seed=args.seed, smooth_labels=args.smooth,
                        imagery_epsg=args.imagery_epsg, classes_epsg=args.classes_epsg)
    for k, v in paths.items():
        print("%s: %s" % (k, v))
    print("done in %.1f s" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
