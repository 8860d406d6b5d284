"""The trained-epitome file: one versioned .epitome file (a NumPy .npz, no pickle) with its metadata.

Arrays: mu [E, C, N, N] and var [E, C, N, N] (data scaled to [0, 1]), log_prior [E, N, N]
(normalised jointly over epitomes and positions), usage [E, N, N] (share of training samples whose
most likely window covers each pixel); to continue training (INIT): Adam's moments opt_m_<param>,
opt_v_<param> and the promotion counters; optionally a label embedding p(label | epitome pixel)
[E, L, N, N] with its evidence weight [E, N, N]. Metadata (JSON): format, version, bands, scaling,
patch sizes, training settings, history, counts, and the label names and colours of the embedding.

Versions: 1 = the epitome and its training history; 2 = adds the training state (optimizer moments,
promotion counters) and the label embedding. Version-1 files load (without those parts). Loading
validates everything and fails with a message that says what is wrong.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..errors import EpitomeError
from ..io.outputs import atomic_output

FORMAT = "epitome-model"
VERSION = 2
EXTENSION = ".epitome"


class ModelFileError(EpitomeError):
    pass


@dataclass
class LabelEmbedding:
    """p(label | epitome pixel) and what it means.

    probs [E, L, N, N]: rows sum to 1 over L (pixels no patch reached hold the embedded data's label
    frequencies); weight [E, N, N]: the posterior mass embedded at each pixel (0 = never reached).
    method: "labels" (high-resolution labels, Eq. 6) or "lsr" (coarse classes and a composition table,
    all-tile epitomic LSR, Eqs. 7-11)."""

    probs: np.ndarray
    weight: np.ndarray
    names: List[str]
    colours: List[Tuple[int, int, int]]
    method: str = "labels"
    info: Dict = field(default_factory=dict)  # settings and sources of the embedding

    @property
    def n_labels(self) -> int:
        return int(self.probs.shape[1])

    def validate(self, shape, where: str):
        E, _, N, _ = shape
        L = self.probs.shape[1] if self.probs.ndim == 4 else -1
        if self.probs.shape != (E, L, N, N) or L < 1:
            raise ModelFileError(f"{where}: label embedding shape {self.probs.shape}, expected (E, L, N, N) = "
                                 f"({E}, L, {N}, {N}).")
        if self.weight.shape != (E, N, N):
            raise ModelFileError(f"{where}: label embedding weight shape {self.weight.shape}, expected {(E, N, N)}.")
        if len(self.names) != L or len(self.colours) != L:
            raise ModelFileError(f"{where}: the label embedding has {L} labels but {len(self.names)} names and "
                                 f"{len(self.colours)} colours.")
        if not np.all(np.isfinite(self.probs)) or np.any(self.probs < 0) or \
                np.any(np.abs(self.probs.sum(1) - 1) > 1e-3):
            raise ModelFileError(f"{where}: the label embedding is not a probability distribution (corrupt file).")


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
    # lists per step: step, loss, worst_loss (worst quarter), usage, seconds
    history: Dict = field(default_factory=dict)
    usage: Optional[np.ndarray] = None  # [E, N, N]
    steps_done: int = 0
    optimizer_state: Optional[Dict[str, np.ndarray]] = None  # Adam moments m_<param>, v_<param>, to resume
    optimizer_steps: int = 0  # Adam's step count (bias correction) with those moments
    counters: Optional[np.ndarray] = None  # [E, N, N] location-promotion counters, to resume
    samples_since_reset: int = 0  # samples counted in `counters`
    samples_seen: int = 0  # samples behind `usage`
    resets: int = 0
    labels: Optional[LabelEmbedding] = None
    version: int = VERSION  # the format version the file was read from

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
        if self.mu.ndim != 4:
            raise ModelFileError(f"{where}: the means must be [E, C, N, N], got shape {self.mu.shape}.")
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
            raise ModelFileError(f"{where}: patch sizes {self.patch_min}..{self.patch_max} do not fit epitome size "
                                 f"{N}.")
        if self.counters is not None and self.counters.shape != (E, N, N):
            raise ModelFileError(f"{where}: promotion counters of shape {self.counters.shape}, expected {(E, N, N)}.")
        if self.labels is not None:
            self.labels.validate(self.mu.shape, where)

    def metadata(self) -> Dict:
        meta = dict(format=FORMAT, version=VERSION, bands=list(map(int, self.bands)),
                    scaling=dict(offset=list(map(float, self.scaling_offset)),
                                 scale=list(map(float, self.scaling_scale)), method=self.scaling_method),
                    patch_min=int(self.patch_min), patch_max=int(self.patch_max), settings=self.settings,
                    history=self.history, steps_done=int(self.steps_done), optimizer_steps=int(self.optimizer_steps),
                    samples_since_reset=int(self.samples_since_reset), samples_seen=int(self.samples_seen),
                    resets=int(self.resets))
        if self.labels is not None:
            lab = self.labels
            meta["labels"] = dict(names=list(lab.names), colours=[list(map(int, c)) for c in lab.colours],
                                  method=lab.method, info=lab.info)
        return meta

    def arrays(self) -> Dict[str, np.ndarray]:
        arrays = dict(mu=self.mu.astype(np.float32), var=self.var.astype(np.float32),
                      log_prior=self.log_prior.astype(np.float32),
                      meta=np.frombuffer(json.dumps(self.metadata()).encode("utf-8"), dtype=np.uint8))
        if self.usage is not None:
            arrays["usage"] = self.usage.astype(np.float32)
        for k, v in (self.optimizer_state or {}).items():
            arrays["opt_" + k] = np.asarray(v, dtype=np.float32)
        if self.counters is not None:
            arrays["counters"] = self.counters.astype(np.float32)
        if self.labels is not None:
            arrays["label_probs"] = self.labels.probs.astype(np.float32)
            arrays["label_weight"] = self.labels.weight.astype(np.float32)
        return arrays

    def save(self, path: str):
        """Write atomically (temporary file, then rename): a crash never leaves half a model."""
        self.validate(path)
        arrays = self.arrays()
        try:
            with atomic_output(path, "MODEL", check=False) as tmp, open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)
        except (OSError, EpitomeError) as e:
            raise ModelFileError(f"Cannot write model file {path!r}: {getattr(e, 'strerror', None) or e}. "
                                 "Choose a writable path.")


def _read_meta(z, path: str) -> Dict:
    """The metadata of an open .npz, checked: an Epitome model of a version this code reads."""
    files = set(z.files)
    if "meta" not in files:
        raise ModelFileError(f"{path!r} is not an Epitome model (no metadata).")
    meta = json.loads(bytes(z["meta"]).decode("utf-8"))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path!r} is not an Epitome model file.")
    ver = int(meta.get("version", 0))
    if ver > VERSION:
        raise ModelFileError(f"{path!r} was written by a newer Epitome (model format {ver}; this version "
                             f"reads up to {VERSION}). Update the plugin.")
    for k in ("mu", "var", "log_prior"):
        if k not in files:
            raise ModelFileError(f"{path!r} lacks the '{k}' array (corrupt or truncated file).")
    return meta


def _read_labels(z, meta: Dict) -> Optional[LabelEmbedding]:
    info = meta.get("labels")
    if info is None or "label_probs" not in z.files:
        return None
    return LabelEmbedding(probs=z["label_probs"], weight=z["label_weight"], names=list(info["names"]),
                          colours=[tuple(int(v) for v in c) for c in info["colours"]],
                          method=info.get("method", "labels"), info=info.get("info", {}))


def load_model(path: str) -> EpitomeModel:
    """The model in `path`, validated (ModelFileError saying what is wrong otherwise)."""
    if not path or not os.path.isfile(path):
        raise ModelFileError(f"Model file {path!r} does not exist.")
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            meta = _read_meta(z, path)
            files = set(z.files)
            opt = {k[4:]: z[k] for k in files if k.startswith("opt_")} or None
            m = EpitomeModel(
                mu=z["mu"], var=z["var"], log_prior=z["log_prior"], bands=meta["bands"],
                scaling_offset=meta["scaling"]["offset"], scaling_scale=meta["scaling"]["scale"],
                scaling_method=meta["scaling"]["method"], patch_min=meta["patch_min"], patch_max=meta["patch_max"],
                settings=meta.get("settings", {}), history=meta.get("history", {}),
                usage=z["usage"] if "usage" in files else None, steps_done=int(meta.get("steps_done", 0)),
                optimizer_state=opt, optimizer_steps=int(meta.get("optimizer_steps", 0)),
                counters=z["counters"] if "counters" in files else None,
                samples_since_reset=int(meta.get("samples_since_reset", 0)),
                samples_seen=int(meta.get("samples_seen", 0)), resets=int(meta.get("resets", 0)),
                labels=_read_labels(z, meta), version=int(meta.get("version", 0)))
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, ValueError, KeyError, TypeError, EOFError, OSError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path!r} is not a readable Epitome model (truncated or corrupt: {e}).")
    m.validate(path)
    return m
