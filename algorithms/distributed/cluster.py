"""The SCHEDULER setting: which Dask cluster runs the tiles (docs/SCALING.md).

    ""                  in-process, as without Dask (nothing changes for a desktop user)
    "local:N"           a Dask LocalCluster of N single-thread worker processes on this machine
    "tcp://host:port"   an existing Dask cluster (dask scheduler / dask worker, dask-jobqueue, Kubernetes ...)

Dask is optional: without it the in-process path works and the messages say how to install it. No QGIS here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from ..errors import EpitomeError

SCHEDULER_HELP = ('empty (run in this process), "local:N" (N worker processes on this machine) or the address '
                  'of a running Dask scheduler such as "tcp://10.0.0.5:8786"')
DASK_INSTALL_HINT = ("Install dask and distributed into Epitome's dependency folder: in QGIS, menu Raster, Epitome, "
                     "Install or update PyTorch, tick 'Also install Dask' (the installer dialog); or make install; "
                     "or python3 -m pip install --target DEPENDENCY_FOLDER 'dask[distributed]==2026.8.0' "
                     "(docs/SCALING.md). Then restart QGIS.")
_LOCAL = re.compile(r"local:(\d+)")
_ADDRESS = re.compile(r"(tcp|tls|ucx|inproc)://\S+")


@dataclass(frozen=True)
class SchedulerSpec:
    """A parsed SCHEDULER value: kind is 'inprocess', 'local' (workers = N) or 'address'."""

    kind: str
    workers: int = 0
    address: str = ""

    @property
    def distributed(self) -> bool:
        return self.kind != "inprocess"

    def describe(self) -> str:
        if self.kind == "local":
            return f"a local Dask cluster of {self.workers} worker process(es)"
        if self.kind == "address":
            return f"the Dask cluster at {self.address}"
        return "this process"


def parse_scheduler(text: Optional[str], param: str = "SCHEDULER") -> SchedulerSpec:
    """'' -> in-process; 'local:N' -> LocalCluster of N workers; 'tcp://host:port' -> that scheduler."""
    value = (text or "").strip()
    if not value:
        return SchedulerSpec("inprocess")
    m = _LOCAL.fullmatch(value.lower())
    if m:
        n = int(m.group(1))
        if not 1 <= n <= 512:
            raise EpitomeError(f"{param} '{value}': the number of local workers must be 1 to 512, e.g. local:2.")
        return SchedulerSpec("local", workers=n)
    if _ADDRESS.fullmatch(value):
        return SchedulerSpec("address", address=value)
    raise EpitomeError(f"{param} '{value}' is not understood: use {SCHEDULER_HELP}.")


def dask_status() -> Tuple[bool, str]:
    """(usable, message). Never raises: everything works in-process without Dask."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except Exception as e:  # ImportError, or a broken install
        return False, f"Dask distributed is not installed or cannot be imported ({e}). {DASK_INSTALL_HINT}"
    return True, f"dask {dask.__version__}, distributed {distributed.__version__}"


def require_dask(param: str = "SCHEDULER"):
    ok, msg = dask_status()
    if not ok:
        raise EpitomeError(f"{param} asks for a Dask cluster, but {msg[0].lower()}{msg[1:]} Or leave {param} "
                           "empty to run in this process.")


def worker_python() -> str:
    """The Python interpreter that local worker processes run: the one of this process's own installation
    (sys.exec_prefix: a venv's, Debian's /usr/bin/python3.X, OSGeo4W's python.exe). Not sys.executable first: in
    a program that embeds Python (QGIS, qgis_process) it is the QGIS binary or whatever `python` is first on PATH,
    which may be another Python that has neither GDAL nor QGIS's numpy."""
    import os
    import sys

    v = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for folder in (os.path.join(sys.exec_prefix, "bin"), sys.exec_prefix):
        for name in (f"python{v}", "python3", "python.exe", "python3.exe"):
            cand = os.path.join(folder, name)
            if os.path.isfile(cand):
                return cand
    return sys.executable


def client_for(spec: SchedulerSpec, timeout_s: float = 10.0) -> Tuple[object, Callable[[], None]]:
    """A distributed.Client for the spec and the function that releases it (and the LocalCluster it started).

    Local clusters use single-thread worker processes (one tile per core; torch is told to use one thread per
    worker by the tasks themselves). An unreachable address fails within timeout_s with a message."""
    if not spec.distributed:
        raise EpitomeError("client_for() needs a SCHEDULER value; the in-process path uses no client.")
    require_dask()
    from distributed import Client, LocalCluster
    if spec.kind == "local":
        import multiprocessing

        multiprocessing.set_executable(worker_python())  # workers are spawned Python processes, even from QGIS
        cluster = LocalCluster(n_workers=spec.workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=40)
        client = Client(cluster)

        def close():
            client.close()
            cluster.close()
        return client, close
    try:
        client = Client(spec.address, timeout=timeout_s)
    except (OSError, TimeoutError) as e:
        raise EpitomeError(f"SCHEDULER: no Dask scheduler answered at {spec.address} within {timeout_s:.0f} s "
                           f"({e}). Start one (dask scheduler; dask worker {spec.address}) or check the "
                           "address.") from e
    return client, client.close
