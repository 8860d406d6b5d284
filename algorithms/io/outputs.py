"""Output files: writability checks, GeoTIFF creation, and atomic writes (a temporary name beside the
target, moved into place only when complete; removed on failure or cancel).

Never destroying a user's file (docs/RELIABILITY.md):
- check_distinct_paths: no output of a run may be one of its inputs or another of its outputs (resolved
  real paths: symlinks, `./`, case on Windows); plugin/processing/base.py calls it for every algorithm.
- Temporary files are named after the writing process (`.labels.tif.<host>-<pid>-<random>.partial.tif`):
  the next run writing the same output removes those whose process is gone (killed by SIGKILL, a crash).
- SIGTERM while temporary files exist (a run on the main thread, e.g. qgis_process): they are removed,
  then the process ends as SIGTERM would have ended it. No handler is installed where another one is
  already set, nor from a worker thread (the QGIS desktop runs algorithms in tasks).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import tempfile
import threading
import time
import uuid
from typing import Iterable, List, Optional, Sequence, Tuple

from osgeo import gdal

from ..errors import EpitomeError
from .raster import Grid

gdal.UseExceptions()


def check_writable(path: str, what: str):
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            raise EpitomeError(f"{what}: cannot create folder {folder!r} ({e.strerror}). Choose another output path.")
    try:
        fd, probe = tempfile.mkstemp(prefix=".epitome-probe-", dir=folder)
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        raise EpitomeError(f"{what}: cannot write into {folder!r} ({e.strerror}). Choose a writable output path.")
    if os.path.isdir(path):
        raise EpitomeError(f"{what}: {path!r} is a folder; give a file name.")


# ------------------------------------------------------------------------------------------------
# Outputs never replace inputs, nor each other
# ------------------------------------------------------------------------------------------------

def path_key(path: str) -> str:
    """A path as the file system resolves it: user folder expanded, absolute, symlinks followed, case folded
    where the file system ignores it (Windows)."""
    return os.path.normcase(os.path.realpath(os.path.abspath(os.path.expanduser(str(path)))))


def same_file(a: str, b: str) -> bool:
    """True when the paths a and b name one file (resolved paths, or an existing file reached twice, e.g. through
    a hard link or a case-insensitive file system)."""
    if path_key(a) == path_key(b):
        return True
    try:
        return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)
    except OSError:
        return False


def check_distinct_paths(inputs: Iterable[Tuple[str, str]], outputs: Iterable[Tuple[str, str]]) -> None:
    """EpitomeError naming both parameters when an output would be written over an input of the same run, or
    over another of its outputs. inputs, outputs: (parameter name, file path) pairs; empty paths are skipped.
    Called before any work, so nothing is read or written when it refuses."""
    inputs = [(n, p) for n, p in inputs if p]
    seen: List[Tuple[str, str]] = []
    for name, path in ((n, p) for n, p in outputs if p):
        for iname, ipath in inputs:
            if same_file(path, ipath):
                raise EpitomeError(
                    f"{name} and {iname} are the same file ({path}): the run would replace its input {iname} with "
                    f"its output. Choose another file name for {name}.")
        for oname, opath in seen:
            if same_file(path, opath):
                raise EpitomeError(
                    f"{name} and {oname} are the same file ({path}): one output would overwrite the other. Give "
                    f"{name} a file name of its own.")
        seen.append((name, path))


# ------------------------------------------------------------------------------------------------
# Temporary (partial) files
# ------------------------------------------------------------------------------------------------

HOST = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]
OLD_PARTIAL_AGE_S = 3600.0  # partials named by earlier versions (no process id) count as stale after this
_PARTIAL = re.compile(r"\.(?:(?P<host>[0-9a-f]{6})-(?P<pid>\d+)-)?[0-9a-f]{8}\.partial(?:\.[^.]+)?(?:\.aux\.xml)?$")


def partial_path(path: str) -> str:
    """A temporary name beside `path`, hidden, with the same extension (GDAL picks drivers by it), naming this
    machine and process: /out/labels.tif -> /out/.labels.tif.<host>-<pid>-1a2b3c4d.partial.tif"""
    folder, name = os.path.split(os.path.abspath(path))
    ext = os.path.splitext(name)[1]
    return os.path.join(folder, f".{name}.{HOST}-{os.getpid()}-{uuid.uuid4().hex[:8]}.partial{ext}")


def process_alive(pid: int) -> bool:
    """Whether process `pid` of this machine still runs (True when it cannot be told)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would terminate it on Windows
        try:
            import ctypes

            k32 = ctypes.windll.kernel32
            h = k32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
            if not h:
                return False
            code = ctypes.c_ulong()
            k32.GetExitCodeProcess(h, ctypes.byref(code))
            k32.CloseHandle(h)
            return code.value == 259  # STILL_ACTIVE
        except Exception:  # noqa: BLE001
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists (owned by someone else)
    return True


