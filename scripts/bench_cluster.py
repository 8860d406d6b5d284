#!/usr/bin/env python3
"""The `cluster` section of make bench (scripts/bench.py): self-epitomic LSR through SCHEDULER (docs/SCALING.md).

1. A 4096 x 4096 generated scene (1 m, classes at 30 m in EPSG:5070) in the same run, each in a fresh process:
   in-process with torch at 2 threads, a LocalCluster of 1 single-thread worker, of 2 single-thread workers;
   seconds, speed-ups, and the labels of each cluster run against the in-process run (pixels that differ).
2. A 20000 x 20000 raster (a VRT mosaic of the 4096 scene; its classes warped to 30 m, mode) through local:2:
   seconds, peak RSS of each worker process and of the client (psutil, sampled every 0.5 s; VmHWM of the client).

    EPITOME_DEPS=<deps folder> /usr/bin/python3 scripts/bench_cluster.py --out build/bench-cluster.md [--big 0]
"""

from _bootstrap import DEPS, ROOT  # first: the checkout and PyTorch on sys.path

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal

CHILD = r"""
import json, os, sys, threading, time
sys.path.insert(0, {root!r}); sys.path.append({deps!r})
import psutil, torch
from algorithms.composition.table import load_composition
from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr
from algorithms.lsr.params import LsrParams

torch.set_num_threads({threads})
peaks, stop = {{}}, []


def watch():
    me = psutil.Process()
    while not stop:
        for p in me.children(recursive=True):
            try:
                peaks[p.pid] = max(peaks.get(p.pid, 0), p.memory_info().rss)
            except psutil.Error:
                pass
        time.sleep(0.5)


threading.Thread(target=watch, daemon=True).start()
t = time.time()
st = run_self_epitomic_lsr(LsrJob({img!r}, {cls!r}, load_composition(None), LsrOutputs({out!r}), tile_size=512,
                                  params=LsrParams(**{params!r}), device="cpu", scheduler={scheduler!r}))
seconds = time.time() - t
stop.append(1)
hwm = [int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0]
print(json.dumps(dict(seconds=seconds, tiles=st["tiles"], client_mb=hwm / 1024,
                      workers_mb=sorted((v / 2**20 for v in peaks.values()), reverse=True))))
"""


def run_child(img, cls, out, scheduler, threads, params):
    code = CHILD.format(root=ROOT, deps=DEPS, img=img, cls=cls, out=out, scheduler=scheduler, threads=threads,
                        params=params)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(p.stderr[-2000:])
    return json.loads(p.stdout.strip().splitlines()[-1])


def labels(path):
    return gdal.Open(path).ReadAsArray()


def side_by_side(tmp, lines, sc):
    """In-process (2 threads), local:1 and local:2 on the 4096 scene; returns the rows' results."""
    km2 = 4096 * 4096 / 1e6
    lines.append("| run | seconds | km^2 per minute | labels differing from in-process |\n|---|---|---|---|")
    res = {}
    for name, sched, threads in (("in-process, torch 2 threads", "", 2), ("LocalCluster, 1 worker x 1 thread",
                                                                         "local:1", 1),
                                 ("LocalCluster, 2 workers x 1 thread", "local:2", 1)):
        out = os.path.join(tmp, f"c4096_{sched.replace(':', '') or 'inprocess'}.tif")
        r = run_child(sc["imagery"], sc["classes_30m"], out, sched, threads, {})
        res[sched] = dict(r, out=out)
        diff = "-" if not sched else differing(labels(out), labels(res[""]["out"]))
        lines.append(f"| {name} | {r['seconds']:.1f} | {km2 / r['seconds'] * 60:.1f} | {diff} |")
        print(lines[-1], flush=True)
    s2, s1, s0 = res["local:2"]["seconds"], res["local:1"]["seconds"], res[""]["seconds"]
    lines.append(f"\n2 workers / 1 worker: {s1 / s2:.2f}x faster (target >= 1.7x). 2 workers against in-process at 2 "
                 f"threads: {s0 / s2:.2f}x its speed (target >= 0.85x). Times include starting the LocalCluster "
                 "(worker processes importing torch) and, in-process, nothing else.\n")
    return res


