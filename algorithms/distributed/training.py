"""Data-parallel epitome training: one rank per process or GPU, torch.distributed (gloo on the CPU, NCCL on CUDA);
docs/METHOD.md, "Training at scale"; docs/SCALING.md.

Every rank samples its own patches (seed + rank) - BATCH_SIZE / RANKS of them a step, so a step of R ranks sees
as many patches as a step of one process - and all ranks hold the same model:
  * rank 0's start (crops of its imagery, or INIT) is broadcast to every rank before the first step;
  * the K of each step is drawn from the shared seed (all ranks use the same patch size);
  * diversification takes the worst quantile over the batches of all ranks (their log-likelihoods gathered);
  * gradients are averaged over the ranks after backward and before the Adam step (one all-reduce);
  * the best-window counts of the batch are summed over the ranks before the location-promotion counters are
    updated, so every rank holds the counters of one process training on all the ranks' patches;
  * a cancel seen by rank 0 stops all ranks at the same step.
One step of R ranks x B/R patches therefore equals one step of one process on the R batches put together (within
float rounding; tests/core/test_distributed_training.py checks it). Rank 0 writes the model; the other ranks
write nothing. Launchers: algorithms/distributed/launch.py (local processes, a Dask cluster), train_cli.py
(torchrun). No QGIS here; torch is imported only when a rank runs.
"""

from __future__ import annotations

import datetime
import json
import math
import os
from dataclasses import asdict
from typing import Dict, Optional

from ..epitome.train_job import TrainJob, run_training
from ..epitome.training import TrainParams
from ..errors import Cancelled, EpitomeError
from ..feedback import Feedback

CANCELLED_EXIT = 3  # exit status of a rank process stopped by a cancel (train_cli)
RANK_TIMEOUT_S = float(os.environ.get("EPITOME_RANK_TIMEOUT", "300"))  # a collective waiting longer fails


class RankComm:
    """The collectives training.py calls (sgd_step, count_best_windows, train_one) for one rank of `world`."""

    def __init__(self, rank: int, world: int, device="cpu"):
        import torch
        import torch.distributed as dist

        self.rank, self.world, self.device, self._dist, self._torch = rank, world, device, dist, torch

    def gather(self, t):
        """[B] on every rank -> [world * B], rank 0's values first (equal B on all ranks)."""
        parts = [self._torch.empty_like(t) for _ in range(self.world)]
        self._dist.all_gather(parts, t.contiguous())
        return self._torch.cat(parts)

    def sum(self, t):
        """The sum over the ranks of t (a new tensor)."""
        t = t.clone()
        self._dist.all_reduce(t)
        return t

    def select_worst(self, score, q: float):
        """(indices into this rank's batch of the patches it optimises, scale of their summed loss): the worst
        ceil(q * world * B) of all ranks' scores [B] (all when q == 0); scale = world / patches selected in
        all, so that averaging the gradients over the ranks gives the gradient of the mean over the selection."""
        torch = self._torch
        B = score.shape[0]
        if q <= 0:
            return torch.arange(B, device=score.device), 1.0 / B
        everyone = self.gather(score)
        n = max(1, int(math.ceil(q * everyone.shape[0])))
        idx = torch.topk(everyone, n, largest=False).indices
        mine = idx[(idx >= self.rank * B) & (idx < (self.rank + 1) * B)] - self.rank * B
        return mine, self.world / n

    def average_grads(self, params):
        """Each parameter's gradient replaced by its mean over the ranks (one all-reduce of all of them)."""
        torch = self._torch
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads])
        self._dist.all_reduce(flat)
        flat /= self.world
        at = 0
        for p, g in zip(params, grads):
            p.grad = flat[at:at + g.numel()].reshape(g.shape).clone()
            at += g.numel()

    def broadcast_model(self, model):
        """Rank 0's means, log-variances and prior logits to every rank."""
        with self._torch.no_grad():
            for t in model.parameters():
                self._dist.broadcast(t.data, 0)

    def agree(self, flag: bool) -> bool:
        """True on every rank when any rank says True (a cancel)."""
        t = self._torch.tensor([1.0 if flag else 0.0], device=self.device)
        self._dist.all_reduce(t, op=self._dist.ReduceOp.MAX)
        return bool(t.item() > 0)


def init_ranks(backend: str, rank: int, world: int, init_method: str, device="cpu",
               timeout_s: float = RANK_TIMEOUT_S) -> RankComm:
    """Join the process group (backend 'gloo' or 'nccl'; init_method 'tcp://host:port' or 'env://'): a RankComm.
    A rendezvous nobody answers fails after timeout_s with a message."""
    import torch.distributed as dist

    if not dist.is_available():
        raise EpitomeError("This PyTorch build has no torch.distributed: RANKS above 1 cannot run. Use RANKS 1.")
    try:
        dist.init_process_group(backend, init_method=init_method, rank=rank, world_size=world,
                                timeout=datetime.timedelta(seconds=timeout_s))
    except (RuntimeError, ValueError) as e:
        raise EpitomeError(f"Rank {rank} of {world} could not join the others at {init_method} ({e}). The port may be "
                           "in use or blocked, or another rank failed to start.") from e
    return RankComm(rank, world, device)


