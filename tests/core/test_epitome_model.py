import json
import os

import numpy as np
import pytest

from algorithms.epitome.model_file import EpitomeModel, ModelFileError, load_model


def model(E=2, C=3, N=8):
    rng = np.random.default_rng(0)
    lp = rng.normal(size=(E, N, N)).astype(np.float32)
    return EpitomeModel(mu=rng.random((E, C, N, N), dtype=np.float32),
                        var=(0.01 + rng.random((E, C, N, N), dtype=np.float32)), log_prior=lp,
                        bands=[1, 2, 3], scaling_offset=[0, 0, 0], scaling_scale=[255, 255, 255],
                        scaling_method="uint8 / 255", patch_min=3, patch_max=5, settings={"steps": 10},
                        history={"loss": [1.0, 0.5]}, usage=np.ones((E, N, N), np.float32), steps_done=10,
                        optimizer_state={"exp_avg_mu": np.zeros((E, C, N, N))})


def test_roundtrip(tmp_path):
    m = model()
    p = str(tmp_path / "m.epitome")
    m.save(p)
    r = load_model(p)
    for k in ("mu", "var", "log_prior", "usage"):
        np.testing.assert_array_equal(getattr(r, k), getattr(m, k))
    assert r.bands == [1, 2, 3] and r.settings == {"steps": 10} and r.history["loss"] == [1.0, 0.5]
    assert r.steps_done == 10 and r.count == 2 and r.size == 8 and r.n_bands == 3
    assert "exp_avg_mu" in r.optimizer_state
    assert not [f for f in os.listdir(tmp_path) if "partial" in f]


def test_missing_truncated_foreign_and_newer_files(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(str(tmp_path / "nope.epitome"))
    p = str(tmp_path / "m.epitome")
    model().save(p)
    data = (tmp_path / "m.epitome").read_bytes()
    t = tmp_path / "trunc.epitome"
    t.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        load_model(str(t))
    txt = tmp_path / "x.epitome"
    txt.write_text("hello")
    with pytest.raises(ModelFileError):
        load_model(str(txt))
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(ModelFileError, match="not an Epitome model"):
        load_model(str(other))
    newer = tmp_path / "newer.npz"
    meta = json.dumps({"format": "epitome-model", "version": 99}).encode()
    np.savez(newer, meta=np.frombuffer(meta, np.uint8), mu=np.zeros(1), var=np.zeros(1), log_prior=np.zeros(1))
    with pytest.raises(ModelFileError, match="newer Epitome"):
        load_model(str(newer))


def test_invalid_models_rejected_on_save(tmp_path):
    m = model()
    m.var[0, 0, 0, 0] = 0
    with pytest.raises(ModelFileError, match="non-positive"):
        m.save(str(tmp_path / "a.epitome"))
    m = model()
    m.mu[0, 0, 0, 0] = np.nan
    with pytest.raises(ModelFileError, match="NaN"):
        m.save(str(tmp_path / "b.epitome"))
    m = model()
    m.patch_max = 99
    with pytest.raises(ModelFileError, match="do not fit"):
        m.save(str(tmp_path / "c.epitome"))