def differing(a, b) -> str:
    n = int((a != b).sum())
    return f"{n} of {a.size} ({100.0 * n / a.size:.4f}%)"


def big_raster(tmp, sc, size=20000):
    """A size x size VRT mosaic of the scene's imagery and its classes warped to 30 m (mode), in the imagery CRS."""
    from bench import mosaic

    reps = -(-size // 4096)
    img = mosaic(sc["imagery"], reps, os.path.join(tmp, "big_img_full.vrt"))
    img = gdal.Translate(os.path.join(tmp, "big_img.vrt"), img, format="VRT", srcWin=[0, 0, size, size])
    img = None
    c1 = mosaic(sc["classes_1m"], reps, os.path.join(tmp, "big_cls1m.vrt"))
    cls = os.path.join(tmp, "big_cls30.tif")
    ds = gdal.Open(os.path.join(tmp, "big_img.vrt"))
    x0, _, _, y0, _, _ = ds.GetGeoTransform()
    gdal.Warp(cls, c1, options=gdal.WarpOptions(xRes=30.0, yRes=30.0, resampleAlg="mode", outputBounds=(
        x0, y0 - size, x0 + size, y0), dstNodata=0, outputType=gdal.GDT_Byte, creationOptions=["COMPRESS=DEFLATE"]))
    return os.path.join(tmp, "big_img.vrt"), cls


BIG_PARAMS = dict(downsample=4, samples=0.02, appearance_iterations=1)  # a fast preset: the memory is one tile's


def section_cluster(tmp, lines, big=20000, big_params=None, side=True):
    from synthetic.scene import write_scene

    big_params = big_params or BIG_PARAMS
    t = time.time()
    sc = write_scene(os.path.join(tmp, "cluster"), size=4096, seed=5)
    print(f"scene written in {time.time() - t:.0f} s", flush=True)
    lines.append("A generated 4096 x 4096 scene at 1 m (4 bands uint8, classes at 30 m in EPSG:5070), TILE_SIZE 512, "
                 "the default parameters; each run in a fresh process, one after the other, on this 2-core machine "
                 "(shared with other jobs: the times are noisy).\n")
    if side:
        side_by_side(tmp, lines, sc)
    if big:
        img, cls = big_raster(tmp, sc, big)
        r = run_child(img, cls, os.path.join(tmp, "big.tif"), "local:2", 1, big_params)
        workers = ", ".join(f"{m:.0f}" for m in r["workers_mb"][:4])
        lines.append(f"{big} x {big} px ({big * big / 1e6:.0f} M pixels, {r['tiles']} tiles; a VRT mosaic of the "
                     f"4096 scene, classes warped to 30 m) through local:2 with {big_params}: {r['seconds']:.0f} s "
                     f"({big * big / 1e6 / r['seconds'] * 60:.1f} km^2 per minute). Peak RSS of the processes under "
                     f"the client (the two workers and their nannies, largest first): {workers} MiB; the client's peak "
                     f"RSS (VmHWM) {r['client_mb']:.0f} MiB: one strip of blended tile rows (labels + 2 weights, "
                     f"about 4 x 6 x 640 x {big} bytes), the fusion's column chunks and GDAL's block cache.\n")
        print(lines[-1], flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench-cluster.md"))
    ap.add_argument("--big", type=int, default=20000, help="side of the large raster (0: none)")
    ap.add_argument("--no-side-by-side", action="store_true", help="only the large raster")
    a = ap.parse_args()
    lines = ["## Whole rasters on a Dask cluster\n"]
    with tempfile.TemporaryDirectory() as tmp:
        section_cluster(tmp, lines, a.big, side=not a.no_side_by_side)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as fh:
        fh.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
