"""Output files: writability checks, GeoTIFF creation, and atomic writes (a temporary name beside the
target, moved into place only when complete; removed on failure or cancel)."""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import Optional, Sequence

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


def partial_path(path: str) -> str:
    """A temporary name beside `path`, hidden, with the same extension (GDAL picks drivers by it):
    /out/labels.tif -> /out/.labels.tif.1a2b3c4d.partial.tif"""
    folder, name = os.path.split(os.path.abspath(path))
    ext = os.path.splitext(name)[1]
    return os.path.join(folder, f".{name}.{uuid.uuid4().hex[:8]}.partial{ext}")


SIDECARS = (".aux.xml",)  # files GDAL writes beside a raster; they travel with it


class AtomicOutputs:
    """Output files written under temporary names beside their targets and moved into place together.

        with AtomicOutputs() as outputs:
            tmp = outputs.reserve(path, "OUTPUT")   # write the file at tmp (GDAL, numpy, text)
            ...
        # leaving the block normally moves every file (and its .aux.xml) into place; an exception (a
        # failure, Cancelled, KeyboardInterrupt) removes every temporary file and leaves the targets as they were.

    Writers must close their files before the block ends (GDAL datasets: drop the last reference).
    A failure while moving removes the files not yet moved and raises EpitomeError.
    """

    def __init__(self):
        self._pending = []  # (temporary, target, what)

    def reserve(self, path: str, what: str = "output", check: bool = True) -> str:
        """Temporary path for target `path` (checked writable first; `what` names it in messages)."""
        if check:
            check_writable(path, what)
        tmp = partial_path(path)
        self._pending.append((tmp, os.path.abspath(path), what))
        return tmp

    def commit(self):
        """Move every reserved file into place (replacing an earlier file and its sidecars)."""
        pending, self._pending = self._pending, []
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
