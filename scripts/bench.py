#!/usr/bin/env python3
"""make bench: accuracy, trust rule, robustness, speed and memory of self-epitomic LSR -> docs/BENCHMARKS.md.

Every accuracy is reported beside the two label-only baselines of the same run (naive: argmax p(label | class)
of each pixel's class; smooth: the blocks' p(label | class) interpolated bilinearly, then argmax), computed by
the product's own code (algorithms/evaluate/baselines.py). Real data is read in place from ../shared/data when
present (sections say so when absent); generated scenes come from synthetic/scene.py.

Sections (--sections, comma-separated; default all):
  cases   every real case of the three kinds (NAIP + NLCD, generalised, NLCD-like mixture maps) at the defaults,
          beside both baselines (scripts/bench_trust.py)
  groups  the constants chosen on one group of cases (NAIP + DeepGlobe) and reported on the other (LoveDA + OEM),
          and the other way round; every case per setting
  reference  every real case calibrated on 100 random reference points: the fusion chosen, the estimated accuracy
          and whether its 95% interval holds the true accuracy
  calibration  the calibration of CONFIDENCE (ECE, reliability curve) at the defaults and with reference points
  crops   smaller areas: the real sub-metre cases in quadrants, composition estimated per quadrant
  shift   robustness to a coarse layer shifted by 15 m (half a 30 m cell)
  speed   km^2 per minute at the defaults against the previous defaults, side by side (2048 px scene, 1 m)
  dense   a plain dense reference (scripts/dense_reference.py), the exact path, each saving alone and combined
  tiles   TILE_SIZE 256-2048: km^2 per minute, peak memory, accuracy
  memory  peak memory, large rasters (up to 20480 x 20480) against small; the largest tile refused up front
  align   registration: coarse maps moved 0, 15 and 30 m and in a random direction, the offset found against the
          offset applied, accuracy with ALIGN off and correct beside both baselines, the time the estimate adds
          (scripts/bench_align.py, which also runs alone and rewrites only its section)
  cluster SCHEDULER: in-process against LocalCluster 1 and 2 workers (4096 px), 20000 px through local:2 with the
          peak memory per worker (scripts/bench_cluster.py)
Run with QGIS's interpreter: EPITOME_DEPS=<deps folder> /usr/bin/python3 scripts/bench.py
"""

from _bootstrap import DEPS, ROOT  # first: the checkout and PyTorch on sys.path

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np  # noqa: E402
from osgeo import gdal  # noqa: E402

from algorithms.composition.table import load_composition  # noqa: E402
from algorithms.evaluate.baselines import BaselineJob, run_baselines  # noqa: E402
from algorithms.evaluate.metrics import ConfusionAccumulator, scores  # noqa: E402
from algorithms.io.raster import grid_of, open_raster  # noqa: E402
from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr  # noqa: E402
from algorithms.lsr.params import LsrParams  # noqa: E402

import bench_trust  # noqa: E402

DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")
CHESAPEAKE = os.path.join(DATA, "chesapeake-wv")
SUBMETRE = os.path.join(DATA, "real-submetre")


@dataclass
class Case:
    name: str
    group: str
    imagery: str
    classes: str
    truth: str
    composition: Optional[str] = None  # None: the built-in NLCD table


def real_cases(lines):
    cases = []
    if os.path.isdir(CHESAPEAKE):
        cases += [Case(f"NAIP wv-{i}", "NAIP 1 m + NLCD 30 m", f"{CHESAPEAKE}/wv-train-{i}_naip.tif",
                       f"{CHESAPEAKE}/wv-train-{i}_nlcd_30m.tif", f"{CHESAPEAKE}/wv-train-{i}_truth.tif")
                  for i in range(8)]
    else:
        lines.append(f"Real NAIP patches not found at {CHESAPEAKE}: left out.\n")
    if os.path.isdir(SUBMETRE):
        for n in bench_trust.SUBMETRE:
            group = n.split("-")[0] + ", generalised map"
            cases.append(Case(n, group, f"{SUBMETRE}/{n}_rgb.tif",
                              f"{SUBMETRE}/{n}_coarse_30m.tif", f"{SUBMETRE}/{n}_truth.tif",
                              f"{SUBMETRE}/{n}_composition.csv"))
    else:
        lines.append(f"Real sub-metre cases not found at {SUBMETRE}: left out.\n")
    return cases


