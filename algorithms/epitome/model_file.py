"""The trained-epitome file: one versioned .epitome file (a NumPy .npz, no pickle) with its metadata.

Arrays: mu [E, C, N, N] and var [E, C, N, N] (data scaled to [0, 1]), log_prior [E, N, N]
(normalised jointly over epitomes and positions), usage [E, N, N] (share of training samples whose
most likely window covers each pixel), optional label / class embeddings. Metadata (JSON): format,
version, bands, scaling, patch sizes, training settings, history, label and class names/colours.
Loading validates everything and fails with a message that says what is wrong.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from ..errors import EpitomeError
from ..io.outputs import atomic_output

FORMAT = "epitome-model"
VERSION = 1
EXTENSION = ".epitome"


class ModelFileError(EpitomeError):
    pass


@dataclass
class EpitomeModel:
    mu: np.ndarray  # [E, C, N, N] float32
    var: np.ndarray  # [E, C, N, N] float32
    log_prior: np.ndarray  # [E, N, N] float32
    bands: List[int]
    scaling_offset: List[float]
    scaling_scale: List[float]
    scaling_method: str
    patch_min: int
    patch_max: int
    settings: Dict = field(default_factory=dict)
    history: Dict = field(default_factory=dict)  # lists per step: step, loss, worst_loss (worst quarter), usage, seconds
    usage: Optional[np.ndarray] = None  # [E, N, N]
    steps_done: int = 0
    optimizer_state: Optional[Dict[str, np.ndarray]] = None  # Adam moments, to resume

    @property
    def count(self) -> int:
        return int(self.mu.shape[0])

    @property
    def size(self) -> int:
        return int(self.mu.shape[-1])

    @property
    def n_bands(self) -> int:
        return int(self.mu.shape[1])

    def validate(self, where: str = "model"):
        E, C, N, N2 = self.mu.shape
        if N != N2:
            raise ModelFileError(f"{where}: epitomes must be square, got {N} x {N2}.")
        if self.var.shape != self.mu.shape:
            raise ModelFileError(f"{where}: variance shape {self.var.shape} differs from mean shape {self.mu.shape}.")
        if self.log_prior.shape != (E, N, N):
            raise ModelFileError(f"{where}: prior shape {self.log_prior.shape}, expected {(E, N, N)}.")
        if len(self.bands) != C or len(self.scaling_offset) != C or len(self.scaling_scale) != C:
            raise ModelFileError(f"{where}: band metadata does not match the {C} epitome bands.")
        for name, a in (("mean", self.mu), ("variance", self.var), ("prior", self.log_prior)):
            if not np.all(np.isfinite(a)):
                raise ModelFileError(f"{where}: the {name} contains NaN or infinite values (corrupt file).")
        if np.any(self.var <= 0):
            raise ModelFileError(f"{where}: non-positive variances (corrupt file).")
        if not (1 <= self.patch_min <= self.patch_max <= N):
            raise ModelFileError(f"{where}: patch sizes {self.patch_min}..{self.patch_max} do not fit epitome size {N}.")

    def save(self, path: str):
        """Write atomically (temporary file, then rename): a crash never leaves half a model."""
        self.validate(path)
        meta = dict(format=FORMAT, version=VERSION, bands=list(map(int, self.bands)),
                    scaling=dict(offset=list(map(float, self.scaling_offset)),
                                 scale=list(map(float, self.scaling_scale)), method=self.scaling_method),
                    patch_min=int(self.patch_min), patch_max=int(self.patch_max), settings=self.settings,
                    history=self.history, steps_done=int(self.steps_done))
        arrays = dict(mu=self.mu.astype(np.float32), var=self.var.astype(np.float32),
                      log_prior=self.log_prior.astype(np.float32),
                      meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
        if self.usage is not None:
            arrays["usage"] = self.usage.astype(np.float32)
        for k, v in (self.optimizer_state or {}).items():
            arrays["opt_" + k] = np.asarray(v, dtype=np.float32)
        try:
            with atomic_output(path, "MODEL", check=False) as tmp, open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)
        except (OSError, EpitomeError) as e:
            raise ModelFileError(f"Cannot write model file {path!r}: {getattr(e, 'strerror', None) or e}. "
                                 "Choose a writable path.")


def load_model(path: str) -> EpitomeModel:
    if not path or not os.path.isfile(path):
        raise ModelFileError(f"Model file {path!r} does not exist.")
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            files = set(z.files)
            if "meta" not in files:
                raise ModelFileError(f"{path!r} is not an Epitome model (no metadata).")
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
            if meta.get("format") != FORMAT:
                raise ModelFileError(f"{path!r} is not an Epitome model file.")
            ver = int(meta.get("version", 0))
            if ver > VERSION:
                raise ModelFileError(f"{path!r} was written by a newer Epitome (model format {ver}; this version "
                                     f"reads up to {VERSION}). Update the plugin.")
            for k in ("mu", "var", "log_prior"):
                if k not in files:
                    raise ModelFileError(f"{path!r} lacks the '{k}' array (corrupt or truncated file).")
            opt = {k[4:]: z[k] for k in files if k.startswith("opt_")} or None
            m = EpitomeModel(
                mu=z["mu"], var=z["var"], log_prior=z["log_prior"], bands=meta["bands"],
                scaling_offset=meta["scaling"]["offset"], scaling_scale=meta["scaling"]["scale"],
                scaling_method=meta["scaling"]["method"], patch_min=meta["patch_min"], patch_max=meta["patch_max"],
                settings=meta.get("settings", {}), history=meta.get("history", {}),
                usage=z["usage"] if "usage" in files else None, steps_done=int(meta.get("steps_done", 0)),
                optimizer_state=opt)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, ValueError, KeyError, EOFError, OSError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path!r} is not a readable Epitome model (truncated or corrupt: {e}).")
    m.validate(path)
    return m
