#!/usr/bin/env python3
"""make bench: accuracy, speed and memory of self-epitomic LSR; writes docs/BENCHMARKS.md.

Sections: (1) real NAIP/NLCD patches from ../shared/data/chesapeake-wv (when present) with NLCD 30 m
(Albers) and NLCD 1 m inputs, next to the naive baseline computed in the same run; (2) generated
scenes, including hand-drawn (smooth) labels, for every FUSION mode; (3) seconds per km^2 and
accuracy against TILE_SIZE and SAMPLES; (4) peak memory on a large raster against a small one.
Run with QGIS's interpreter: EPITOME_DEPS=<deps folder> /usr/bin/python3 scripts/bench.py
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from plugin.install.deps import default_folder  # noqa: E402 (no QGIS needed)

DEPS = default_folder()
if os.path.isdir(DEPS):
    sys.path.append(DEPS)

import numpy as np  # noqa: E402
from osgeo import gdal  # noqa: E402

from algorithms.io.align import CLASS_NODATA, align_classes  # noqa: E402
from algorithms.io.outputs import create_output
from algorithms.io.raster import grid_of, open_raster
from algorithms.composition.table import load_composition  # noqa: E402
from algorithms.evaluate.metrics import ConfusionAccumulator, confusion_matrix, scores  # noqa: E402
from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr  # noqa: E402
from algorithms.lsr.params import FUSION_MODES, LsrParams  # noqa: E402

SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data", "chesapeake-wv")
COMP = load_composition(None)


def baseline(classes, imagery):
    grid = grid_of(open_raster(imagery, "i"))
    al = align_classes(open_raster(classes, "c"), grid, [])
    codes = al.GetRasterBand(1).ReadAsArray()
    return COMP.baseline_labels(COMP.class_index(codes, nodata_codes=[0, 255, CLASS_NODATA],
                                                 unknown_as_nodata=True))


def run(imagery, classes, tmp, params, tile=512, name="out"):
    out = os.path.join(tmp, name + ".tif")
    job = LsrJob(imagery, classes, COMP, LsrOutputs(out), tile_size=tile, params=params, device="cpu")
    st = run_self_epitomic_lsr(job)
    lab = gdal.Open(out).ReadAsArray()
    return lab, st


def fmt_scores(sc, names):
    iou = ", ".join(f"{n} {v:.3f}" for n, v in zip(names, sc["per_class_iou"]) if v == v)
    return f"{100 * sc['overall_accuracy']:.2f}% | {sc['mean_iou']:.3f} | {iou}"


def shared_patches(tmp, params, lines, figure_path=None):
    if not os.path.isdir(SHARED):
        lines.append(f"Shared patches not found at {SHARED}: section skipped.\n")
        return None
    names = COMP.labels
    out = {}
    lines.append("| classes input | method | accuracy | mIoU | per-class IoU |\n|---|---|---|---|---|")
    per_patch_rows = []
    for which in ("nlcd_30m", "nlcd_1m"):
        acc_m, acc_b = ConfusionAccumulator(4), ConfusionAccumulator(4)
        secs = 0.0
        for pid in range(8):
            img = os.path.join(SHARED, f"wv-train-{pid}_naip.tif")
            cls = os.path.join(SHARED, f"wv-train-{pid}_{which}.tif")
            truth = gdal.Open(os.path.join(SHARED, f"wv-train-{pid}_truth.tif")).ReadAsArray()
            lab, st = run(img, cls, tmp, params, tile=512)
            secs += st["seconds"]
            b = baseline(cls, img)
            acc_m.add(lab, truth)
            acc_b.add(b, truth)
            m = truth > 0
            per_patch_rows.append((which, pid, 100 * (lab[m] == truth[m]).mean(), 100 * (b[m] == truth[m]).mean()))
        sm, sb = scores(acc_m.matrix), scores(acc_b.matrix)
        lines.append(f"| NLCD {which[5:]} | naive argmax p(label\\|class) | {fmt_scores(sb, names)} |")
        if which == "nlcd_30m" and figure_path:
            sys.path.insert(0, os.path.join(ROOT, "scripts"))
            from demo import figure

            pid = 0
            img = os.path.join(SHARED, f"wv-train-{pid}_naip.tif")
            cls = os.path.join(SHARED, f"wv-train-{pid}_nlcd_30m.tif")
            truth_p = os.path.join(SHARED, f"wv-train-{pid}_truth.tif")
            lab, _ = run(img, cls, tmp, params, name="fig")
            b = baseline(cls, img)
            bpath = os.path.join(tmp, "fig_base.tif")
            ds = create_output(bpath, grid_of(gdal.Open(img)), 1, gdal.GDT_Byte, nodata=0)
            ds.GetRasterBand(1).WriteArray(b)
            ds = None
            t = gdal.Open(truth_p).ReadAsArray()
            m = t > 0
            figure({"imagery": img, "classes": cls, "baseline": bpath, "result": os.path.join(tmp, "fig.tif"),
                    "truth": truth_p}, figure_path,
                   f"Real NAIP 2014 patch wv-train-{pid} (256 x 256 m): Epitome {100 * (lab[m] == t[m]).mean():.1f}%, "
                   f"naive {100 * (b[m] == t[m]).mean():.1f}%", classes_title="NLCD 2011, 30 m, EPSG:5070")
        lines.append(f"| NLCD {which[5:]} | Epitome (defaults) | {fmt_scores(sm, names)} |")
        out[which] = (sm, sb, secs)
    lines.append("")
    lines.append("Per patch (accuracy %, Epitome vs naive, difference):\n")
    lines.append("| input | " + " | ".join(f"patch {i}" for i in range(8)) + " | worst diff |")
    lines.append("|---|" + "---|" * 9)
    for which in ("nlcd_30m", "nlcd_1m"):
        rows = [r for r in per_patch_rows if r[0] == which]
        cells = [f"{a:.1f} / {b:.1f} ({a - b:+.1f})" for _, _, a, b in rows]
        worst = min(a - b for _, _, a, b in rows)
        lines.append(f"| {which} | " + " | ".join(cells) + f" | {worst:+.2f} |")
        out[which + "_worst"] = worst
    lines.append("")
    return out


def scenes(tmp, lines, size=1024, seeds=(0, 1), fusion_modes=FUSION_MODES):
    from synthetic.scene import write_scene

    lines.append("| scene | method | accuracy | mIoU | per-class IoU |\n|---|---|---|---|---|")
    result = {}
    for smooth in (False, True):
        for seed in seeds:
            folder = os.path.join(tmp, f"scene-{seed}-{int(smooth)}")
            sc = write_scene(folder, size=size, seed=seed, smooth_labels=smooth)
            truth = gdal.Open(sc["truth"]).ReadAsArray()
            tag = f"{'hand-drawn' if smooth else 'detailed'} labels, seed {seed}"
            b = baseline(sc["classes_30m"], sc["imagery"])
            sb = scores(confusion_matrix(b, truth, 4))
            lines.append(f"| {tag} | naive | {fmt_scores(sb, COMP.labels)} |")
            for fm in fusion_modes:
                lab, st = run(sc["imagery"], sc["classes_30m"], tmp, LsrParams(fusion=fm))
                s = scores(confusion_matrix(lab, truth, 4))
                lines.append(f"| {tag} | Epitome, FUSION={fm} | {fmt_scores(s, COMP.labels)} |")
                result[(smooth, seed, fm)] = s["overall_accuracy"]
            result[(smooth, seed, "naive")] = sb["overall_accuracy"]
    lines.append("")
    return result


def speed(tmp, lines, size=2048):
    from synthetic.scene import write_scene

    sc = write_scene(os.path.join(tmp, "speed"), size=size, seed=3)
    truth = gdal.Open(sc["truth"]).ReadAsArray()
    km2 = size * size / 1e6
    lines.append(f"Scene {size} x {size} px at 1 m ({km2:.2f} km^2), classes 30 m EPSG:5070, CPU.\n")
    lines.append("| TILE_SIZE | SAMPLES | seconds | s per km^2 | km^2 per minute | accuracy | mIoU |\n"
                 "|---|---|---|---|---|---|---|")
    res = {}
    for tile, samples in [(512, 0.05), (256, 0.05), (1024, 0.05), (512, 0.02), (512, 0.1)]:
        lab, st = run(sc["imagery"], sc["classes_30m"], tmp, LsrParams(samples=samples), tile=tile)
        s = scores(confusion_matrix(lab, truth, 4))
        lines.append(f"| {tile} | {samples} | {st['seconds']:.1f} | {st['seconds'] / km2:.1f} | "
                     f"{km2 / st['seconds'] * 60:.2f} | {100 * s['overall_accuracy']:.2f}% | {s['mean_iou']:.3f} |")
        res[(tile, samples)] = km2 / st["seconds"] * 60
    lines.append("")
    return res


GRID = [dict(appearance_iterations=a, fusion=f, fusion_weight=w) for a, f, w in (
    (0, "none", 0.0), (0, "product", 0.5), (0, "product", 1.0), (0, "bayes", 0.5),
    (1, "none", 0.0), (1, "product", 0.3), (1, "product", 0.5), (1, "bayes", 0.5),
    (2, "product", 0.5), (5, "none", 0.0), (5, "product", 1.0))]  # every row states its fusion


def defaults_grid(tmp, lines):
    """APPEARANCE_ITERATIONS x FUSION on the real patches (NLCD 30 m) and four generated scenes."""
    from synthetic.scene import write_scene

    scenes_ = []
    for seed in (0, 1):
        for smooth in (False, True):
            sc = write_scene(os.path.join(tmp, f"grid-{seed}-{int(smooth)}"), size=1024, seed=seed, smooth_labels=smooth)
            scenes_.append((f"{'smooth' if smooth else 'detailed'} {seed}", sc))
    head = "| setting | real: acc / mIoU / worst patch vs naive | " + " | ".join(n for n, _ in scenes_) + " |"
    lines.append(head + "\n|---|---|" + "---|" * len(scenes_))
    row = ["naive"]
    acc = ConfusionAccumulator(4)
    for pid in range(8) if os.path.isdir(SHARED) else []:
        img = os.path.join(SHARED, f"wv-train-{pid}_naip.tif")
        acc.add(baseline(os.path.join(SHARED, f"wv-train-{pid}_nlcd_30m.tif"), img),
                gdal.Open(os.path.join(SHARED, f"wv-train-{pid}_truth.tif")).ReadAsArray())
    s0 = scores(acc.matrix)
    row.append(f"{100 * s0['overall_accuracy']:.2f} / {s0['mean_iou']:.3f}")
    for _, sc in scenes_:
        s = scores(confusion_matrix(baseline(sc["classes_30m"], sc["imagery"]),
                                    gdal.Open(sc["truth"]).ReadAsArray(), 4))
        row.append(f"{100 * s['overall_accuracy']:.1f} / {s['mean_iou']:.3f}")
    lines.append("| " + " | ".join(row) + " |")
    for kw in GRID:
        prm = LsrParams(**kw)
        acc = ConfusionAccumulator(4)
        worst = np.inf
        for pid in range(8) if os.path.isdir(SHARED) else []:
            img = os.path.join(SHARED, f"wv-train-{pid}_naip.tif")
            cls = os.path.join(SHARED, f"wv-train-{pid}_nlcd_30m.tif")
            t = gdal.Open(os.path.join(SHARED, f"wv-train-{pid}_truth.tif")).ReadAsArray()
            lab, _ = run(img, cls, tmp, prm)
            b = baseline(cls, img)
            acc.add(lab, t)
            m = t > 0
            worst = min(worst, 100 * ((lab[m] == t[m]).mean() - (b[m] == t[m]).mean()))
        s = scores(acc.matrix)
        row = [", ".join(f"{k}={v}" for k, v in kw.items()),
               f"{100 * s['overall_accuracy']:.2f} / {s['mean_iou']:.3f} / {worst:+.1f}"]
        for _, sc in scenes_:
            lab, _ = run(sc["imagery"], sc["classes_30m"], tmp, prm)
            s = scores(confusion_matrix(lab, gdal.Open(sc["truth"]).ReadAsArray(), 4))
            row.append(f"{100 * s['overall_accuracy']:.1f} / {s['mean_iou']:.3f}")
        lines.append("| " + " | ".join(row) + " |")
        print(lines[-1], flush=True)
    lines.append("")


MEM_CHILD = r"""
import json, os, sys, time
sys.path.insert(0, {root!r}); sys.path.append({deps!r})
from algorithms.composition.table import load_composition
from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr
from algorithms.lsr.params import LsrParams
t = time.time()
st = run_self_epitomic_lsr(LsrJob({img!r}, {cls!r}, load_composition(None), LsrOutputs({out!r}),
                                  tile_size=512, params=LsrParams(samples={samples}), device="cpu"))