def read(path):
    return gdal.Open(path).ReadAsArray()


def cm_of(pred, truth, n):
    return ConfusionAccumulator(n).add(pred, truth).matrix


def baselines(case, tmp, comp):
    naive, smooth = os.path.join(tmp, "naive.tif"), os.path.join(tmp, "smooth.tif")
    run_baselines(BaselineJob(case.imagery, case.classes, comp, naive, smooth, unknown_as_nodata=True))
    return read(naive), read(smooth)


def lsr(case, tmp, comp, params=None, probabilities=False, tile=None, name="epitome"):
    out = LsrOutputs(os.path.join(tmp, name + ".tif"),
                     os.path.join(tmp, name + "_p.tif") if probabilities else None)
    st = run_self_epitomic_lsr(LsrJob(case.imagery, case.classes, comp, out, params=params or LsrParams(),
                                      tile_size=tile, device="cpu", unknown_as_nodata=True))
    return read(out.labels), (read(out.probabilities) if probabilities else None), st


def pct(x):
    return f"{100 * x:.2f}"


def quadrant_cases(tmp, cases):
    """The real sub-metre cases cut into 2 x 2 quadrants (154 m for LoveDA, 612 m for DeepGlobe), each with its
    composition estimated from its own truth, as epitome:estimatecomposition does: (Case, Composition) pairs."""
    from algorithms.composition.estimate import estimate_composition

    out = []
    for case in cases:
        if case.group.startswith("NAIP"):
            continue
        ds = gdal.Open(case.imagery)
        w, h = ds.RasterXSize // 2, ds.RasterYSize // 2
        for qy in range(2):
            for qx in range(2):
                stem = os.path.join(tmp, f"{case.name}-q{qy}{qx}")
                for src, suffix in ((case.imagery, "_rgb.tif"), (case.truth, "_truth.tif")):
                    gdal.Translate(stem + suffix, src, srcWin=[qx * w, qy * h, w, h])
                comp = estimate_composition(stem + "_truth.tif", case.classes).composition
                out.append((Case(f"{case.name} q{qy}{qx}", case.group, stem + "_rgb.tif", case.classes,
                                 stem + "_truth.tif"), comp))
    return out


def section_crops(tmp, lines, cases):
    """Smaller areas: quadrants of the real sub-metre cases at the defaults, beside both baselines."""
    quads = quadrant_cases(tmp, cases)
    if not quads:
        lines.append("Real sub-metre cases not found: section left out.\n")
        return
    lines.append("Each real sub-metre case cut into 2 x 2 quadrants (LoveDA 512 px = 154 m, DeepGlobe 1224 px = "
                 "612 m, OpenEarthMap 150-300 m: one tile or little more), composition estimated from each quadrant's "
                 "truth (a generalised map's own table). Accuracy (%) at the defaults.\n")
    lines.append("| quadrant | naive | smooth | Epitome | Epitome - better baseline |\n|---|---|---|---|---|")
    diffs = []
    for case, comp in quads:
        truth = read(case.truth)
        nv, sm = baselines(case, tmp, comp)
        lab, _, st = lsr(case, tmp, comp)
        acc = [100 * scores(cm_of(a, truth, comp.n_labels))["overall_accuracy"] for a in (nv, sm, lab)]
        diffs.append(acc[2] - max(acc[:2]))
        lines.append(f"| {case.name} | {acc[0]:.2f} | {acc[1]:.2f} | {acc[2]:.2f} | {diffs[-1]:+.2f} |")
        print(lines[-1], flush=True)
    lines.append(f"\nEpitome against the better baseline: mean {np.mean(diffs):+.2f}, worst {min(diffs):+.2f} "
                 f"({len(diffs)} quadrants).\n")


# ------------------------------------------------------------------------------------------------------------
# 3. A coarse layer shifted by half a cell
# ------------------------------------------------------------------------------------------------------------

