"""Distributed epitome training on a Dask cluster: one rank per worker (docs/SCALING.md, "Training on several
processes or GPUs").

The client picks RANKS workers, a free port on the first one (rank 0's) for the torch.distributed rendezvous, and
submits one long task per worker. Rank 0 sends its messages and progress through a Dask Queue and reads the
cancel flag from a Dask Variable; it returns the model file's bytes, which the client moves into MODEL (the
workers need not share a file system with the client; they must read the imagery at the same paths). A rank that
fails ends the run with its error; nothing is written. No QGIS here.
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Dict, Optional

from ..epitome.train_job import TrainJob, check_training_job
from ..errors import Cancelled, EpitomeError
from ..feedback import Feedback
from .cluster import SchedulerSpec, client_for
from .launch import CANCEL_GRACE_S, free_port, new_run_name, publish_model
from .training import check_ranks, job_to_dict, run_rank

CANCEL_POLL_S = 0.5  # rank 0 asks the cancel Variable at most this often


class DaskFeedback(Feedback):
    """Rank 0's messages and progress into the Queue `name`; cancelled once the Variable `name`-cancel is set."""

    def __init__(self, name: str):
        from distributed import Queue, Variable

        self.queue, self.cancel = Queue(name), Variable(name + "-cancel")
        self._asked, self._cancelled, self._last = 0.0, False, -1.0

    def info(self, msg):
        self.queue.put(("info", msg))

    def warn(self, msg):
        self.queue.put(("warn", msg))

    def progress(self, percent):
        if percent - self._last >= 0.5 or percent >= 100:
            self._last = percent
            self.queue.put(("progress", percent))

    def is_canceled(self):
        if not self._cancelled and time.time() - self._asked > CANCEL_POLL_S:
            self._asked = time.time()
            try:
                self._cancelled = bool(self.cancel.get(timeout=0.05))
            except Exception:  # not set yet (a timeout)
                pass
        return self._cancelled


def dask_rank(spec: Dict, rank: int, world: int, init_method: str, name: str, threads: int) -> Dict:
    """The task of one rank on a worker: run_rank; rank 0 returns the model file's bytes under 'model'."""
    folder = tempfile.mkdtemp(prefix="epitome-rank-")
    spec = dict(spec, model_path=os.path.join(folder, "model.epitome"))
    try:
        result = run_rank(spec, rank, world, init_method, DaskFeedback(name) if rank == 0 else None, threads)
        if rank == 0 and os.path.exists(spec["model_path"]):
            with open(spec["model_path"], "rb") as fh:
                result["model"] = fh.read()
        return result
    finally:
        for f in os.listdir(folder):
            os.remove(os.path.join(folder, f))
        os.rmdir(folder)


def pick_workers(client, ranks: int):
    """RANKS worker addresses (sorted, so rank 0 is the same for the same cluster); EpitomeError when too few."""
    workers = sorted(client.scheduler_info()["workers"])
    if len(workers) < ranks:
        raise EpitomeError(f"RANKS {ranks} needs one Dask worker per rank; the cluster has {len(workers)}. Lower "
                           "RANKS, or start more workers (SCHEDULER local:N with N at least RANKS).")
    return workers[:ranks]


def rendezvous(client, worker: str) -> str:
    """tcp://<rank 0's host>:<a port free there>."""
    host = worker.split("://", 1)[-1].rsplit(":", 1)[0]
    port = client.run(free_port, "0.0.0.0", workers=[worker])[worker]
    return f"tcp://{host}:{port}"


def forward_events(queue, fb: Feedback):
    while queue.qsize() > 0:
        kind, value = queue.get()
        getattr(fb, kind)(value)


def wait_ranks(futures, queue, cancel_var, fb: Feedback):
    """Wait for the rank tasks, forwarding rank 0's events and the caller's cancel; the first failure raises
    EpitomeError (the other ranks then stop when their collectives time out, or with the cluster)."""
    cancelled_at = None
    while not all(f.done() for f in futures):
        forward_events(queue, fb)
        for r, f in enumerate(futures):
            if f.status == "error":
                raise EpitomeError(f"Distributed training failed: rank {r} of {len(futures)} raised "
                                   f"{f.exception()!r}; nothing was written.")
        if cancelled_at is None and fb.is_canceled():
            cancelled_at = time.time()
            cancel_var.set(True)
        if cancelled_at is not None and time.time() - cancelled_at > CANCEL_GRACE_S:
            raise Cancelled()
        time.sleep(0.2)
    forward_events(queue, fb)
    for r, f in enumerate(futures):
        if f.status == "error":
            raise EpitomeError(f"Distributed training failed: rank {r} of {len(futures)} raised {f.exception()!r}; "
                               "nothing was written.")
    return [f.result() for f in futures]


def launch_dask(job: TrainJob, ranks: int, spec: SchedulerSpec, fb: Optional[Feedback] = None,
                threads: int = 1) -> Dict:
    """Train with one rank per worker of the cluster of spec: rank 0's stats; Cancelled after a cancel (MODEL
    then holds the model so far)."""
    from distributed import Queue, Variable

    fb = fb or Feedback()
    check_ranks(ranks, job.params.batch_size)
    check_training_job(job)
    client, close = client_for(spec)
    try:
        workers = pick_workers(client, ranks)
        init, name = rendezvous(client, workers[0]), new_run_name()
        queue, cancel_var = Queue(name, client=client), Variable(name + "-cancel", client=client)
        fb.info(f"Distributed training on {spec.describe()}: {ranks} ranks, {job.params.batch_size // ranks} "
                f"patches each a step, rendezvous {init}.")
        futures = [client.submit(dask_rank, job_to_dict(job), r, ranks, init, name, threads, workers=[w],
                                 allow_other_workers=False, pure=False, key=f"{name}-rank{r}")
                   for r, w in enumerate(workers)]
        result = wait_ranks(futures, queue, cancel_var, fb)[0]
        return finish(job, result, fb)
    finally:
        close()


def finish(job: TrainJob, result: Dict, fb: Feedback) -> Dict:
    """Rank 0's model bytes into MODEL (and, when it ended normally, EPITOME_IMAGE and the reports)."""
    if result.get("model"):
        folder = tempfile.mkdtemp(prefix="epitome-model-")
        staging = os.path.join(folder, "model.epitome")
        try:
            with open(staging, "wb") as fh:
                fh.write(result["model"])
            publish_model(staging, job, fb, write_others=result["status"] == "done")
        finally:
            os.remove(staging)
            os.rmdir(folder)
    if result["status"] != "done":
        raise Cancelled()
    job.stats = result["stats"]
    return job.stats
