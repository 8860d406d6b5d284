"""Launching the ranks of a distributed epitome training (docs/SCALING.md, "Training on several processes or GPUs").

    launch_local   RANKS processes on this machine (python -m algorithms.distributed.train_cli), rendezvous on a
                   free port of 127.0.0.1; rank 0's progress and the cancel flag go through a private folder
    launch_dask    one rank per worker of a Dask cluster (SCHEDULER 'local:N' or an address), rendezvous on rank 0's
                   worker; progress through a Dask Queue, cancel through a Dask Variable
    train_ranks    the one the Processing algorithm calls: RANKS and SCHEDULER -> one of the two

Rank 0 writes the model into a staging file; it is moved into MODEL (atomically) only when every rank ended well
(or, after a cancel, the model so far, as a one-process training leaves it); a rank that fails stops the others
and nothing is written. EPITOME_IMAGE and the reports are then written here from the model file. No QGIS here.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Dict, List, Optional

from ..epitome.train_job import TrainJob, check_training_job, write_stopped_outputs
from ..errors import Cancelled, EpitomeError
from ..feedback import Feedback
from ..io.outputs import atomic_output
from .training import CANCELLED_EXIT, check_ranks, job_to_dict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the plugin's folder
CANCEL_GRACE_S = 60.0  # after a cancel, ranks still running then are killed
FAIL_GRACE_S = 3.0  # after a rank failed, the others are killed this much later


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on host now (the rendezvous of the ranks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def publish_model(staging: str, job: TrainJob, fb: Feedback, write_others: bool):
    """The staging model into MODEL (atomically); then EPITOME_IMAGE and the reports of it when write_others."""
    with atomic_output(job.model_path, "MODEL", check=False) as tmp:
        shutil.copyfile(staging, tmp)
    if write_others:
        write_stopped_outputs(job)


def child_env() -> Dict[str, str]:
    """This environment, with the plugin's folder and this Python's search path on PYTHONPATH (PyTorch from the
    plugin-managed folder included), one line at a time on the output."""
    env = dict(os.environ)
    paths = [ROOT] + [p for p in sys.path if p and os.path.isdir(p)]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths + env.get("PYTHONPATH", "").split(os.pathsep)))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_local_ranks(job_file: str, ranks: int, control: str, python: str, threads: int) -> List[subprocess.Popen]:
    """RANKS processes of train_cli, each with its log file rank<r>.log in control."""
    init = f"tcp://127.0.0.1:{free_port()}"
    env, procs = child_env(), []
    for r in range(ranks):
        log = open(os.path.join(control, f"rank{r}.log"), "w")
        cmd = [python, "-m", "algorithms.distributed.train_cli", "--job", job_file, "--rank", str(r), "--world",
               str(ranks), "--init-method", init, "--control", control, "--threads", str(threads)]
        procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=control))
        log.close()
    return procs


class EventReader:
    """Forwards the new lines of rank 0's events.jsonl (FolderFeedback) to fb."""

    def __init__(self, path: str):
        self.path, self.at = path, 0

    def forward(self, fb: Feedback):
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as fh:
            fh.seek(self.at)
            while True:
                line = fh.readline()
                if not line.endswith("\n"):
                    break
                self.at = fh.tell()
                ev = json.loads(line)
                for key, call in (("info", fb.info), ("warn", fb.warn), ("progress", fb.progress)):
                    if key in ev:
                        call(ev[key])


def log_tail(control: str, rank: int, chars: int = 1500) -> str:
    try:
        with open(os.path.join(control, f"rank{rank}.log"), encoding="utf-8", errors="replace") as fh:
            text = fh.read().strip()
    except OSError:
        return "(no output)"
    return text[-chars:] or "(no output)"


def stop_all(procs):
    for p in procs:
        if p.poll() is None:
            p.kill()
    for p in procs:
        p.wait()


