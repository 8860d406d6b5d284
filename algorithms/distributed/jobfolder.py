"""The job folder of a run on a Dask cluster: what lets a killed client resume (docs/SCALING.md).

Beside the output, a hidden folder named after the output and a key of the run's inputs and parameters

    /out/.labels.tif.epitome-job-<key>/     manifest.json, one <unit>.npz per finished tile or strip

holds each unit's result as the worker wrote it (atomically: a temporary name, then renamed). Running the same
command again (same input files - paths, sizes, modification times - and the same parameters, hence the same key)
finds the finished units and skips them; other settings give another key, so results never mix. The folder is
removed once the outputs are complete and in place. The outputs themselves are written by the client under
temporary names (io/outputs.AtomicOutputs), so a complete output is never replaced by a half-written one.
No QGIS, no torch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import uuid
from typing import Dict, Iterable

import numpy as np

JOB_SUFFIX = ".epitome-job-"


def _canonical(obj):
    """A JSON-able form of settings (dataclasses, arrays, tuples) that is the same for equal settings."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.compare}
    if isinstance(obj, np.ndarray):
        return [str(obj.dtype), list(obj.shape), hashlib.sha1(np.ascontiguousarray(obj).tobytes()).hexdigest()]
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    return obj if isinstance(obj, (str, int, float, bool, type(None))) else repr(obj)


def input_identity(path: str) -> list:
    """A file as the key sees it: absolute path, size and modification time (GDAL virtual paths such as /vsis3/
    and /vsicurl/ by their name only; a VRT given as XML text by its text and its source files)."""
    if path.lstrip().startswith("<VRTDataset"):  # a VRT as XML text (ALIGN's moved coarse map): it and its sources
        sources = re.findall(r"<SourceFilename[^>]*>([^<]+)</SourceFilename>", path)
        return [hashlib.sha256(path.encode("utf-8")).hexdigest()] + [input_identity(p) for p in sources]
    if path.startswith("/vsi") or "://" in path:
        return [path]
    try:
        st = os.stat(path)
        return [os.path.abspath(path), st.st_size, st.st_mtime_ns]
    except OSError:
        return [os.path.abspath(path)]


def job_key(inputs: Iterable[str], settings) -> str:
    """sha256 (24 hex digits) of the input files' identities and the settings that decide each unit's result."""
    text = json.dumps([[input_identity(p) for p in inputs if p], _canonical(settings)], sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def save_arrays(path: str, **arrays: np.ndarray) -> str:
    """Write arrays to `path` (.npz) under a temporary name in the same folder, then rename: a reader sees the whole
    file or none (a worker killed while writing leaves only a temporary file)."""
    tmp = f"{path}.{uuid.uuid4().hex[:8]}.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
    return path


def load_arrays(path: str) -> Dict[str, np.ndarray]:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


class JobFolder:
    """The folder of one run's finished units, beside `output` (module docstring)."""

    def __init__(self, output: str, key: str, describe: dict):
        folder, name = os.path.split(os.path.abspath(output))
        self.key = key
        self.path = os.path.join(folder, f".{name}{JOB_SUFFIX}{key}")
        self.describe = describe

    def open(self) -> int:
        """Create the folder (or find it again); returns the number of units already finished."""
        os.makedirs(self.path, exist_ok=True)
        manifest = os.path.join(self.path, "manifest.json")
        if not os.path.exists(manifest):
            tmp = f"{manifest}.{uuid.uuid4().hex[:8]}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(dict(key=self.key, **self.describe), fh, indent=1, default=repr)
            os.replace(tmp, manifest)
        return sum(1 for n in os.listdir(self.path) if n.endswith(".npz") and ".tmp" not in n)

    def unit_path(self, name: str) -> str:
        return os.path.join(self.path, f"{name}.npz")

    def done(self, name: str) -> bool:
        return os.path.exists(self.unit_path(name))

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


def unit_name(row: int, col: int) -> str:
    """The file name of the unit at tile (or strip) position (row, col)."""
    return f"r{row:05d}_c{col:05d}"