def shifted(path, tmp, dx, dy):
    ds = gdal.Open(path)
    out = os.path.join(tmp, "shifted_" + os.path.basename(path))
    copy = gdal.GetDriverByName("GTiff").CreateCopy(out, ds)
    gt = list(copy.GetGeoTransform())
    gt[0] += dx
    gt[3] += dy
    copy.SetGeoTransform(gt)
    copy = None
    return out


def section_shift(tmp, lines, cases):
    naip = [c for c in cases if c.group.startswith("NAIP")]
    if not naip:
        lines.append("No NAIP patches: section skipped.\n")
        return
    lines.append("NAIP patches with the NLCD layer moved 15 m east and 15 m north (half a cell), pooled accuracy:\n")
    lines.append("| coarse layer | naive | smooth | Epitome |\n|---|---|---|---|")
    for label, dx in (("as given", 0.0), ("shifted 15 m", 15.0)):
        acc = [ConfusionAccumulator(4) for _ in range(3)]
        for case in naip:
            c = Case(case.name, case.group, case.imagery, shifted(case.classes, tmp, dx, dx) if dx else case.classes,
                     case.truth)
            comp = load_composition(None)
            truth = read(c.truth)
            nv, sm = baselines(c, tmp, comp)
            lab, _, _ = lsr(c, tmp, comp)
            for a, pred in zip(acc, (nv, sm, lab)):
                a.add(pred, truth)
        lines.append(f"| {label} | " + " | ".join(pct(scores(a.matrix)["overall_accuracy"]) for a in acc) + " |")
    lines.append("")


# ------------------------------------------------------------------------------------------------------------
# 4. Speed, side by side
# ------------------------------------------------------------------------------------------------------------

# The previous release's tile computation: the paper's EM (the table as a constraint) and one appearance iteration,
# fused with the smooth prior (its weight was chosen on tiles that were then kept, so it cost no extra tile)
PREVIOUS_DEFAULTS = dict(table_mode="constraint", appearance_iterations=1, appearance_weight=1.0)


def section_speed(tmp, lines, size=2048):
    from synthetic.scene import write_scene

    sc = write_scene(os.path.join(tmp, "speed"), size=size, seed=3)
    case = Case("speed", "generated", sc["imagery"], sc["classes_30m"], sc["truth"])
    comp = load_composition(None)
    truth = read(case.truth)
    km2 = size * size / 1e6
    lines.append(f"Scene {size} x {size} px at 1 m ({km2:.2f} km^2), classes 30 m in EPSG:5070, CPU, tiles 512 px. "
                 "The previous release's tile computation (TABLE_MODE constraint: the paper's EM, then one appearance "
                 "iteration) and the defaults (the table as a prior: the smooth prior, two appearance iterations), "
                 "in the same run:\n")
    lines.append("| settings | seconds | km^2 per minute | accuracy | mIoU |\n|---|---|---|---|---|")
    res = {}
    for label, params in (("previous defaults", LsrParams(**PREVIOUS_DEFAULTS)), ("defaults", LsrParams())):
        lab, _, st = lsr(case, tmp, comp, params, tile=512, name=label.replace(" ", "_"))
        s = scores(cm_of(lab, truth, 4))
        rate = km2 / st["seconds"] * 60
        res[label] = rate
        lines.append(f"| {label} | {st['seconds']:.1f} | {rate:.2f} | {pct(s['overall_accuracy'])} | "
                     f"{s['mean_iou']:.3f} |")
        print(lines[-1], flush=True)
    lines.append(f"\nDefaults / previous defaults: {res['defaults'] / res['previous defaults']:.2f}x the speed.\n")
    return res


# ------------------------------------------------------------------------------------------------------------
# 5-6. Doing less work: the dense reference, each saving alone and combined; tile sizes
# ------------------------------------------------------------------------------------------------------------

SEEDS = (0, 1, 2)
SAVINGS = (("exact (KEY_STRIDE 1, all dimensions)", dict(key_stride=1, patch_dims=None)),
           ("KEY_STRIDE 3 alone", dict(key_stride=3, patch_dims=None)),
           ("PATCH_DIMS 16 alone", dict(key_stride=1, patch_dims=16)),
           ("defaults (KEY_STRIDE 3 + PATCH_DIMS 16)", dict()))