def close_ranks():
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


# ------------------------------------------------------------------------------------------------
# A training job in a rank
# ------------------------------------------------------------------------------------------------

JOB_FIELDS = ("imagery", "model_path", "bands", "extent", "guide", "guide_labels", "init", "device")


def job_to_dict(job: TrainJob) -> Dict:
    """What a rank needs of a TrainJob, as JSON-able values (callables and outputs other than MODEL stay out)."""
    d = {f: getattr(job, f) for f in JOB_FIELDS}
    d["imagery"], d["bands"], d["guide_labels"] = list(job.imagery), list(job.bands), list(job.guide_labels)
    d["extent"] = list(job.extent) if job.extent else None
    d["params"] = asdict(job.params)
    return d


def job_from_dict(d: Dict) -> TrainJob:
    extent = tuple(d["extent"]) if d.get("extent") else None
    return TrainJob(imagery=list(d["imagery"]), model_path=d.get("model_path"), params=TrainParams(**d["params"]),
                    bands=list(d.get("bands") or ()), extent=extent, guide=d.get("guide"),
                    guide_labels=list(d.get("guide_labels") or ()), init=d.get("init"),
                    device=d.get("device") or "auto")


def check_ranks(ranks: int, batch_size: int):
    """EpitomeError saying what to change when BATCH_SIZE cannot be shared evenly by RANKS."""
    if ranks < 1:
        raise EpitomeError("RANKS must be at least 1.")
    if batch_size % ranks:
        raise EpitomeError(f"BATCH_SIZE {batch_size} cannot be shared evenly by RANKS {ranks} (each rank draws "
                           f"BATCH_SIZE / RANKS patches a step): make BATCH_SIZE a multiple of {ranks}, e.g. "
                           f"{ranks * max(1, round(batch_size / ranks))}.")


def rank_device(device: str, rank: int, local_rank: Optional[int] = None) -> str:
    """The device of one rank: its own GPU (local rank modulo the GPUs) when DEVICE asks for CUDA, else DEVICE."""
    import torch

    name = (device or "auto").strip().lower()
    if (name == "auto" or name.startswith("cuda")) and torch.cuda.is_available():
        return f"cuda:{(rank if local_rank is None else local_rank) % torch.cuda.device_count()}"
    return "cpu" if name == "auto" else name


def rank_backend(device: str, world: int) -> str:
    """NCCL when every rank of this machine has a GPU of its own (LOCAL_WORLD_SIZE under torchrun, else all the
    ranks), gloo otherwise (the CPU; several ranks sharing one GPU, which NCCL refuses). EPITOME_RANK_BACKEND=nccl
    or gloo decides instead (e.g. one GPU per Dask worker on several machines)."""
    import torch

    if os.environ.get("EPITOME_RANK_BACKEND"):
        return os.environ["EPITOME_RANK_BACKEND"]
    if not device.startswith("cuda"):
        return "gloo"
    local = int(os.environ.get("LOCAL_WORLD_SIZE", world))
    return "nccl" if torch.cuda.device_count() >= local else "gloo"


def run_rank(job_dict: Dict, rank: int, world: int, init_method: str, fb: Optional[Feedback] = None,
             threads: int = 0, local_rank: Optional[int] = None) -> Dict:
    """Train as rank `rank` of `world`: {"status": "done" | "cancelled", "stats": ...}. Rank 0 writes MODEL (the
    job's model_path) and reports through fb; the others write nothing and report nothing."""
    import torch

    if threads > 0:
        torch.set_num_threads(threads)
    job = job_from_dict(job_dict)
    check_ranks(world, job.params.batch_size)
    job.device = rank_device(job.device, rank, local_rank)
    if job.device.startswith("cuda"):
        torch.cuda.set_device(torch.device(job.device))
    comm = init_ranks(rank_backend(job.device, world), rank, world, init_method, torch.device(job.device))
    if rank != 0:
        job.model_path, fb = None, Feedback()
    job.params.batch_size //= world
    try:
        stats, status = run_training(job, fb or Feedback(), comm=comm), "done"
    except Cancelled:
        stats, status = {}, "cancelled"
    finally:
        close_ranks()
    return dict(status=status, stats=stats, rank=rank)


# ------------------------------------------------------------------------------------------------
# Rank 0's progress and the launcher's cancel, through a folder (local processes)
# ------------------------------------------------------------------------------------------------

class FolderFeedback(Feedback):
    """Rank 0's messages and progress appended to <folder>/events.jsonl (one JSON object a line); cancelled once
    <folder>/cancel exists. The launcher reads the one and writes the other."""

    def __init__(self, folder: str):
        self.folder = folder
        self._fh = open(os.path.join(folder, "events.jsonl"), "a", encoding="utf-8")
        self._last = -1.0

    def _post(self, **event):
        self._fh.write(json.dumps(event) + "\n")
        self._fh.flush()

    def info(self, msg: str):
        self._post(info=msg)

    def warn(self, msg: str):
        self._post(warn=msg)

    def progress(self, percent: float):
        if percent - self._last >= 0.5 or percent >= 100:
            self._last = percent
            self._post(progress=percent)

    def is_canceled(self) -> bool:
        return os.path.exists(os.path.join(self.folder, "cancel"))
