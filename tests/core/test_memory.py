"""Bounded memory and a prompt cancel at every setting (issue 18, docs/RELIABILITY.md): the working memory of a tile
is known before the run and refused up front beyond the budget; the long steps of a tile are cut into pieces with a
cancel check between them."""

import os

import numpy as np
import pytest
import torch

from algorithms.errors import Cancelled, EpitomeError
from algorithms.lsr import attention
from algorithms.lsr.memory import budget_bytes, check_tile_memory, describe_bytes, tile_bytes
from algorithms.lsr.params import LsrParams


def test_largest_tile_is_refused_with_the_memory_it_needs():
    """TILE_SIZE 8192 on an 8192 x 8192 extent (the issue: 9.2 GiB resident, no output after 8.7 min) under a
    4 GiB budget: refused before any work, with the memory it needs and a tile size that fits."""
    p = LsrParams(downsample=2)
    with pytest.raises(ValueError) as e:
        check_tile_memory(8192, p, 4, 4, 20, 8192, 8192, budget=4 << 30)
    msg = str(e.value)
    need = tile_bytes(8192, 8192, p, 4, 4, 20, 8192)
    assert need > 9 * (1 << 30)  # at least what was measured
    assert describe_bytes(need) in msg and "4.0 GiB" in msg and "Settings > Options > Epitome" in msg, msg
    fits = int(msg.split("at most about ")[1].split()[0])
    assert 512 <= fits < 8192 and tile_bytes(fits, fits, p, 4, 4, 20, 8192) <= 4 << 30
    assert check_tile_memory(512, p, 4, 4, 20, 8192, 8192, budget=4 << 30) <= 4 << 30


@pytest.mark.parametrize("tile", [32, 256, 512, 1024, 2048, 4096, 8192])
@pytest.mark.parametrize("settings", [dict(downsample=1, key_stride=1, patch_dims=None, samples=1.0),
                                      dict(downsample=2), dict(downsample=32, patch_size=31)])
def test_every_setting_fits_or_is_refused(tile, settings):
    """Nothing between: a setting either fits the budget or is refused before it starts."""
    p = LsrParams(**settings)
    budget = 2 << 30
    need = tile_bytes(tile, tile, p, 4, 4, 20, 20480)
    if need <= budget:
        assert check_tile_memory(tile, p, 4, 4, 20, 20480, 20480, budget) == need
    else:
        with pytest.raises(ValueError, match="needs about"):
            check_tile_memory(tile, p, 4, 4, 20, 20480, 20480, budget)


def test_a_large_tile_size_on_a_small_raster_costs_what_the_raster_costs():
    p = LsrParams(downsample=2)
    assert check_tile_memory(8192, p, 4, 4, 20, 300, 400, budget=4 << 30) == tile_bytes(300, 400, p, 4, 4, 20, 400)


def test_automatic_budget_is_half_the_machine():
    assert budget_bytes(1000) == 1000 << 20
    phys = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert budget_bytes(0) == int(phys * 0.5)


def test_job_refuses_a_tile_over_the_budget_before_writing(tmp_path):
    from osgeo import gdal

    from algorithms.composition.table import load_composition
    from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr

    d = gdal.GetDriverByName("GTiff")
    img = d.Create(str(tmp_path / "img.tif"), 256, 256, 4, gdal.GDT_Byte)
    img.SetGeoTransform((0, 1, 0, 0, 0, -1))
    img.GetRasterBand(1).Fill(100)
    cls = d.Create(str(tmp_path / "cls.tif"), 256, 256, 1, gdal.GDT_Byte)
    cls.SetGeoTransform((0, 1, 0, 0, 0, -1))
    cls.GetRasterBand(1).Fill(41)
    img = cls = None
    job = LsrJob(str(tmp_path / "img.tif"), str(tmp_path / "cls.tif"), load_composition(None),
                 LsrOutputs(str(tmp_path / "out.tif")), tile_size=256, device="cpu", params=LsrParams(downsample=1),
                 memory_budget_mb=64)
    with pytest.raises(EpitomeError, match="TILE_SIZE 256 needs about .* memory budget of 64 MiB"):
        run_self_epitomic_lsr(job)
    assert sorted(os.listdir(tmp_path)) == ["cls.tif", "img.tif"]