def watch_local_ranks(procs, control: str, fb: Feedback, poll_s: float = 0.2) -> List[int]:
    """Wait for the ranks, forwarding rank 0's events and the caller's cancel. Exit statuses of the ranks; a
    failed rank stops the others and raises EpitomeError with its output."""
    events, cancelled_at, failed_at = EventReader(os.path.join(control, "events.jsonl")), None, None
    while True:
        events.forward(fb)
        codes = [p.poll() for p in procs]
        if all(c is not None for c in codes):
            break
        bad = [r for r, c in enumerate(codes) if c not in (None, 0, CANCELLED_EXIT)]
        failed_at = failed_at or (time.time() if bad else None)
        if bad and time.time() - failed_at > FAIL_GRACE_S:
            stop_all(procs)
            break
        if cancelled_at is None and fb.is_canceled():
            cancelled_at = time.time()
            open(os.path.join(control, "cancel"), "w").close()
        if cancelled_at is not None and time.time() - cancelled_at > CANCEL_GRACE_S:
            stop_all(procs)
            raise Cancelled()
        time.sleep(poll_s)
    events.forward(fb)
    return [p.returncode for p in procs]


def failure_message(codes: List[int], control: str) -> Optional[str]:
    """None when every rank ended well (or was cancelled), else what the failed rank said: one killed by a signal
    first (the others then fail on its lost connection), else the first that failed."""
    failed = sorted((r for r, c in enumerate(codes) if c not in (0, CANCELLED_EXIT)), key=lambda r: codes[r] >= 0)
    if not failed:
        return None
    r, c = failed[0], codes[failed[0]]
    how = f"was killed (signal {-c})" if c < 0 else f"ended with status {c}"
    others = [f"rank {o}: status {codes[o]}" for o in failed[1:]]
    return (f"Distributed training failed: rank {r} of {len(codes)} {how}; nothing was written"
            f"{' (' + ', '.join(others) + ')' if others else ''}. Its output:\n{log_tail(control, r)}")


def launch_local(job: TrainJob, ranks: int, fb: Optional[Feedback] = None, python: Optional[str] = None,
                 threads: int = 0) -> Dict:
    """Train with RANKS local processes (gloo on the CPU, NCCL when DEVICE is CUDA): the stats of rank 0 (as
    run_training returns them). Cancelled after a cancel (MODEL then holds the model so far)."""
    fb = fb or Feedback()
    check_ranks(ranks, job.params.batch_size)
    check_training_job(job)
    threads = threads or max(1, (os.cpu_count() or 1) // ranks)
    control = tempfile.mkdtemp(prefix="epitome-ranks-")
    try:
        staging, spec = os.path.join(control, "model.epitome"), job_to_dict(job)
        spec["model_path"] = staging
        with open(os.path.join(control, "job.json"), "w", encoding="utf-8") as fh:
            json.dump(spec, fh)
        fb.info(f"Distributed training: {ranks} local rank processes, {job.params.batch_size // ranks} patches each "
                f"a step, {threads} thread(s) each.")
        procs = start_local_ranks(os.path.join(control, "job.json"), ranks, control, python or sys.executable,
                                  threads)
        codes = watch_local_ranks(procs, control, fb)
        msg = failure_message(codes, control)
        if msg:
            raise EpitomeError(msg)
        done = codes[0] == 0 and os.path.exists(staging)
        if os.path.exists(staging):
            publish_model(staging, job, fb, write_others=done)
        if not done:
            raise Cancelled()
        with open(os.path.join(control, "result.json"), encoding="utf-8") as fh:
            job.stats = json.load(fh)["stats"]
        return job.stats
    finally:
        shutil.rmtree(control, ignore_errors=True)


def train_ranks(job: TrainJob, ranks: int, scheduler: str = "", fb: Optional[Feedback] = None,
                python: Optional[str] = None) -> Dict:
    """RANKS and SCHEDULER -> local rank processes ('' ) or one rank per Dask worker ('local:N', an address)."""
    from .cluster import parse_scheduler

    spec = parse_scheduler(scheduler)
    if not spec.distributed:
        return launch_local(job, ranks, fb, python)
    from .dask_training import launch_dask

    return launch_dask(job, ranks, spec, fb)


def new_run_name() -> str:
    return "epitome-train-" + uuid.uuid4().hex[:12]
