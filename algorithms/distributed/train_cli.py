"""One rank of a distributed epitome training, as a command (docs/SCALING.md, "Training on several processes or GPUs").

Under torchrun (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT come from it), from the plugin's folder
with PyTorch on PYTHONPATH:

    torchrun --nproc_per_node=2 -m algorithms.distributed.train_cli --imagery a.tif b.tif --model out.epitome \\
        --set size=256 --set steps=1000 --set batch_size=256 --device cpu

--set takes any TrainParams field (name=value); BATCH_SIZE is the batch of all ranks together. The local launcher
of epitome:trainepitome (launch.py) runs the same module with --job, --rank, --world, --init-method and --control.
Exit status: 0 done, 3 cancelled, 1 failed (the message on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, fields

from ..epitome.training import TrainParams
from ..errors import EpitomeError
from ..feedback import Feedback
from .training import CANCELLED_EXIT, FolderFeedback, run_rank


class PrintFeedback(Feedback):
    """Rank 0's messages on stdout (torchrun shows them with the rank's prefix); progress every 10%."""

    def __init__(self):
        self._next = 10.0

    def info(self, msg):
        print(msg, flush=True)

    def warn(self, msg):
        print("WARNING: " + msg, flush=True)

    def progress(self, percent):
        if percent >= self._next:
            print(f"{percent:.0f}%", flush=True)
            self._next = percent + 10.0


def parse_set(pairs):
    """['size=256', 'steps=10'] -> TrainParams fields with the types of their defaults."""
    kinds = {f.name: type(getattr(TrainParams(), f.name)) for f in fields(TrainParams)}
    out = {}
    for pair in pairs or ():
        name, _, value = pair.partition("=")
        name = name.strip().lower()
        if name not in kinds:
            raise EpitomeError(f"--set {pair!r}: {name!r} is not a training parameter ({', '.join(sorted(kinds))}).")
        kind = kinds[name] if kinds[name] is not type(None) else float
        out[name] = kind(value)
    return out


def job_dict(a) -> dict:
    """The job from --job (a JSON file) or from --imagery, --model, --set, --device."""
    if a.job:
        with open(a.job, encoding="utf-8") as fh:
            return json.load(fh)
    if not a.imagery or not a.model:
        raise EpitomeError("Give --imagery and --model (or --job).")
    return dict(imagery=a.imagery, model_path=a.model, bands=[], extent=None, guide=None, guide_labels=[],
                init=a.init, device=a.device, params=asdict(TrainParams(**parse_set(a.set))))


def parse_args(argv):
    ap = argparse.ArgumentParser(description="One rank of a distributed epitome training (torch.distributed).")
    ap.add_argument("--job", help="the job as JSON (written by the local launcher)")
    ap.add_argument("--imagery", nargs="+", help="imagery rasters (every rank must read them)")
    ap.add_argument("--model", help="the .epitome file rank 0 writes")
    ap.add_argument("--init", help="an .epitome model to continue from")
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda (each rank takes GPU LOCAL_RANK)")
    ap.add_argument("--set", action="append", metavar="NAME=VALUE", help="a training parameter, e.g. steps=1000")
    ap.add_argument("--rank", type=int, default=int(os.environ.get("RANK", 0)))
    ap.add_argument("--world", type=int, default=int(os.environ.get("WORLD_SIZE", 1)))
    ap.add_argument("--init-method", default="env://", help="rendezvous, e.g. tcp://10.0.0.5:29500 (torchrun: env://)")
    ap.add_argument("--control", help="folder for rank 0's progress and the cancel flag (the local launcher)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads of this rank (0: PyTorch's default)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    a = parse_args(argv)
    local = int(os.environ["LOCAL_RANK"]) if "LOCAL_RANK" in os.environ else None
    try:
        fb = (FolderFeedback(a.control) if a.control else PrintFeedback()) if a.rank == 0 else Feedback()
        result = run_rank(job_dict(a), a.rank, a.world, a.init_method, fb, a.threads, local)
    except EpitomeError as e:
        print(f"rank {a.rank}: {e}", file=sys.stderr, flush=True)
        return 1
    if a.rank == 0 and a.control:
        tmp = os.path.join(a.control, "result.json.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(result, fh)
        os.replace(tmp, os.path.join(a.control, "result.json"))
    return CANCELLED_EXIT if result["status"] == "cancelled" else 0


if __name__ == "__main__":
    sys.exit(main())