# ------------------------------------------------------------------------------------------------
# Cancel checks between small pieces of work
# ------------------------------------------------------------------------------------------------

class Counter:
    """A cancel callback that counts how often it is asked, and says stop after `stop_after` questions."""

    def __init__(self, stop_after=None):
        self.n, self.stop_after = 0, stop_after

    def __call__(self):
        self.n += 1
        return self.stop_after is not None and self.n > self.stop_after


def test_attention_blocks_are_bounded_in_work(monkeypatch):
    """Wide patch vectors (31 x 31 patches of 4 bands, PATCH_DIMS all): a block of logits holds at most
    BLOCK_FLOPS of work, so cancel is checked often; the result does not depend on the blocks."""
    g = torch.Generator().manual_seed(0)
    keys, queries = torch.rand(500, 300, generator=g), torch.rand(40, 300, generator=g)
    qc = torch.zeros(40, dtype=torch.long)
    valid = torch.ones(500, dtype=torch.bool)
    whole, _ = attention.embed_classes(queries, qc, keys, valid, 1, 0.05, 9.0, block_elements=1 << 30)
    monkeypatch.setattr(attention, "BLOCK_FLOPS", 2 * 500 * 300 * 4)  # 4 queries a block
    cancel = Counter()
    blocked, _ = attention.embed_classes(queries, qc, keys, valid, 1, 0.05, 9.0, block_elements=1 << 30,
                                         cancel=cancel)
    assert cancel.n == 10
    np.testing.assert_allclose(blocked.numpy(), whole.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(Cancelled):
        attention.embed_classes(queries, qc, keys, valid, 1, 0.05, 9.0, block_elements=1 << 30, cancel=Counter(3))


def test_gathering_windows_in_chunks_is_exact(monkeypatch):
    x = torch.rand(3, 20, 24)
    ys, xs = torch.randint(0, 16, (50,)), torch.randint(0, 20, (50,))
    whole = attention.gather_windows(x, ys, xs, 5)
    monkeypatch.setattr(attention, "GATHER_ELEMENTS", 3 * 25 * 7)  # 7 windows a chunk
    cancel = Counter()
    assert torch.equal(attention.gather_windows(x, ys, xs, 5, cancel), whole)
    assert cancel.n == 8
    ref = attention.window_matrix(x, 5).reshape(16, 20, -1)[ys, xs]
    assert torch.equal(whole, ref)


def test_wide_patches_use_a_randomised_pca_that_finds_the_same_subspace():
    """Above EXACT_PCA_DIMS the D x D covariance (minutes for 31 x 31 x 4) is never formed: a seeded randomised
    subspace iteration gives the same leading subspace, deterministically, with cancel checks."""
    D, n, dims = attention.EXACT_PCA_DIMS + 76, 2000, 8
    g = torch.Generator().manual_seed(1)
    basis = torch.linalg.qr(torch.randn(D, dims, generator=g, dtype=torch.float64))[0]
    scales = torch.linspace(10, 3, dims, dtype=torch.float64)
    keys = (torch.randn(n, dims, generator=g, dtype=torch.float64) * scales) @ basis.t() \
        + 0.01 * torch.randn(n, D, generator=g, dtype=torch.float64)
    queries = keys[:5]
    cancel = Counter()
    kr, qr, half = attention.reduce_dimensions(keys, queries, dims, cancel=cancel)
    assert cancel.n >= 4
    kr2, _, _ = attention.reduce_dimensions(keys, queries, dims)
    assert torch.equal(kr, kr2)  # deterministic
    # the projection keeps the keys' geometry: distances in the basis equal the full distances (up to noise)
    full = torch.cdist(queries, keys)
    reduced = torch.cdist(qr, kr)
    assert (full - reduced).abs().max() < 0.5 and full.mean() > 10
    np.testing.assert_allclose(half.numpy(), 0.5 * ((keys - keys.mean(0)) ** 2).sum(1).numpy(), rtol=1e-10)
    with pytest.raises(Cancelled):
        attention.reduce_dimensions(keys, queries, dims, cancel=Counter(1))