# VmHWM (peak RSS of this process image). Not getrusage's ru_maxrss: on Linux that keeps the parent's
# high-water mark across fork/exec, which made both rows report the benchmark parent's peak.
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
print(json.dumps(dict(seconds=time.time() - t, maxrss_mb=hwm / 1024)))
"""


def mosaic(src, reps, path):
    """A VRT that repeats src reps x reps times (a large raster without using disk)."""
    ds = gdal.Open(src)
    w, h = ds.RasterXSize, ds.RasterYSize
    gt = ds.GetGeoTransform()
    drv = gdal.GetDriverByName("VRT")
    vrt = drv.Create(path, w * reps, h * reps, 0)
    vrt.SetGeoTransform(gt)
    vrt.SetProjection(ds.GetProjection())
    for b in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(b)
        vrt.AddBand(band.DataType)
        vb = vrt.GetRasterBand(b)
        if band.GetNoDataValue() is not None:
            vb.SetNoDataValue(band.GetNoDataValue())
        xml = []
        for i in range(reps):
            for j in range(reps):
                xml.append(f"<SimpleSource><SourceFilename relativeToVRT='0'>{src}</SourceFilename>"
                           f"<SourceBand>{b}</SourceBand><SrcRect xOff='0' yOff='0' xSize='{w}' ySize='{h}'/>"
                           f"<DstRect xOff='{j * w}' yOff='{i * h}' xSize='{w}' ySize='{h}'/></SimpleSource>")
        vb.SetMetadata({f"source_{k}": x for k, x in enumerate(xml)}, "new_vrt_sources")
    vrt = None
    return path


def memory(tmp, lines, big_reps=4, samples=0.01):
    from synthetic.scene import write_scene

    sc = write_scene(os.path.join(tmp, "mem"), size=2048, seed=4)
    res = {}
    lines.append("| raster | pixels | seconds | peak RSS (MiB) |\n|---|---|---|---|")
    for reps, label in ((1, "2048 x 2048"), (big_reps, f"{2048 * big_reps} x {2048 * big_reps}")):
        if reps == 1:
            img, cls = sc["imagery"], sc["classes_1m"]
        else:
            img = mosaic(sc["imagery"], reps, os.path.join(tmp, "big_img.vrt"))
            cls = mosaic(sc["classes_1m"], reps, os.path.join(tmp, "big_cls.vrt"))
        code = MEM_CHILD.format(root=ROOT, deps=DEPS, img=img, cls=cls, out=os.path.join(tmp, f"mem{reps}.tif"),
                                samples=samples)
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)  # fresh process image
        if p.returncode != 0:
            lines.append(f"| {label} | failed: {p.stderr[-300:]} | | |")
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        lines.append(f"| {label}, 4 bands uint8 | {(2048 * reps) ** 2 / 1e6:.1f} M | {r['seconds']:.0f} | "
                     f"{r['maxrss_mb']:.0f} |")
        res[reps] = r
    lines.append(f"\n(SAMPLES={samples} to keep the large run short; memory does not depend on SAMPLES beyond one "
                 "block of logits. The large raster is a VRT mosaic of the small scene, read by windows.)\n")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    ap.add_argument("--quick", action="store_true", help="skip the speed sweep and the memory run")
    ap.add_argument("--grid", action="store_true", help="also run the APPEARANCE_ITERATIONS x FUSION grid (slow)")
    a = ap.parse_args()
    import torch

    lines = ["# Benchmarks\n",
             f"Measured {datetime.date.today().isoformat()} on {platform.node()}: {os.cpu_count()} CPU cores, "
             f"{platform.processor() or platform.machine()}, torch {torch.__version__} "
             f"({torch.get_num_threads()} threads), GDAL {gdal.__version__}, numpy {np.__version__}. "
             "Produced by `make bench` (scripts/bench.py); every number in a table comes from the same run.\n",
             f"Defaults: {LsrParams()}\n"]
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        lines.append("## 1. Real patches (Chesapeake, West Virginia; 8 x 256 x 256 px at 1 m)\n")
        shared_patches(tmp, LsrParams(), lines, figure_path=os.path.join(ROOT, "docs", "real_patch.png"))
        lines.append("## 2. Generated scenes (1024 x 1024 px, 30 m classes in EPSG:5070), FUSION modes\n")
        scenes(tmp, lines)
        if not a.quick:
            lines.append("## 3. Speed and accuracy against TILE_SIZE and SAMPLES (CPU)\n")
            speed(tmp, lines)
            lines.append("## 4. Peak memory: large raster against small\n")
            memory(tmp, lines)
    if a.grid:
        with tempfile.TemporaryDirectory() as tmp:
            lines.append("## 5. Choosing the defaults: APPEARANCE_ITERATIONS x FUSION (TILE_SIZE 512)\n")
            defaults_grid(tmp, lines)
    lines.append(f"Total benchmark time {time.time() - t0:.0f} s.\n")
    text = "\n".join(lines)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as fh:
        fh.write(text)
    print(text)


if __name__ == "__main__":
    main()
