"""A real Dask cluster on localhost for tests: `python -m dask scheduler` and worker processes started as a user
would start them (docs/SCALING.md), with the plugin and its dependency folder on PYTHONPATH - no mocks.

    with DaskCluster(workers=2) as c:
        run(..., scheduler=c.address)
        c.kill_worker(0)
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKGROOT = os.path.join(ROOT, ".pkgroot")  # holds `epitome` -> the checkout (as QGIS's plugins folder does)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_pythonpath() -> str:
    """The plugin's parent folder (package `epitome`), the checkout (package `algorithms`, as the core tests import
    it) and the dependency folder (torch, dask)."""
    from plugin.install.deps import default_folder

    return os.pathsep.join([PKGROOT, ROOT, default_folder()])


class DaskCluster:
    """A scheduler and `workers` single-thread worker processes on 127.0.0.1; stopped (all of them) on exit."""

    def __init__(self, workers: int = 2, python: str = sys.executable):
        self.n, self.python = workers, python
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.env = dict(os.environ, PYTHONPATH=worker_pythonpath(), OMP_NUM_THREADS="1")
        self.env.pop("PYTHONHOME", None)
        self.logdir = tempfile.mkdtemp(prefix="epitome-dask-")
        self.scheduler = None
        self.workers = []

    def _start(self, args, name):
        with open(os.path.join(self.logdir, name + ".log"), "w") as log:
            return subprocess.Popen([self.python, "-m", "dask"] + args, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    def __enter__(self):
        self.scheduler = self._start(["scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--no-dashboard"], "scheduler")
        for i in range(self.n):
            self.start_worker(i)
        self.wait_for_workers(self.n)
        return self

    def start_worker(self, i):
        p = self._start(["worker", self.address, "--nthreads", "1", "--nworkers", "1", "--no-nanny",
                         "--no-dashboard", "--name", f"w{i}", "--host", "127.0.0.1"], f"worker{i}")
        self.workers.append(p)
        return p

    def wait_for_workers(self, n, timeout=90):
        """Until n workers are registered (read from the scheduler's log)."""
        end = time.time() + timeout
        while time.time() < end:
            with open(os.path.join(self.logdir, "scheduler.log")) as fh:
                text = fh.read()
            if len(set(re.findall(r"Register worker.*?name: (\S+?),", text))) >= n or \
                    len(re.findall(r"Register worker", text)) >= n:
                return
            if self.scheduler.poll() is not None:
                break
            time.sleep(0.3)
        raise RuntimeError(f"the Dask cluster did not start: {self.logs()}")

    def kill_worker(self, i):
        """SIGKILL worker i (as a machine lost mid-run)."""
        os.kill(self.workers[i].pid, signal.SIGKILL)
        self.workers[i].wait(10)

    def logs(self) -> str:
        out = []
        for n in sorted(os.listdir(self.logdir)):
            with open(os.path.join(self.logdir, n)) as fh:
                out.append(f"--- {n}\n" + fh.read()[-3000:])
        return "\n".join(out)

    def __exit__(self, *exc):
        for p in self.workers + [self.scheduler]:
            if p is not None and p.poll() is None:
                p.terminate()
        for p in self.workers + [self.scheduler]:
            if p is not None:
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
        return False