def arrays_of(case, comp):
    """Imagery (scaled), validity and class rows on the imagery grid, for the dense reference."""
    from algorithms.io.align import CLASS_NODATA, align_classes
    from algorithms.io.raster import compute_scaling, read_imagery

    ds = open_raster(case.imagery, "i")
    bands = list(range(1, ds.RasterCount + 1))
    x, v = read_imagery(ds, bands, compute_scaling(ds, bands), 0, 0, ds.RasterXSize, ds.RasterYSize)
    aligned = align_classes(open_raster(case.classes, "c"), grid_of(ds), [])
    codes = aligned.GetRasterBand(1).ReadAsArray()
    return x, v, comp.class_index(codes, nodata_codes=[CLASS_NODATA], unknown_as_nodata=True)


def dense(case, comp):
    from dense_reference import dense_lsr

    x, v, idx = arrays_of(case, comp)
    t0 = time.time()
    lab = dense_lsr(x, v, idx, comp.matrix.astype(np.float32))
    return lab, time.time() - t0


def section_dense(tmp, lines, cases, size=2048):
    """Speed on a 2048 px scene and accuracy on every case: the plain dense reference (scripts/dense_reference.py:
    docs/METHOD.md, "Self-epitomic LSR", every window a key, 5 x 5 patches, 25% queries, 30 EM iterations, 512 px tiles),
    the project's exact path, each saving alone and the defaults, side by side."""
    from synthetic.scene import write_scene

    sc = write_scene(os.path.join(tmp, "dense"), size=size, seed=3)
    scene = Case("generated 2048", "generated", sc["imagery"], sc["classes_30m"], sc["truth"])
    comp = load_composition(None)
    km2 = size * size / 1e6
    truth = read(scene.truth)
    lines.append(f"Speed: scene {size} x {size} px at 1 m ({km2:.2f} km^2), 512 px tiles, CPU, one run:\n")
    lines.append("| method | seconds | km^2 per minute | x dense reference | accuracy | mIoU |\n|---|---|---|---|---|---|")
    lab, t_dense = dense(scene, comp)
    s = scores(cm_of(lab, truth, 4))
    lines.append(f"| dense reference | {t_dense:.1f} | {km2 / t_dense * 60:.2f} | 1.0 | {pct(s['overall_accuracy'])} | "
                 f"{s['mean_iou']:.3f} |")
    for label, kw in SAVINGS:
        lab, _, st = lsr(scene, tmp, comp, LsrParams(**kw), tile=512, name="s")
        s = scores(cm_of(lab, truth, 4))
        lines.append(f"| {label} | {st['seconds']:.1f} | {km2 / st['seconds'] * 60:.2f} | "
                     f"{t_dense / st['seconds']:.1f} | {pct(s['overall_accuracy'])} | {s['mean_iou']:.3f} |")
        print(lines[-1], flush=True)
    lines.append(f"\nAccuracy on every case (%), the mean over seeds {', '.join(map(str, SEEDS))} (which queries "
                 "are sampled): the savings against the exact path of the same method, and the plain reference "
                 "(the paper's EM alone, no fusion: a yardstick, not the same method; one run).\n")
    lines.append("| case | dense reference | " + " | ".join(label for label, _ in SAVINGS)
                 + " | defaults - exact | exact: spread over seeds |\n|---|---|" + "---|" * len(SAVINGS) + "---|---|")
    worst = 0.0
    for case in cases:
        comp_c = load_composition(case.composition)
        truth = read(case.truth)
        m = truth > 0
        lab, _ = dense(case, comp_c)
        row, spread = [100 * (lab[m] == truth[m]).mean()], None
        for label, kw in SAVINGS:
            accs = [100 * (lsr(case, tmp, comp_c, LsrParams(seed=seed, **kw), name="s")[0][m] == truth[m]).mean()
                    for seed in SEEDS]
            row.append(float(np.mean(accs)))
            spread = spread if spread is not None else max(accs) - min(accs)  # the exact path's
        worst = min(worst, row[-1] - row[1])
        lines.append(f"| {case.name} | " + " | ".join(f"{v:.2f}" for v in row)
                     + f" | {row[-1] - row[1]:+.2f} | {spread:.2f} |")
        print(lines[-1], flush=True)
    lines.append(f"\nWorst case, defaults against the exact path (mean over seeds): {worst:+.2f} points. One seed "
                 "alone can differ by the spread shown: a different key set samples different windows.\n")


