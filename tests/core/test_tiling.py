import numpy as np
import pytest

from algorithms.lsr.tiling import StripBlender, Tile, plan_tiles, ramp, tile_starts, tile_weights


@pytest.mark.parametrize("length,tile,overlap", [(1000, 256, 32), (256, 256, 32), (100, 256, 32), (513, 512, 64),
                                                 (2049, 512, 64), (37, 16, 4)])
def test_tiles_cover_every_pixel_and_stay_inside(length, tile, overlap):
    starts = tile_starts(length, tile, overlap)
    covered = np.zeros(length, int)
    for s in starts:
        e = min(s + tile, length)
        assert 0 <= s < e <= length
        covered[s:e] += 1
    assert covered.min() >= 1
    if length >= tile:
        assert all(s + tile <= length for s in starts)  # full-size tiles
        assert starts[-1] + tile == length


def test_ramp_positive_and_flat_in_middle():
    w = ramp(20, 4, 4)
    assert (w > 0).all() and w.max() == 1 and (w[4:16] == 1).all()
    assert np.all(np.diff(w[:5]) > 0)


def reassemble(H, W, tile, overlap, field):
    rows = plan_tiles(H, W, tile, overlap)
    b = StripBlender(field.shape[0], W)
    out = np.full(field.shape, np.nan, np.float32)
    for r, row in enumerate(rows):
        for t in row:
            patch = field[:, t.y:t.y + t.h, t.x:t.x + t.w]
            b.add(t, patch, tile_weights(t, H, W, overlap), np.ones((t.h, t.w), bool))
        ny = rows[r + 1][0].y if r + 1 < len(rows) else H
        y0, probs, ws, _ = b.finish_rows(ny)
        assert (ws > 0).all()
        out[:, y0:ny] = probs
    return out


def test_blender_reassembles_a_field_exactly():
    rng = np.random.default_rng(0)
    H, W = 150, 170
    field = rng.random((3, H, W)).astype(np.float32)
    out = reassemble(H, W, 64, 16, field)
    np.testing.assert_allclose(out, field, rtol=1e-5, atol=1e-6)


def test_blender_averages_disagreeing_tiles_smoothly():
    H, W, tile, ov = 10, 60, 32, 8
    rows = plan_tiles(H, W, tile, ov)
    b = StripBlender(1, W)
    for t in rows[0]:
        val = float(t.col)  # each tile predicts its own constant
        b.add(t, np.full((1, t.h, t.w), val, np.float32), tile_weights(t, H, W, ov), np.ones((t.h, t.w), bool))
    _, probs, _, _ = b.finish_rows(H)
    line = probs[0, 0]
    assert line[0] == 0 and line[-1] == len(rows[0]) - 1
    assert np.all(np.diff(line) >= -1e-6)  # monotone transition, no jump back
    assert np.max(np.diff(line)) < 0.5  # blended over the overlap, not a hard seam


def test_blender_ignores_invalid_pixels():
    t = Tile(0, 0, 0, 0, 4, 4)
    b = StripBlender(2, 4)
    valid = np.ones((4, 4), bool)
    valid[0, 0] = False
    b.add(t, np.ones((2, 4, 4), np.float32), np.ones((4, 4), np.float32), valid)
    _, probs, ws, vs = b.finish_rows(4)
    assert ws[0, 0] == 0 and ws[1, 1] == 1


def test_covering_tiles_are_every_tile_holding_the_pixel():
    import numpy as np

    from algorithms.lsr.tiling import covering_tiles, plan_tiles

    plan = plan_tiles(100, 130, 64, 20)
    rows, cols = np.array([0, 50, 99, 10]), np.array([0, 50, 129, 100])
    got = covering_tiles(plan, rows, cols)
    for r, c, tiles in zip(rows, cols, got):
        want = [t for row in plan for t in row if t.y <= r < t.y + t.h and t.x <= c < t.x + t.w]
        assert tiles == want and tiles
    assert len(got[1]) == 4  # (50, 50) lies in the overlap of four tiles