def stale_partials(path: str) -> List[str]:
    """Temporary files of the output `path` (and their sidecars) left by runs that no longer write them: a
    process of this machine that is gone, or a name without a process from an earlier version, older than
    OLD_PARTIAL_AGE_S. Partials of running processes and of other machines are left alone."""
    folder, name = os.path.split(os.path.abspath(path))
    prefix = f".{name}"
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    out = []
    for n in names:
        if not n.startswith(prefix):
            continue
        m = _PARTIAL.fullmatch(n[len(prefix):])
        if m is None:
            continue
        full = os.path.join(folder, n)
        if m.group("pid") is None:
            try:
                stale = time.time() - os.path.getmtime(full) > OLD_PARTIAL_AGE_S
            except OSError:
                continue
        else:
            stale = m.group("host") == HOST and not process_alive(int(m.group("pid")))
        if stale:
            out.append(full)
    return sorted(out)


def remove_stale_partials(path: str) -> List[str]:
    """Remove stale_partials(path); returns what was removed."""
    gone = stale_partials(path)
    for p in gone:
        try:
            os.remove(p)
        except OSError:
            pass
    return gone


_LIVE = set()  # temporary files being written by this process (removed on SIGTERM)
_LIVE_LOCK = threading.Lock()
_TERM_HANDLER = [False]