MEM_TILE = r"""
import json, sys, time
sys.path.insert(0, {root!r}); sys.path.append({deps!r})
from algorithms.composition.table import load_composition
from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr
t = time.time()
st = run_self_epitomic_lsr(LsrJob({img!r}, {cls!r}, load_composition(None), LsrOutputs({out!r}), tile_size={tile},
                                  device="cpu"))
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
print(json.dumps(dict(seconds=time.time() - t, maxrss_mb=hwm / 1024)))
"""


def section_tiles(tmp, lines, cases, size=2048):
    """TILE_SIZE 256 ... 2048: speed and peak memory (fresh processes) on a 2048 px scene, accuracy there and on
    the real cases larger than a tile."""
    from synthetic.scene import write_scene

    sc = write_scene(os.path.join(tmp, "tiles"), size=size, seed=3)
    truth = read(sc["truth"])
    km2 = size * size / 1e6
    lines.append(f"Scene {size} x {size} px at 1 m ({km2:.2f} km^2), defaults but TILE_SIZE; each run in a fresh "
                 "process (peak RSS):\n")
    lines.append("| TILE_SIZE | seconds | km^2 per minute | peak RSS (MiB) | accuracy | mIoU |\n|---|---|---|---|---|---|")
    for tile in (256, 512, 1024, 2048):
        out = os.path.join(tmp, f"tile{tile}.tif")
        code = MEM_TILE.format(root=ROOT, deps=DEPS, img=sc["imagery"], cls=sc["classes_30m"], out=out, tile=tile)
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if p.returncode != 0:
            lines.append(f"| {tile} | failed: {p.stderr[-200:]} | | | | |")
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        s = scores(cm_of(read(out), truth, 4))
        lines.append(f"| {tile} | {r['seconds']:.1f} | {km2 / r['seconds'] * 60:.2f} | {r['maxrss_mb']:.0f} | "
                     f"{pct(s['overall_accuracy'])} | {s['mean_iou']:.3f} |")
        print(lines[-1], flush=True)
    big = [c for c in cases if grid_of(open_raster(c.imagery, "i")).width >= 1024]
    if big:
        lines.append("\nAccuracy (%) on the real cases at least 1024 px wide, by TILE_SIZE in ground units:\n")
        lines.append("| case | 256 m | 512 m (default) | 1024 m |\n|---|---|---|---|")
        for case in big:
            comp = load_composition(case.composition)
            px = grid_of(open_raster(case.imagery, "i")).pixel_size[0]
            truth = read(case.truth)
            m = truth > 0
            row = []
            for metres in (256, 512, 1024):
                lab, _, _ = lsr(case, tmp, comp, tile=int(round(metres / px)), name="t")
                row.append(100 * (lab[m] == truth[m]).mean())
            lines.append(f"| {case.name} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
            print(lines[-1], flush=True)
    lines.append("")


# ------------------------------------------------------------------------------------------------------------
# 7. Memory
# ------------------------------------------------------------------------------------------------------------

MEM_CHILD = r"""
import json, os, sys, time
sys.path.insert(0, {root!r}); sys.path.append({deps!r})
from algorithms.composition.table import load_composition
from algorithms.errors import EpitomeError
from algorithms.feedback import Feedback
from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr
from algorithms.lsr.params import LsrParams


class Log(Feedback):
    lines = []

    def info(self, msg):
        self.lines.append(msg)


t = time.time()
refused = None
try:
    st = run_self_epitomic_lsr(LsrJob({img!r}, {cls!r}, load_composition(None), LsrOutputs({out!r}),
                                      tile_size={tile}, params=LsrParams(samples={samples}), device="cpu",
                                      memory_budget_mb={budget}), Log())
except EpitomeError as e:
    refused = str(e)
# VmHWM (peak RSS of this process image). Not getrusage's ru_maxrss: on Linux that keeps the parent's
# high-water mark across fork/exec, which made both rows report the benchmark parent's peak.
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
estimate = [m for m in Log.lines if m.startswith("Working memory")]
print(json.dumps(dict(seconds=time.time() - t, maxrss_mb=hwm / 1024, estimate=estimate[0] if estimate else "",
                      refused=refused)))
"""


def mosaic(src, reps, path):
    """A VRT that repeats src reps x reps times (a large raster without using disk)."""
    ds = gdal.Open(src)
    w, h = ds.RasterXSize, ds.RasterYSize
    vrt = gdal.GetDriverByName("VRT").Create(path, w * reps, h * reps, 0)
    vrt.SetGeoTransform(ds.GetGeoTransform())
    vrt.SetProjection(ds.GetProjection())
    for b in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(b)
        vrt.AddBand(band.DataType)
        vb = vrt.GetRasterBand(b)
        if band.GetNoDataValue() is not None:
            vb.SetNoDataValue(band.GetNoDataValue())
        xml = [f"<SimpleSource><SourceFilename relativeToVRT='0'>{src}</SourceFilename>"
               f"<SourceBand>{b}</SourceBand><SrcRect xOff='0' yOff='0' xSize='{w}' ySize='{h}'/>"
               f"<DstRect xOff='{j * w}' yOff='{i * h}' xSize='{w}' ySize='{h}'/></SimpleSource>"
               for i in range(reps) for j in range(reps)]
        vb.SetMetadata({f"source_{k}": x for k, x in enumerate(xml)}, "new_vrt_sources")
    vrt = None
    return path


def section_memory(tmp, lines, reps_list=(1, 4, 10), samples=0.01):
    """Peak RSS of whole runs (fresh processes) on 2048 px to 20480 px rasters at TILE_SIZE 512, next to the
    estimate the run makes before it starts (lsr/memory.py); and TILE_SIZE 8192 on 8192 px under an 8 GiB budget,
    refused before any work."""
    from synthetic.scene import write_scene

    sc = write_scene(os.path.join(tmp, "mem"), size=2048, seed=4)
    lines.append("| raster | TILE_SIZE | pixels | seconds | peak RSS (MiB) | the run's estimate before it starts |\n"
                 "|---|---|---|---|---|---|")
    runs = [(reps, 512, 0) for reps in reps_list] + [(4, 8192, 8192)]
    for reps, tile, budget in runs:
        label = f"{2048 * reps} x {2048 * reps}"
        if reps == 1:
            img, cls = sc["imagery"], sc["classes_1m"]
        else:
            img = mosaic(sc["imagery"], reps, os.path.join(tmp, f"big_img{reps}.vrt"))
            cls = mosaic(sc["classes_1m"], reps, os.path.join(tmp, f"big_cls{reps}.vrt"))
        code = MEM_CHILD.format(root=ROOT, deps=DEPS, img=img, cls=cls, out=os.path.join(tmp, f"mem{reps}.tif"),
                                samples=samples, tile=tile, budget=budget)
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)  # fresh process image
        if p.returncode != 0:
            lines.append(f"| {label} | {tile} | failed: {p.stderr[-300:]} | | | |")
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        if r["refused"]:
            lines.append(f"| {label}, 4 bands uint8 | {tile} (budget {budget} MiB) | {(2048 * reps) ** 2 / 1e6:.1f} M "
                         f"| {r['seconds']:.1f} | {r['maxrss_mb']:.0f} | refused before any work: "
                         f"{r['refused'].split(' of working memory')[0]} |")
        else:
            lines.append(f"| {label}, 4 bands uint8 | {tile} | {(2048 * reps) ** 2 / 1e6:.1f} M | {r['seconds']:.0f} | "
                         f"{r['maxrss_mb']:.0f} | {r['estimate'].replace('Working memory: ', '')} |")
        print(lines[-1], flush=True)
    lines.append(f"\n(SAMPLES={samples} to keep the large runs short; memory does not depend on SAMPLES beyond one "
                 "block of logits. The large rasters are VRT mosaics of the small scene, read by windows; the class "
                 "layer is its 1 m copy, so the smooth prior is warped from 1 m cells. Peak RSS includes Python, "
                 "torch and GDAL themselves (about 260 MiB) and GDAL's block cache.)\n")


