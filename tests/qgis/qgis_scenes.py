"""Helpers of the QGIS-side tests: small generated rasters (GDAL only, no QGIS)."""

import hashlib
import os
import subprocess

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PKGROOT = os.path.join(ROOT, ".pkgroot")

IMG_EPSG = 26917  # UTM 17N (NAIP over West Virginia)
CLS_EPSG = 5070  # CONUS Albers (NLCD)
X0, Y0 = 560000.0, 4390000.0  # imagery origin (top-left), metres
SIZE = 96  # imagery side in pixels (1 m)
FOREST, FIELD = 41, 82  # NLCD codes: deciduous forest, cultivated crops
LBL_FOREST, LBL_FIELD = 2, 3  # label codes of the built-in table (water, forest, field, built)

# Fast settings: the whole QGIS suite stays within a few minutes on 2 cores.
FAST = {"TILE_SIZE": 64, "DOWNSAMPLE": 2, "PATCH_SIZE": 5, "SAMPLES": 0.1, "EM_ITERATIONS": 15,
        "SEED": 0, "DEVICE": "cpu"}


def deps_dir():
    """The folder holding PyTorch, as tests/conftest.py finds it."""
    from plugin.install.deps import default_folder

    return default_folder()


def wkt_of(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    return s.ExportToWkt()


_GDT = {np.dtype("uint8"): gdal.GDT_Byte, np.dtype("uint16"): gdal.GDT_UInt16,
        np.dtype("int16"): gdal.GDT_Int16, np.dtype("int32"): gdal.GDT_Int32,
        np.dtype("float32"): gdal.GDT_Float32, np.dtype("float64"): gdal.GDT_Float64}


def write_raster(path, arr, gt=None, epsg=IMG_EPSG, nodata=None):
    """Write a [bands, h, w] or [h, w] array as a GeoTIFF. gt=None and epsg=None: no georeference."""
    arr = np.asarray(arr)
    if arr.ndim == 2:
        arr = arr[None]
    n, h, w = arr.shape
    ds = gdal.GetDriverByName("GTiff").Create(str(path), w, h, n, _GDT[arr.dtype])
    if gt is not None:
        ds.SetGeoTransform(gt)
    if epsg is not None:
        ds.SetProjection(wkt_of(epsg))
    for i in range(n):
        b = ds.GetRasterBand(i + 1)
        if nodata is not None:
            b.SetNoDataValue(nodata)
        b.WriteArray(arr[i])
    ds.FlushCache()
    ds = None
    return str(path)


def read(path, band=None):
    ds = gdal.Open(str(path))
    a = ds.ReadAsArray() if band is None else ds.GetRasterBand(band).ReadAsArray()
    return a


def img_gt(x0=X0, y0=Y0, res=1.0):
    return (x0, res, 0.0, y0, 0.0, -res)


def make_imagery(h=SIZE, w=SIZE, bands=4, dtype="uint8", seed=0):
    """[bands, h, w]: left half dark and noisy ("forest"), right half bright and smooth ("field")."""
    rng = np.random.default_rng(seed)
    half = w // 2
    out = np.empty((bands, h, w), np.float64)
    for b in range(bands):
        forest = 45 + 10 * b + rng.normal(0, 22, (h, half))
        field = 175 + 5 * b + rng.normal(0, 3, (h, w - half))
        out[b] = np.concatenate([forest, field], axis=1)
    out = np.clip(out, 1, 254)  # keep 0 free for nodata tests
    if dtype == "uint8":
        return out.astype(np.uint8)
    if dtype == "uint16":
        return (out * 40 + 300).astype(np.uint16)  # 12-bit-like range, not /255 scaled
    if dtype == "float32":
        return (out / 1000.0).astype(np.float32)  # reflectance-like 0..0.25
    raise ValueError(dtype)


def halves(h=SIZE, w=SIZE, left=FOREST, right=FIELD, dtype=np.uint8):
    a = np.full((h, w), right, dtype)
    a[:, : w // 2] = left
    return a


def make_classes_1m(path, pad=0, dx=0.0, dy=0.0, nodata=None, h=SIZE, w=SIZE):
    """Class raster at 1 m in the imagery CRS: forest left of the imagery's middle, field right.

    pad: extra pixels on every side; dx, dy: offset of the grid in metres (e.g. 0.5 = half a pixel).
    """
    a = np.full((h + 2 * pad, w + 2 * pad), FIELD, np.uint8)
    a[:, : pad + w // 2] = FOREST
    gt = (X0 - pad + dx, 1.0, 0.0, Y0 + pad + dy, 0.0, -1.0)
    return write_raster(path, a, gt, IMG_EPSG, nodata=nodata)


def make_classes_nlcd(path, tmpdir):
    """NLCD-like class raster: 30 m in EPSG:5070, warped (mode) from a padded 1 m forest/field map."""
    src = make_classes_1m(os.path.join(tmpdir, "classes_1m_padded.tif"), pad=90)
    gdal.Warp(str(path), src, options=gdal.WarpOptions(
        dstSRS=f"EPSG:{CLS_EPSG}", xRes=30.0, yRes=30.0, resampleAlg="mode", dstNodata=0,
        outputType=gdal.GDT_Byte))
    return str(path)


def md5(path):
    with open(path, "rb") as fh:
        return hashlib.md5(fh.read()).hexdigest()


class Scene:
    def __init__(self, folder):
        self.folder = str(folder)
        self.imagery = write_raster(os.path.join(self.folder, "imagery.tif"), make_imagery(), img_gt())
        self.classes = make_classes_nlcd(os.path.join(self.folder, "nlcd_5070_30m.tif"), self.folder)
        t = halves(left=LBL_FOREST, right=LBL_FIELD)
        self.truth = write_raster(os.path.join(self.folder, "truth.tif"), t, img_gt())


def small_pair(folder, size=64, bands=4, dtype="uint8", georef=True, seed=0):
    """(imagery, classes): size x size imagery and 1 m classes 41 | 82 on the same grid (one tile)."""
    folder = str(folder)
    tag = f"{size}_{bands}_{dtype}_{int(georef)}"
    img = make_imagery(size, size, bands, dtype, seed)
    cls = halves(size, size)
    gt, epsg = (img_gt(), IMG_EPSG) if georef else (None, None)
    return (write_raster(os.path.join(folder, f"img_{tag}.tif"), img, gt, epsg),
            write_raster(os.path.join(folder, f"cls_{tag}.tif"), cls, gt, epsg))


def copy_tree_files(folder):
    """{name: md5} of the files in a folder."""
    return {n: md5(os.path.join(folder, n)) for n in sorted(os.listdir(folder))
            if os.path.isfile(os.path.join(folder, n))}


def wait_for(cond, timeout=120.0):
    """Process Qt events until cond() is true (background tasks, queued signals) or the timeout;
    returns cond()'s last value."""
    import time

    from qgis.PyQt.QtCore import QCoreApplication, QEventLoop

    t_end = time.monotonic() + timeout
    while not cond() and time.monotonic() < t_end:
        QCoreApplication.processEvents(QEventLoop.AllEvents, 50)
        time.sleep(0.01)
    return cond()


# Malformed composition CSVs: (text, line of the error, words in the message), with their test ids.
MALFORMED_COMPOSITIONS = [
    ("label,forest,field\n41,0.9,0.1\n", 1, "header"),
    ("class,forest,field\n41,0.9,0.1\n82,abc,0.9\n", 3, "not a number"),
    ("class,forest,field\n41,0.9,0.1\n82,-0.2,0.9\n", 3, ">= 0"),
    ("class,forest,field\n# comment\n41,0.9,0.1\n82,0,0\n", 4, "zero"),
]
MALFORMED_IDS = ["bad-header", "non-numeric", "negative", "all-zero-row"]


QGIS_PROCESS = "/usr/bin/qgis_process.bin"  # /usr/bin/qgis_process passes a flag QGIS 3.22 rejects


def qgis_process_runner(base):
    """run(*args, timeout=240) -> CompletedProcess of qgis_process.bin in an isolated profile under the folder
    `base` (HOME there, the plugin found through QGIS_PLUGINPATH as a symlink to this tree, PyTorch from the
    deps folder), so neither the user's profile nor an installed copy plays a part. run.base is `base`."""
    plugins, home = os.path.join(base, "plugins"), os.path.join(base, "home")
    os.makedirs(plugins)
    os.makedirs(home)
    os.symlink(ROOT, os.path.join(plugins, "epitome"))
    env = dict(os.environ, QGIS_PLUGINPATH=plugins, HOME=home, QT_QPA_PLATFORM="offscreen",
               EPITOME_DEPS=deps_dir(), XDG_RUNTIME_DIR=str(base))
    for k in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(k, None)

    def run(*args, timeout=240):
        return subprocess.run([QGIS_PROCESS, *args], env=env, capture_output=True, text=True, timeout=timeout,
                              cwd=str(base))

    run.base = base
    run.environment = env  # for a qgis_process started by hand (subprocess.Popen: a run killed mid-way)
    return run
