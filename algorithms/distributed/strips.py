"""Strip jobs on a Dask cluster (SCHEDULER): the label-only baselines (evaluate/baselines.py), prediction with a
trained epitome (epitome/predict_job.py) and the class embedding of epitomic LSR (a map-reduce: partial sums per
strip, added up on the client), a strip of rows per task (distributed/units.py; docs/SCALING.md).

A worker re-opens the inputs by their paths (once per process and run), computes its strip - the same function the
in-process path calls - and writes it to the job folder; the client writes the strips in order into the outputs.
No QGIS here, nor on a worker.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Dict, Tuple

import numpy as np

from ..composition.table import Composition
from ..feedback import Feedback
from .cluster import SchedulerSpec
from .jobfolder import load_arrays, save_arrays, unit_name
from .units import Unit, cluster_session

_OPENED: Dict[str, tuple] = {}  # per worker process: the inputs of the latest runs, by job key


def opened(key: str, open_fn):
    """open_fn()'s result for run `key`, opened once per worker process (two runs kept)."""
    if key not in _OPENED:
        while len(_OPENED) >= 2:
            _OPENED.pop(next(iter(_OPENED)))
        _OPENED[key] = open_fn()
    return _OPENED[key]


@dataclass
class BaselineSpec:
    """What a worker needs for any strip of epitome:baselines."""

    grid_raster: str
    classes: str
    composition: Composition
    nodata_codes: Tuple[int, ...] = ()
    unknown_as_nodata: bool = False
    mask_grid_nodata: bool = True
    rows: int = 256


def _open_baselines(spec: BaselineSpec):
    from ..evaluate.baselines import open_baseline_source
    from ..io.raster import grid_of, open_raster

    ds = open_raster(spec.grid_raster, "GRID")
    grid = grid_of(ds)
    return ds, grid, open_baseline_source(spec.classes, grid, spec.composition, spec.nodata_codes,
                                          spec.unknown_as_nodata, [], roles=("the grid raster", "CLASSES"))


def baseline_strip_task(path: str, spec: BaselineSpec, key: str, y: int, h: int) -> str:
    """On a worker: the naive and smooth labels [h, width] of rows y .. y + h, written to `path`."""
    from ..evaluate.baselines import baseline_strip

    ds, grid, src = opened(key, lambda: _open_baselines(spec))
    naive, smooth = baseline_strip(src, grid, y, h, ds if spec.mask_grid_nodata else None)
    save_arrays(path, naive=naive, smooth=smooth)
    return path


@contextmanager
def baseline_strips_on_cluster(job, grid, spec: SchedulerSpec, fb: Feedback):
    """(y0, naive, smooth) strip by strip in order, computed on the cluster (evaluate/baselines.run_baselines)."""
    from ..evaluate.baselines import STRIP_ROWS

    bs = BaselineSpec(job.grid_raster, job.classes, job.composition, tuple(job.nodata_codes),
                      bool(job.unknown_as_nodata), bool(job.mask_grid_nodata), STRIP_ROWS)
    ys = list(range(0, grid.height, STRIP_ROWS))
    with cluster_session(spec, job.naive or job.smooth, [job.grid_raster, job.classes], bs, fb, "baselines",
                         len(ys), "strip(s)") as runner:
        units = runner(baseline_strip_task)
        todo = [Unit(unit_name(i, 0), (bs, units.folder.key, y, min(STRIP_ROWS, grid.height - y)))
                for i, y in enumerate(ys)]

        def strips():
            for (u, p), y in zip(units.run(todo), ys):
                a = load_arrays(p)
                yield y, a["naive"], a["smooth"]
        yield strips()



@dataclass
class PredictSpec:
    """What a worker needs for any strip of epitome:predict."""

    model: str
    imagery: str
    params: object  # epitome/apply.ApplyParams
    device: str
    novelty: bool


def _open_predict(spec: PredictSpec):
    from ..epitome.apply import PatchGrid, check_imagery_bands
    from ..epitome.model_file import load_model
    from ..epitome.predict_job import Predictor
    from ..io.raster import open_raster

    model = load_model(spec.model)
    ds = open_raster(spec.imagery, "IMAGERY")
    grid = PatchGrid(ds.RasterYSize, ds.RasterXSize, spec.params.patch_size, spec.params.centre)
    return model, ds, check_imagery_bands(ds, model), grid, Predictor(model, spec.params, spec.novelty)