# ------------------------------------------------------------------------------------------------------------

SECTIONS = ("cases", "groups", "reference", "calibration", "crops", "shift", "speed", "dense", "tiles", "memory",
            "align", "cluster")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    ap.add_argument("--sections", default=",".join(SECTIONS))
    a = ap.parse_args()
    wanted = [s.strip() for s in a.sections.split(",") if s.strip()]
    import bench_align  # imports this module by name: not at the top, where it would import itself twice
    import torch

    lines = ["# Benchmarks: self-epitomic label super-resolution\n",
             f"Measured {datetime.date.today().isoformat()} on {platform.node()}: {os.cpu_count()} CPU cores, "
             f"{platform.processor() or platform.machine()}, torch {torch.__version__} "
             f"({torch.get_num_threads()} threads), GDAL {gdal.__version__}, numpy {np.__version__}. "
             "Produced by `make bench` (scripts/bench.py); every number in a table comes from the same run. "
             "Baselines: naive = argmax p(label | class) of each pixel's coarse class; smooth = the blocks' "
             "p(label | class) interpolated bilinearly between block centres, then argmax.\n",
             f"Defaults: {LsrParams()}\n"]
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        cases = real_cases(lines)
        trust = bench_trust.trust_cases(DATA, lines) if {"cases", "groups", "reference"} & set(wanted) else []
        calib = {}
        titles = {"cases": "1. Every real case at the defaults, beside both baselines",
                  "groups": "2. Constants chosen on one group of cases, reported on the other",
                  "reference": "3. Calibrated on 100 reference points",
                  "calibration": "4. Calibration of the confidence",
                  "crops": "5. Smaller areas: the sub-metre cases in quadrants",
                  "shift": "6. Robustness: the coarse layer shifted by half a cell",
                  "speed": "7. Speed at the defaults, side by side with the previous defaults",
                  "dense": "8. Doing less work: the dense reference, each saving alone and combined",
                  "tiles": "9. Tile sizes: speed, memory and accuracy",
                  "memory": "10. Peak memory: large raster against small",
                  "align": bench_align.TITLE,
                  "cluster": "12. Whole rasters on a Dask cluster (SCHEDULER)"}
        for s in SECTIONS:
            if s not in wanted:
                continue
            lines.append(f"## {titles[s]}\n")
            if s == "cases":
                bench_trust.section_cases(tmp, lines, trust, calib)
            elif s == "groups":
                bench_trust.section_groups(tmp, lines, trust)
            elif s == "reference":
                bench_trust.section_reference(tmp, lines, trust, calib)
            elif s == "calibration":
                bench_trust.section_calibration(lines, calib)
            elif s == "crops":
                section_crops(tmp, lines, cases)
            elif s == "shift":
                section_shift(tmp, lines, cases)
            elif s == "speed":
                section_speed(tmp, lines)
            elif s == "dense":
                section_dense(tmp, lines, cases)
            elif s == "tiles":
                section_tiles(tmp, lines, cases)
            elif s == "memory":
                section_memory(tmp, lines)
            elif s == "align":
                bench_align.section_align(tmp, lines, cases)
            elif s == "cluster":
                import bench_cluster

                bench_cluster.section_cluster(tmp, lines)
            write_report(a.out, lines + ["(Run in progress: later sections follow.)\n"])  # a long run keeps what it has
    lines.append(f"Total benchmark time {time.time() - t0:.0f} s.\n")
    print(write_report(a.out, lines))


def write_report(path, lines):
    """Write the report so far to path; returns its text."""
    text = "\n".join(lines)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)
    return text


if __name__ == "__main__":
    main()