def _on_sigterm(signum, frame):
    """Remove the temporary files being written, then end as SIGTERM ends a process."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for p in live:
        remove_quietly(p)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _watch_sigterm():
    """Install _on_sigterm once, from the main thread, where SIGTERM has its default action (a host that
    handles SIGTERM itself keeps its handler; worker threads cannot install one)."""
    if _TERM_HANDLER[0] or not hasattr(signal, "SIGTERM") or threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
            return
        signal.signal(signal.SIGTERM, _on_sigterm)
        _TERM_HANDLER[0] = True
    except (ValueError, OSError, RuntimeError):
        pass


SIDECARS = (".aux.xml",)  # files GDAL writes beside a raster; they travel with it


class AtomicOutputs:
    """Output files written under temporary names beside their targets and moved into place together.

        with AtomicOutputs() as outputs:
            tmp = outputs.reserve(path, "OUTPUT")   # write the file at tmp (GDAL, numpy, text)
            ...
        # leaving the block normally moves every file (and its .aux.xml) into place; an exception (a
        # failure, Cancelled, KeyboardInterrupt) removes every temporary file and leaves the targets as they were.
        # SIGTERM removes them too (module docstring); those of a killed run are removed by the next reserve().

    Writers must close their files before the block ends (GDAL datasets: drop the last reference).
    A failure while moving removes the files not yet moved and raises EpitomeError.
    """

    def __init__(self):
        self._pending = []  # (temporary, target, what)

    def reserve(self, path: str, what: str = "output", check: bool = True) -> str:
        """Temporary path for target `path` (checked writable first; `what` names it in messages)."""
        if check:
            check_writable(path, what)
        remove_stale_partials(path)
        tmp = partial_path(path)
        self._pending.append((tmp, os.path.abspath(path), what))
        with _LIVE_LOCK:
            _LIVE.add(tmp)
        _watch_sigterm()
        return tmp

    @staticmethod
    def _forget(tmps):
        with _LIVE_LOCK:
            _LIVE.difference_update(tmps)

    def commit(self):
        """Move every reserved file into place (replacing an earlier file and its sidecars)."""
        pending, self._pending = self._pending, []
        try:
            self._move(pending)
        finally:
            self._forget([t for t, _, _ in pending])

    @staticmethod
    def _move(pending):
        for i, (tmp, target, what) in enumerate(pending):
            try:
                for side in SIDECARS:  # an earlier file's statistics must not outlive it
                    if os.path.exists(target + side) and not os.path.exists(tmp + side):
                        os.remove(target + side)
                os.replace(tmp, target)
                for side in SIDECARS:
                    if os.path.exists(tmp + side):
                        os.replace(tmp + side, target + side)
            except OSError as e:
                for t, _, _ in pending[i:]:
                    remove_quietly(t)
                raise EpitomeError(f"{what}: could not move the finished file into place at {target!r} "
                                   f"({e.strerror or e}). Check the folder's permissions and free space.")

    def discard(self):
        """Remove every reserved temporary file (targets untouched)."""
        pending, self._pending = self._pending, []
        for tmp, _, _ in pending:
            remove_quietly(tmp)
        self._forget([t for t, _, _ in pending])

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.discard()
        return False


def atomic_output(path: str, what: str = "output", check: bool = True):
    """One file written atomically: `with atomic_output(path, "MODEL") as tmp: write(tmp)`."""
    import contextlib

    @contextlib.contextmanager
    def _one():
        with AtomicOutputs() as outputs:
            yield outputs.reserve(path, what, check)

    return _one()


def write_text(path: str, text: str, what: str = "output"):
    """A UTF-8 text file (CSV, HTML, .qml) written atomically; EpitomeError saying what to change."""
    try:
        with atomic_output(path, what) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except OSError as e:
        raise EpitomeError(f"{what}: cannot write {path!r} ({e.strerror or e}). Choose a writable path.")


def create_output(path: str, grid: Grid, bands: int, dtype, nodata=None, descriptions: Sequence[str] = ()):
    drv = gdal.GetDriverByName("GTiff")
    opts = ["COMPRESS=DEFLATE", "TILED=YES", "BIGTIFF=IF_SAFER"]
    if bands > 1 and dtype != gdal.GDT_Byte:
        opts.append("INTERLEAVE=BAND")
    ds = drv.Create(path, grid.width, grid.height, bands, dtype, options=opts)
    if ds is None:
        raise EpitomeError(f"Cannot create output raster {path!r}.")
    ds.SetGeoTransform(grid.geotransform)
    if grid.wkt:
        ds.SetProjection(grid.wkt)
    for i in range(bands):
        b = ds.GetRasterBand(i + 1)
        if nodata is not None:
            b.SetNoDataValue(nodata)
        if i < len(descriptions):
            b.SetDescription(descriptions[i])
    return ds


def build_overviews(ds, resampling: str = "NEAREST", smallest: int = 256):
    """Internal overviews (factors 2, 4, ... until the side is below `smallest`), DEFLATE-compressed like the
    file: a tiled GeoTIFF that GDAL and QGIS read by ranges, /vsicurl/ and /vsis3/ included (docs/SCALING.md)."""
    factors, f = [], 2
    while max(ds.RasterXSize, ds.RasterYSize) // f >= smallest:
        factors.append(f)
        f *= 2
    if not factors:
        return
    old = gdal.GetConfigOption("COMPRESS_OVERVIEW")
    gdal.SetConfigOption("COMPRESS_OVERVIEW", "DEFLATE")
    try:
        ds.BuildOverviews(resampling, factors)
    finally:
        gdal.SetConfigOption("COMPRESS_OVERVIEW", old)


def remove_quietly(path: Optional[str]):
    """Remove a file and its sidecars if they exist (never raises)."""
    if not path:
        return
    for p in (path,) + tuple(path + side for side in SIDECARS):
        try:
            if os.path.exists(p):
                os.remove(p)
        except OSError:
            pass
