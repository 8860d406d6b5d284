"""Units of work (tiles, strips) as Dask tasks, their results handed back in plan order (docs/SCALING.md).

One mechanism for every whole-raster job on a cluster: a unit is a task `fn(path, *args)` - a top-level function
of algorithms/ that a worker imports (no QGIS), which reads its inputs by path, computes and writes its arrays to
`path` in the job folder (distributed/jobfolder.py) and returns the path. The client

- skips units whose file the job folder already holds (a resumed run),
- keeps at most `in_flight` tasks submitted (the scheduler's queue and the files waiting stay bounded), in plan
  order, so the rows the client writes next finish first,
- asks Dask to retry a failing task (`retries`); a task whose worker dies is run again on another worker by the
  scheduler itself,
- checks cancel every POLL_S seconds and then cancels every submitted task,
- yields (unit, path) strictly in plan order as soon as the next unit's file exists (and calls on_done: progress
  counts the units handed back, those of an earlier run included).
"""

from __future__ import annotations

import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence, Tuple

from ..errors import Cancelled, EpitomeError
from ..feedback import Feedback
from .cluster import SchedulerSpec, client_for
from .jobfolder import JobFolder, job_key

POLL_S = 0.1  # cancel and the tasks' states are checked this often while waiting
RETRIES = 3  # a task that raises is tried again this many times (a lost worker's tasks are rerun in any case)


@dataclass
class Unit:
    """One task: its name in the job folder and the arguments after the path."""

    name: str
    args: Tuple


def in_flight_for(client) -> int:
    """Tasks kept submitted: four per worker thread, at least 8."""
    try:
        threads = sum(client.nthreads().values())
    except Exception:  # noqa: BLE001 - a scheduler that cannot tell
        threads = 2
    return max(8, 4 * threads)


class UnitRunner:
    """Submits the units of one pass and hands back their files in order (module docstring)."""

    def __init__(self, client, folder, fn: Callable, fb: Feedback, on_done: Optional[Callable[[], None]] = None,
                 key_prefix: str = "epitome"):
        self.client, self.folder, self.fn, self.fb = client, folder, fn, fb
        self.on_done = on_done or (lambda: None)
        self.prefix = f"{key_prefix}-{folder.key[:8]}"
        self.in_flight = in_flight_for(client)

    def run(self, units: Sequence[Unit]) -> Iterator[Tuple[Unit, str]]:
        """(unit, path of its result) for every unit, in the order given."""
        todo = deque(u for u in units if not self.folder.done(u.name))
        pending = {}  # future -> unit
        try:
            for u in units:
                while not self.folder.done(u.name):
                    self._submit(todo, pending)
                    self._wait(pending)
                self.on_done()
                yield u, self.folder.unit_path(u.name)
        finally:
            if pending:
                self.client.cancel(list(pending))

    def _submit(self, todo: deque, pending: dict):
        while todo and len(pending) < self.in_flight:
            u = todo.popleft()
            if self.folder.done(u.name):
                continue
            f = self.client.submit(self.fn, self.folder.unit_path(u.name), *u.args, key=f"{self.prefix}-{u.name}",
                                   retries=RETRIES, pure=False)
            pending[f] = u

    def _wait(self, pending: dict):
        """Wait up to POLL_S for a task; finished ones are checked (a failure raises EpitomeError). The futures'
        states are polled, not awaited with a timeout: a timeout raised every POLL_S would keep tracebacks whose
        frames reach the job's GDAL datasets, and collecting those cycles in any order can crash GDAL."""
        if self.fb.is_canceled():
            raise Cancelled()
        done = [f for f in pending if f.done()]
        if not done:
            time.sleep(POLL_S)
            return
        for f in done:
            u = pending.pop(f)
            if f.status == "error":
                raise EpitomeError(f"Unit {u.name} failed on the cluster after {RETRIES} retries: "
                                   f"{f.exception()!r}. The finished units are kept: run again to resume.")
            if f.status == "cancelled":
                raise EpitomeError(f"Unit {u.name} was cancelled by the cluster (its scheduler restarted?). Run "
                                   "again to resume.")
            if not self.folder.done(u.name):
                raise EpitomeError(f"A worker finished unit {u.name} but its file {self.folder.unit_path(u.name)} "
                                   "cannot be seen here: the output's folder must be on a file system that the "
                                   "workers and this machine share, at the same path (docs/SCALING.md, Paths).")


@contextmanager
def cluster_session(spec: SchedulerSpec, output: str, inputs: Sequence[str], settings, fb: Feedback, what: str,
                    n_units: int, noun: str = "tile(s)"):
    """The client and job folder of one run: yields runner(fn, on_done) -> UnitRunner. The folder (keyed by the
    input files and `settings`, jobfolder.job_key) is found again by a resumed run and removed when the block
    succeeds; the client (and a LocalCluster) is closed in any case."""
    key = job_key(inputs, settings)
    folder = JobFolder(output, key, dict(job=what, inputs=list(inputs), units=n_units))
    found = folder.open()
    if found:
        fb.info(f"Resuming: {found} of {n_units} {noun} already computed in {folder.path}.")
    fb.info(f"{noun.capitalize()} run on {spec.describe()}; finished ones are kept in {folder.path} until the outputs "
            "are complete.")
    client, close = client_for(spec)
    try:
        fb.info(f"Dask cluster: {len(client.scheduler_info().get('workers', {}))} worker(s), scheduler "
                f"{client.scheduler.address}.")
        yield lambda fn, on_done=None: UnitRunner(client, folder, fn, fb, on_done, key_prefix=what)
    finally:
        close()
    folder.remove()