def predict_strip_task(path: str, spec: PredictSpec, key: str, r0: int, r1: int) -> str:
    """On a worker: labels, probabilities and novelty of block rows r0 .. r1 (epitome/predict_job.predict_strip),
    written to `path`."""
    from ..device import resolve_device
    from ..epitome.apply import Batches, model_scaling, read_strip
    from ..epitome.predict_job import predict_strip
    from .lsr import one_torch_thread

    one_torch_thread()
    model, ds, bands, grid, predictor = opened(key, lambda: _open_predict(spec))
    runs = Batches(resolve_device(spec.device)[0], spec.params.batch_size)
    strip = read_strip(ds, bands, model_scaling(model), grid, r0, r1)
    probs, valid, nov = predict_strip(predictor, strip, grid, model.labels.n_labels, runs)
    save_arrays(path, probs=probs, valid=valid, novelty=nov)
    return path


@contextmanager
def predict_strips_on_cluster(job, strips, spec: SchedulerSpec, fb: Feedback):
    """(r0, probs, valid, novelty) of each strip (r0, r1) in order, computed on the cluster (epitome:predict)."""
    ps = PredictSpec(job.model, job.imagery, job.params, job.device, bool(job.outputs.novelty))
    with cluster_session(spec, job.outputs.labels, [job.model, job.imagery], ps, fb, "predict", len(strips),
                         "strip(s)") as runner:
        done = []
        units = runner(predict_strip_task, lambda: (done.append(1), fb.progress(100.0 * len(done) / len(strips))))
        todo = [Unit(unit_name(i, 0), (ps, units.folder.key, r0, r1)) for i, (r0, r1) in enumerate(strips)]

        def stream():
            for (u, p), (r0, _) in zip(units.run(todo), strips):
                a = load_arrays(p)
                yield r0, a["probs"], a["valid"], a["novelty"]
        yield stream()


@dataclass
class EmbedSpec:
    """What a worker needs for any strip of the class embedding of epitome:epitomiclsr (Eqs. 10-11)."""

    model: str
    pairs: Tuple[Tuple[str, str], ...]
    code_map: object  # raw class codes -> rows of the composition table (cloudpickled with the task)
    n_codes: int
    params: object  # epitome/apply.ApplyParams
    device: str
    what: str = "CLASSES"


def _open_embed(spec: EmbedSpec):
    from ..epitome.embed_job import EmbedBatch, open_pair
    from ..epitome.model_file import load_model

    model = load_model(spec.model)
    pairs = [open_pair(model, img, cls, spec.what, spec.params, Feedback()) for img, cls in spec.pairs]
    return model, pairs, EmbedBatch(model, spec.n_codes, spec.params)


def embed_strip_task(path: str, spec: EmbedSpec, key: str, i: int, r0: int, r1: int) -> str:
    """On a worker: the embedded masses z [E, n, N, N], pixels per code and patches of rows r0 .. r1 of pair i (a
    partial sum; the client adds them up: the reduce)."""
    from ..device import resolve_device
    from ..epitome.apply import Batches
    from ..epitome.embed_job import embed_pair_strip, new_embedded, pair_seed
    from .lsr import one_torch_thread

    one_torch_thread()
    model, pairs, embed = opened(key, lambda: _open_embed(spec))
    acc = new_embedded(model, spec.n_codes)
    embed_pair_strip(embed, model, pairs[i], spec.code_map, r0, r1, acc,
                     Batches(resolve_device(spec.device)[0], spec.params.batch_size), pair_seed(spec.params, i))
    save_arrays(path, z=acc.z.numpy(), counts=acc.counts, patches=np.array(acc.patches))
    return path


def embed_codes_on_cluster(spec: SchedulerSpec, es: EmbedSpec, output: str, fb: Feedback, strip_values: int):
    """epitome/embed_job.embed_codes as a map-reduce: each strip of every pair a task, the partial sums added up
    here in plan order (float64; the same sums as in-process up to their order)."""
    import torch

    from ..epitome.embed_job import new_embedded, open_pair
    from ..epitome.model_file import load_model

    model = load_model(es.model)
    units = []
    for i, (img, cls) in enumerate(es.pairs):
        pair = open_pair(model, img, cls, es.what, es.params, fb)  # the warnings, once, here
        units += [(i, r0, r1) for r0, r1 in pair[2].strips(strip_values, len(pair[1]))]
    acc = new_embedded(model, es.n_codes)
    inputs = [es.model] + [p for pair in es.pairs for p in pair]
    with cluster_session(spec, output, inputs, es, fb, "embed", len(units), "strip(s)") as runner:
        done = []
        run = runner(embed_strip_task, lambda: (done.append(1), fb.progress(100.0 * len(done) / len(units))))
        todo = [Unit(unit_name(i, r0), (es, run.folder.key, i, r0, r1)) for i, r0, r1 in units]
        for _, p in run.run(todo):
            a = load_arrays(p)
            acc.z += torch.from_numpy(a["z"])
            acc.counts += a["counts"]
            acc.patches += int(a["patches"])
    return acc
