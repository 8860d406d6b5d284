#!/usr/bin/env python3
"""make bench-epitome: trained epitomes on the shared NAIP patches, the paper's protocol scaled down;
writes docs/BENCHMARKS_EPITOME.md (and docs/epitome_label_embedding.png).

Sections (each can run alone, --sections; results are kept in bench-output/epitome/*.json and the
page is rebuilt from every section present, each with its own date):
  train      SIZE 128, STEPS 400, other TrainParams defaults, on the training patches; held-out
             log-likelihood every 100 steps against exemplar epitomes (random crops, variance 0.01);
             400 more steps through INIT (Adam moments and counters carried)
  promotion  the PROMOTION dial c in {0, 0.1, 0.5, 0.9}: held-out usage, perplexity, likelihood
  labels     high-resolution labels of the training patches embedded (epitome:embedlabels), held-out
             patches predicted (epitome:predict; exact and top-k), per patch and pooled
  lsr        all-tile epitomic LSR with NLCD 30 m (epitome:epitomiclsr) and self-epitomic LSR
  speed      epitome:predict's CPU speed (km^2 / min) against epitome size and count
Every accuracy is next to the naive baseline (argmax p(label | class) of each pixel's 30 m class) and
the smooth one (each 30 m block's p(label | class) interpolated bilinearly onto the 1 m grid, argmax).
Run with QGIS's interpreter: EPITOME_DEPS=<deps folder> /usr/bin/python3 scripts/bench_epitome.py
"""

from _bootstrap import DEPS, ROOT, machine  # first: the checkout and PyTorch on sys.path

import argparse
import datetime
import glob
import json
import math
import os
import platform
import sys
import time

import numpy as np  # noqa: E402
import torch  # noqa: E402
from osgeo import gdal  # noqa: E402

from algorithms.composition.table import load_composition  # noqa: E402
from algorithms.epitome.apply import ApplyParams  # noqa: E402
from algorithms.epitome.embed_job import EmbedLabelsJob, run_embed_labels  # noqa: E402
from algorithms.epitome.likelihood import patch_log_likelihood  # noqa: E402
from algorithms.epitome.model_file import EpitomeModel, load_model  # noqa: E402
from algorithms.epitome.model_outputs import embedding_rgb, preview_rgb  # noqa: E402
from algorithms.epitome.predict_job import PredictJob, run_predict  # noqa: E402
from algorithms.epitome.train_job import TrainJob, run_training  # noqa: E402
from algorithms.epitome.training import TrainParams  # noqa: E402
from algorithms.evaluate.metrics import confusion_matrix, scores  # noqa: E402
from algorithms.io.align import CLASS_NODATA, align_classes  # noqa: E402
from algorithms.io.label_rasters import LabelPaths  # noqa: E402
from algorithms.io.raster import compute_scaling, grid_of, open_raster, read_imagery  # noqa: E402
from algorithms.lsr.epitomic_job import EpitomicLsrJob, run_epitomic_lsr  # noqa: E402
from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr  # noqa: E402
from algorithms.lsr.params import LsrParams  # noqa: E402

gdal.UseExceptions()
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data", "chesapeake-wv")
TRAIN, TEST = (0, 1, 2), (3, 4, 5, 6, 7)
LABELS = ["water", "forest", "field", "built"]
OUT = os.path.join(ROOT, "bench-output", "epitome")


def f(i, kind):
    return os.path.join(SHARED, f"wv-train-{i}_{kind}.tif")


# ------------------------------------------------------------------------------------------------
# Baselines and scores
# ------------------------------------------------------------------------------------------------

COMP = load_composition(None)


def truth(i):
    return gdal.Open(f(i, "truth")).ReadAsArray()


def aligned_classes(i):
    img = open_raster(f(i, "naip"), "IMAGERY")
    vrt = align_classes(open_raster(f(i, "nlcd_30m"), "CLASSES"), grid_of(img), [])
    return vrt.GetRasterBand(1).ReadAsArray()


def naive(i):
    """argmax p(label | class) of each pixel's 30 m class (aligned by nearest neighbour)."""
    return COMP.baseline_labels(COMP.class_index(aligned_classes(i), nodata_codes=[0, 255, CLASS_NODATA],
                                                 unknown_as_nodata=True))


def smooth(i):
    """Each 30 m block's p(label | class) interpolated bilinearly (between block centres) onto the 1 m grid."""
    cls = gdal.Open(f(i, "nlcd_30m"))
    codes = cls.GetRasterBand(1).ReadAsArray()
    idx = COMP.class_index(codes, nodata_codes=[0, 255], unknown_as_nodata=True)
    comp = np.where(idx[None] >= 0, COMP.matrix[idx.clip(0)].transpose(2, 0, 1), np.nan).astype(np.float32)
    mem = gdal.GetDriverByName("MEM").Create("", cls.RasterXSize, cls.RasterYSize, comp.shape[0], gdal.GDT_Float32)
    mem.SetGeoTransform(cls.GetGeoTransform())
    mem.SetProjection(cls.GetProjection())
    for b in range(comp.shape[0]):
        mem.GetRasterBand(b + 1).WriteArray(comp[b])
        mem.GetRasterBand(b + 1).SetNoDataValue(float("nan"))
    g = grid_of(open_raster(f(i, "naip"), "IMAGERY"))
    out = gdal.Warp("", mem, options=gdal.WarpOptions(format="MEM", outputBounds=g.bounds, width=g.width,
                                                       height=g.height, dstSRS=g.wkt, resampleAlg="bilinear"))
    probs = np.nan_to_num(out.ReadAsArray(), nan=-1.0)
    return np.where(probs.max(0) >= 0, probs.argmax(0) + 1, 0).astype(np.uint8)


def score(pred, i):
    """(correct, counted, confusion matrix) of a label map against patch i's truth (truth 0 ignored)."""
    t = truth(i)
    return confusion_matrix(pred, t, len(LABELS))


def summary(cms):
    """Per patch accuracy and pooled accuracy / mIoU from {patch: confusion matrix}."""
    pooled = sum(cms.values())
    s = scores(pooled)
    return dict(per_patch={str(i): float(scores(c)["overall_accuracy"]) for i, c in cms.items()},
                pooled=float(s["overall_accuracy"]), miou=float(s["mean_iou"]))


def baselines(ids):
    return dict(naive=summary({i: score(naive(i), i) for i in ids}),
                smooth=summary({i: score(smooth(i), i) for i in ids}),
                all_forest=summary({i: score(np.full_like(truth(i), 2), i) for i in ids}))


# ------------------------------------------------------------------------------------------------
# Held-out likelihood
# ------------------------------------------------------------------------------------------------

def read_full(i):
    ds = open_raster(f(i, "naip"), "IMAGERY")
    bands = list(range(1, ds.RasterCount + 1))
    return read_imagery(ds, bands, compute_scaling(ds, bands), 0, 0, ds.RasterXSize, ds.RasterYSize)[0]


def heldout_patches(ids, k, n, seed=123):
    rng = np.random.default_rng(seed)
    out, per = [], int(math.ceil(n / len(ids)))
    for i in ids:
        img = read_full(i)
        H, W = img.shape[1:]
        ys, xs = rng.integers(0, H - k + 1, per), rng.integers(0, W - k + 1, per)
        out += [img[:, y:y + k, x:x + k] for y, x in zip(ys, xs)]
    return torch.from_numpy(np.stack(out[:n]))


def heldout_metrics(mu, var, lp, X, chunk=256):
    """Temperature 1: mean and worst-quarter log-likelihood per value, the share of windows that are some
    patch's best window (usage) and the perplexity of the best windows over the window count."""
    mu, var, lp = (torch.as_tensor(np.asarray(a, np.float32)) for a in (mu, var, lp))
    E, C, N, _ = mu.shape
    B, _, k, _ = X.shape
    lls, best = [], []
    with torch.no_grad():
        for a in range(0, B, chunk):
            ll = torch.stack([patch_log_likelihood(X[a:a + chunk], mu[e], var[e], "fft") for e in range(E)], 1)
            z = (ll + lp[None]).reshape(ll.shape[0], -1)
            lls.append(torch.logsumexp(z, 1) / (C * k * k))
            best.append(z.argmax(1))
    ll, b = torch.cat(lls), torch.cat(best)
    p = torch.bincount(b, minlength=E * N * N).double() / B
    ent = float(-(p[p > 0] * p[p > 0].log()).sum())
    return dict(ll=float(ll.mean()), worst=float(torch.sort(ll).values[: B // 4].mean()),
                usage=float((p > 0).double().mean()), perplexity=math.exp(ent) / (E * N * N))


def exemplar(ids, n, crop, seed=0, var=0.01):
    """An untrained epitome: n x n tiled with random crop x crop crops of the imagery, variance var."""
    rng = np.random.default_rng(seed)
    imgs = [read_full(i) for i in ids]
    per = n // crop
    mu = np.zeros((1, imgs[0].shape[0], n, n), np.float32)
    for a in range(per):
        for b in range(per):
            img = imgs[rng.integers(len(imgs))]
            y, x = rng.integers(0, img.shape[1] - crop + 1), rng.integers(0, img.shape[2] - crop + 1)
            mu[0, :, a * crop:(a + 1) * crop, b * crop:(b + 1) * crop] = img[:, y:y + crop, x:x + crop]
    return mu, np.full_like(mu, var), np.full((1, n, n), -math.log(n * n), np.float32)


# ------------------------------------------------------------------------------------------------
# Sections
# ------------------------------------------------------------------------------------------------

def train_model(path, params, init=None, every=100, X=None):
    """Train (run_training, as epitome:trainepitome does) with held-out metrics every `every` steps."""
    curve = []

    def inspect(step, m):
        if X is not None and step % every == 0:
            with torch.no_grad():
                curve.append(dict(step=step, **heldout_metrics(m.mu, m.var(), m.log_prior(), X)))

    job = TrainJob([f(i, "naip") for i in TRAIN], path, params, init=init, device="cpu", inspect=inspect,
                   monitor_every=every)
    return run_training(job), curve


def section_train(res):
    X11, X31 = heldout_patches(TEST, 11, 2048), heldout_patches(TEST, 31, 512)
    p = TrainParams(size=128, steps=400)
    model = os.path.join(OUT, "d128.epitome")
    stats, curve = train_model(model, p, X=X11)
    m = load_model(model)
    more = os.path.join(OUT, "d128_more.epitome")
    stats2, curve2 = train_model(more, TrainParams(size=128, steps=400), init=model, X=X11)
    m2 = load_model(more)
    ex = {}
    for name, (crop, var) in {"64 crops 16 x 16, variance 0.01 (the issue's)": (16, 0.01),
                              "16 crops 32 x 32, variance 0.01": (32, 0.01),
                              "16 crops 32 x 32, variance 0.02": (32, 0.02)}.items():
        e = exemplar(TRAIN, 128, crop, var=var)
        ex[name] = dict(k11=heldout_metrics(*e, X11), k31=heldout_metrics(*e, X31))
    res["train"] = dict(seconds=stats["seconds"], seconds_more=stats2["seconds"], curve=curve,
                        curve_more=[dict(c, step=c["step"] + 400) for c in curve2],
                        final=dict(k11=heldout_metrics(m.mu, m.var, m.log_prior, X11),
                                   k31=heldout_metrics(m.mu, m.var, m.log_prior, X31)),
                        final_more=dict(k11=heldout_metrics(m2.mu, m2.var, m2.log_prior, X11),
                                        k31=heldout_metrics(m2.mu, m2.var, m2.log_prior, X31)),
                        optimizer_steps=[m.optimizer_steps, m2.optimizer_steps], exemplars=ex)


PROMOTION_VALUES = ("data:0.0", "data:0.1", "data:0.5", "data:0.9", "flat:0.0", "flat:0.5")


def promotion_key(key: str):
    """'data:0.5' -> ('data', 0.5); a bare '0.5' (an earlier run) is the data start."""
    start, _, c = key.rpartition(":")
    return (start or "data", float(c))


def section_promotion(res, values=PROMOTION_VALUES):
    """PROMOTION c with the data-driven start (the default; c = 0.5 is the train section's model) and with the
    earlier flat start. values: a subset, so the section can run in parts (earlier results are kept)."""
    U = heldout_patches(TEST, 11, 8192, seed=7)
    out = {"%s:%s" % promotion_key(k): v for k, v in res.get("promotion", {}).items() if k != "date"}
    for key in values:
        start, c = promotion_key(key)
        default = start == "data" and c == 0.5
        path = os.path.join(OUT, "d128.epitome" if default else f"promotion_{start}_{c}.epitome")
        seconds = res["train"]["seconds"] if default else train_model(path, TrainParams(
            size=128, steps=400, promotion=c, start=start))[0]["seconds"]
        m = load_model(path)
        out[f"{start}:{c}"] = dict(seconds=seconds, resets=m.resets, train_usage=float((m.usage > 0).mean()),
                                   **heldout_metrics(m.mu, m.var, m.log_prior, U))
        print(f"  promotion {start} {c}: {out[f'{start}:{c}']}", flush=True)
    res["promotion"] = dict(sorted(out.items(), key=lambda kv: promotion_key(kv[0])))


def predict_patches(model, ids, params, tag):
    cms, secs = {}, 0.0
    for i in ids:
        o = os.path.join(OUT, f"{tag}_{i}.tif")
        job = PredictJob(model, f(i, "naip"), LabelPaths(o), params=params, device="cpu")
        run_predict(job)
        secs += job.stats["seconds"]
        cms[i] = score(gdal.Open(o).ReadAsArray(), i)
    return dict(summary(cms), seconds=secs)


def section_labels(res):
    model = os.path.join(OUT, "d128.epitome")
    embedded = os.path.join(OUT, "d128_labels.epitome")
    job = EmbedLabelsJob(model, [f(i, "naip") for i in TRAIN], [f(i, "truth") for i in TRAIN], embedded,
                         label_names=LABELS, device="cpu")
    run_embed_labels(job)
    out = dict(embed_seconds=job.stats["seconds"], baselines=baselines(TEST), predict={})
    for name, kw in (("exact", {}), ("top 64 windows", dict(top_k=64)), ("top 8 windows", dict(top_k=8)),
                     ("exact, temperature 1", dict(temperature=1.0))):
        out["predict"][name] = predict_patches(embedded, TEST, ApplyParams(**kw), "labels")
        print(f"  labels {name}: {out['predict'][name]}", flush=True)
    out["train_patches"] = predict_patches(embedded, TRAIN, ApplyParams(), "labels_train")
    res["labels"] = out


def self_lsr(ids):
    cms = {}
    for i in ids:
        o = os.path.join(OUT, f"self_{i}.tif")
        run_self_epitomic_lsr(LsrJob(f(i, "naip"), f(i, "nlcd_30m"), COMP, LsrOutputs(o), params=LsrParams(),
                                     device="cpu"))
        cms[i] = score(gdal.Open(o).ReadAsArray(), i)
    return summary(cms)


def section_lsr(res):
    model = os.path.join(OUT, "d128.epitome")
    out = {}
    for name, ids in (("held-out patches 3-7", TEST), ("all 8 patches", tuple(range(8)))):
        lsr = os.path.join(OUT, "d128_lsr.epitome")
        job = EpitomicLsrJob(model, [f(i, "naip") for i in ids], [f(i, "nlcd_30m") for i in ids], COMP, lsr,
                             device="cpu")
        t0 = time.time()
        run_epitomic_lsr(job)
        pred = predict_patches(lsr, ids, ApplyParams(), "lsr")
        out[name] = dict(epitomic=dict(pred, seconds=time.time() - t0), self=self_lsr(ids), **baselines(ids))
        print(f"  lsr {name}: {out[name]['epitomic']}", flush=True)
    res["lsr"] = out


def speed_model(n, count, labels=4, seed=0):
    rng = np.random.default_rng(seed)
    mu = np.concatenate([exemplar(TRAIN, n, 32 if n >= 32 else n, seed=seed + e)[0] for e in range(count)])
    probs = rng.random((count, labels, n, n)).astype(np.float32)
    from algorithms.epitome.model_file import LabelEmbedding

    return EpitomeModel(mu=mu, var=np.full_like(mu, 0.01), log_prior=np.full((count, n, n), -math.log(count * n * n),
                                                                               np.float32),
                        bands=[1, 2, 3, 4], scaling_offset=[0.0] * 4, scaling_scale=[255.0] * 4,
                        scaling_method="uint8 / 255", patch_min=11, patch_max=31,
                        labels=LabelEmbedding(probs / probs.sum(1, keepdims=True), np.ones((count, n, n), np.float32),
                                              LABELS, [(0, 0, 255)] * 4))


def section_speed(res):
    out = []
    for n, count in ((64, 1), (128, 1), (256, 1), (512, 1), (128, 2), (128, 4)):
        path = os.path.join(OUT, f"speed_{n}_{count}.epitome")
        speed_model(n, count).save(path)
        for top_k in (0, 64):
            job = PredictJob(path, f(3, "naip"), LabelPaths(os.path.join(OUT, "speed.tif")),
                             params=ApplyParams(top_k=top_k), device="cpu")
            run_predict(job)
            out.append(dict(size=n, count=count, top_k=top_k, seconds=job.stats["seconds"],
                            km2_per_minute=job.stats["km2_per_minute"]))
            print(f"  speed {out[-1]}", flush=True)
    res["speed"] = dict(rows=out, area_km2=256 * 256 / 1e6)


def tiled_naip(path, side):
    """A side x side raster made of the 8 NAIP patches repeated (EPSG:26917, 1 m), tiled GeoTIFF."""
    src = gdal.Open(f(0, "naip"))
    tiles = [gdal.Open(f(i, "naip")).ReadAsArray() for i in range(8)]
    ds = gdal.GetDriverByName("GTiff").Create(path, side, side, 4, gdal.GDT_Byte, options=["TILED=YES"])
    ds.SetGeoTransform((500000.0, 1.0, 0.0, 4300000.0, 0.0, -1.0))
    ds.SetProjection(src.GetProjection())
    for ty in range(0, side, 256):
        for tx in range(0, side, 256):
            a = tiles[(ty // 256 * 3 + tx // 256) % 8][:, :min(256, side - ty), :min(256, side - tx)]
            for b in range(4):
                ds.GetRasterBand(b + 1).WriteArray(a[b], tx, ty)
    ds = None
    return path


def section_memory(res):
    """Peak memory of epitome:predict (a child process) on a 1024^2 and a 4096^2 raster: read by strips."""
    import resource
    import subprocess

    model = os.path.join(OUT, "d128_labels.epitome")
    out = []
    for side in (1024, 4096):
        img = tiled_naip(os.path.join(OUT, f"tiled_{side}.tif"), side)
        code = ("import sys, time; sys.path.insert(0, %r); sys.path.append(%r)\n"
                "from algorithms.epitome.predict_job import PredictJob, run_predict\n"
                "job = PredictJob(%r, %r, LabelPaths(%r), device='cpu'); run_predict(job)\n"
                "print(job.stats['seconds'])") % (ROOT, DEPS, model, img, os.path.join(OUT, "tiled_labels.tif"))
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out.append(dict(side=side, seconds=float(p.stdout.strip().splitlines()[-1]), peak_mib=peak / 1024,
                        grew=peak > before))
        print(f"  memory {out[-1]}", flush=True)
    res["memory"] = dict(rows=out)


def qgis_process_runner():
    """run(alg_id, **params) -> results of /usr/bin/qgis_process.bin with this tree as the plugin (as the tests)."""
    import subprocess
    import tempfile

    base = tempfile.mkdtemp(prefix="epitome-bench-qp-")
    os.makedirs(os.path.join(base, "plugins"))
    os.makedirs(os.path.join(base, "home"))
    os.symlink(ROOT, os.path.join(base, "plugins", "epitome"))
    env = dict(os.environ, QGIS_PLUGINPATH=os.path.join(base, "plugins"), HOME=os.path.join(base, "home"),
               QT_QPA_PLATFORM="offscreen", EPITOME_DEPS=DEPS, XDG_RUNTIME_DIR=base)
    for k in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(k, None)

    def qp(*args):
        return subprocess.run(["/usr/bin/qgis_process.bin", *args], env=env, capture_output=True, text=True,
                              cwd=base)

    qp("plugins", "enable", "epitome")

    def run(alg_id, *args):
        p = qp("run", alg_id, "--json", "--", *args)
        if p.returncode != 0:
            raise RuntimeError(p.stdout[-2000:] + p.stderr[-2000:])
        return json.loads(p.stdout[p.stdout.index("{"):])["results"]

    return run


def section_qgis_process(res):
    """The issue's check: through qgis_process, SIZE 128 and STEPS 400 (other parameters at their defaults)."""
    run = qgis_process_runner()
    model, labels = os.path.join(OUT, "qp.epitome"), os.path.join(OUT, "qp_labels.epitome")
    t0 = time.time()
    trained = run("epitome:trainepitome", *[f"IMAGERY={f(i, 'naip')}" for i in TRAIN], "SIZE=128", "STEPS=400",
                  f"MODEL={model}")
    t1 = time.time()
    run("epitome:embedlabels", f"MODEL={model}", *[f"IMAGERY={f(i, 'naip')}" for i in TRAIN],
        *[f"LABELS={f(i, 'truth')}" for i in TRAIN], "LABEL_NAMES=water,forest,field,built",
        f"OUTPUT_MODEL={labels}")
    cms = {}
    for i in TEST:
        out = run("epitome:predict", f"MODEL={labels}", f"IMAGERY={f(i, 'naip')}",
                  f"OUTPUT={os.path.join(OUT, f'qp_{i}.tif')}")
        cms[i] = score(gdal.Open(out["OUTPUT"]).ReadAsArray(), i)
    core = os.path.join(OUT, "d128.epitome")
    same = os.path.exists(core) and np.array_equal(load_model(core).mu, load_model(model).mu)
    res["qgis_process"] = dict(summary(cms), train_seconds=t1 - t0, chain_seconds=time.time() - t0,
                               same_model_as_core=bool(same), final_loss=float(trained["FINAL_LOSS"]))


SECTIONS = dict(train=section_train, promotion=section_promotion, labels=section_labels, lsr=section_lsr,
                speed=section_speed, qgis_process=section_qgis_process, memory=section_memory)


# ------------------------------------------------------------------------------------------------
# The page
# ------------------------------------------------------------------------------------------------

def pct(v):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}"


def accuracy_table(rows, ids):
    """rows: (name, summary dict) -> markdown lines: per patch, pooled accuracy and mIoU (%)."""
    lines = ["| method | " + " | ".join(f"patch {i}" for i in ids) + " | pooled | mIoU |",
             "|---|" + "---|" * (len(ids) + 2)]
    for name, s in rows:
        lines.append(f"| {name} | " + " | ".join(pct(s["per_patch"].get(str(i))) for i in ids)
                     + f" | **{pct(s['pooled'])}** | {pct(s['miou'])} |")
    return lines


def render_train(r):
    t = r["train"]
    lines = [f"_Run {t['date']}._ TrainParams defaults except SIZE 128 and STEPS 400 (COUNT 1, BATCH 256, PATCH 11..31, "
             "promotion 0.5, diversify 0.25, learning rate 0.01, backend fft), trained on the NAIP of patches "
             f"{', '.join(map(str, TRAIN))} in {t['seconds']:.0f} s; then 400 more steps through INIT "
             f"({t['seconds_more']:.0f} s; Adam's step count went on from {t['optimizer_steps'][0]} to "
             f"{t['optimizer_steps'][1]}). Held-out: 2048 random 11 x 11 and 512 random 31 x 31 patches of patches "
             f"{', '.join(map(str, TEST))}, log-likelihood per value at temperature 1 (nats, higher is better), mean "
             "and worst quarter.\n",
             "| epitome | K = 11 mean | K = 11 worst quarter | K = 31 mean | K = 31 worst quarter |",
             "|---|---|---|---|---|"]
    for name, e in t["exemplars"].items():
        lines.append(f"| exemplar: {name} | {e['k11']['ll']:.3f} | {e['k11']['worst']:.3f} | {e['k31']['ll']:.3f} | "
                     f"{e['k31']['worst']:.3f} |")
    for name, e in (("trained, 400 steps", t["final"]), ("trained, 400 + 400 steps (INIT)", t["final_more"])):
        lines.append(f"| **{name}** | **{e['k11']['ll']:.3f}** | {e['k11']['worst']:.3f} | **{e['k31']['ll']:.3f}** | "
                     f"{e['k31']['worst']:.3f} |")
    lines += ["", "Held-out K = 11 log-likelihood during training (the first 400 steps, then the INIT run):", "",
              "| step | " + " | ".join(str(c["step"]) for c in t["curve"] + t["curve_more"]) + " |",
              "|---|" + "---|" * len(t["curve"] + t["curve_more"]),
              "| mean | " + " | ".join(f"{c['ll']:.3f}" for c in t["curve"] + t["curve_more"]) + " |", ""]
    return lines


def render_promotion(r):
    p = r["promotion"]
    lines = [f"_Run {p['date']}._ As above (SIZE 128, STEPS 400, defaults) with PROMOTION c = 0, 0.1, 0.5, 0.9, "
             "from the data-driven start (the default) and from the earlier flat start (mean colour plus noise; "
             "TrainParams.start = 'flat', not a Processing parameter). Held-out: 8192 random 11 x 11 patches of the "
             "held-out patches. **usage** = share of the 128^2 windows that are the most likely window of at least "
             "one held-out patch (at most 50% with 8192 patches); **perplexity** = exp(entropy of the best-window "
             "histogram) / windows (how evenly the windows are used); training usage = share of epitome pixels "
             "covered by some training patch's best window. x c = 0: against c = 0 from the same start.\n",
             "| start | PROMOTION c | usage | x c = 0 | perplexity | x c = 0 | LL mean | LL worst quarter | "
             "training usage | resets |", "|---|---|---|---|---|---|---|---|---|---|"]
    for key, v in p.items():
        if key == "date":
            continue
        start, c = promotion_key(key)
        base = p.get(f"{start}:0.0")
        ratio = (lambda k: f"{v[k] / base[k]:.2f}") if base else (lambda k: "-")
        lines.append(f"| {start} | {c:g} | {v['usage']:.3f} | {ratio('usage')} | {v['perplexity']:.3f} | "
                     f"{ratio('perplexity')} | {v['ll']:.3f} | {v['worst']:.3f} | {v['train_usage']:.3f} | "
                     f"{v['resets']} |")
    return lines + [""]


def render_labels(r):
    lab = r["labels"]
    b = lab["baselines"]
    rows = [("naive: argmax p(label \\| class)", b["naive"]), ("smooth: bilinear p(label \\| class)", b["smooth"]),
            ("all forest", b["all_forest"])]
    rows += [(f"**epitome, labels of patches {', '.join(map(str, TRAIN))}: {n}**", s) for n, s in lab["predict"].items()]
    lines = [f"_Run {lab['date']}._ The high-resolution labels (Chesapeake 4-class truth) of patches "
             f"{', '.join(map(str, TRAIN))} embedded into the SIZE 128 epitome above (epitome:embedlabels, defaults: "
             f"31 x 31 patches, 11 x 11 centres, every labelled pixel once; {lab['embed_seconds']:.0f} s), then "
             f"epitome:predict on the held-out patches {', '.join(map(str, TEST))} (accuracy %, truth 0 ignored):\n"]
    lines += accuracy_table(rows, TEST)
    secs = {n: s["seconds"] for n, s in lab["predict"].items()}
    lines += ["", "Prediction time for the five patches (5 x 256^2 px): " +
              ", ".join(f"{n} {s:.1f} s" for n, s in secs.items()) +
              f". The same model on its own training patches: {pct(lab['train_patches']['pooled'])}% pooled.", ""]
    return lines


def render_lsr(r):
    lines = [f"_Run {r['lsr']['date']}._ epitome:epitomiclsr with the NLCD 30 m classes (EPSG:5070) of the patches "
             "themselves and the built-in NLCD table, on the SIZE 128 epitome above (no high-resolution labels), then "
             "epitome:predict on the same patches; self-epitomic LSR (epitome:selfepitomiclsr, defaults) and the "
             "baselines in the same run (accuracy %):\n"]
    for name, v in r["lsr"].items():
        if name == "date":
            continue
        ids = sorted(int(i) for i in v["naive"]["per_patch"])
        lines += [f"**{name}** (epitomic LSR: {v['epitomic']['seconds']:.0f} s including the prediction)\n"]
        lines += accuracy_table([("naive", v["naive"]), ("smooth", v["smooth"]), ("all forest", v["all_forest"]),
                                 ("**all-tile epitomic LSR**", v["epitomic"]), ("self-epitomic LSR", v["self"])], ids)
        lines.append("")
    return lines


def render_speed(r):
    s = r["speed"]
    lines = [f"_Run {s['date']}._ epitome:predict on one 256 x 256 NAIP patch ({s['area_km2']:.4f} km^2 at 1 m), CPU, "
             "31 x 31 patches with 11 x 11 centres (one patch per 121 px), 4 labels, untrained epitomes of the sizes "
             "shown, OUTPUT only (NOVELTY adds one pass over the likelihoods). Time grows with the window count "
             "E N^2: per batch of 256 patches at N = 256 the likelihood by FFT takes about 0.45 s, the exact "
             "Eq. 2 (softmax and product with the shifted label columns) 0.2 s, the top-64 version 0.1 s - the "
             "likelihood, which top-k still needs for every window, bounds what the approximation saves.\n",
             "| epitome size N | count E | windows E N^2 | posterior | s | km^2 / min |", "|---|---|---|---|---|---|"]
    for row in s["rows"]:
        lines.append(f"| {row['size']} | {row['count']} | {row['count'] * row['size'] ** 2:,} | "
                     f"{'top ' + str(row['top_k']) if row['top_k'] else 'exact'} | {row['seconds']:.2f} | "
                     f"{row['km2_per_minute']:.3f} |")
    return lines + [""]


def render_memory(r):
    m = r["memory"]
    lines = [f"_Run {m['date']}._ epitome:predict (the SIZE 128 label model of section 3, defaults) in a child "
             "process on rasters made of the NAIP patches repeated; peak resident memory of the process "
             "(ru_maxrss; the larger raster's peak is only measured when it exceeds the smaller one's).\n",
             "| raster | megapixels | s | km^2 / min | peak memory MiB |", "|---|---|---|---|---|"]
    for row in m["rows"]:
        mp = row["side"] ** 2 / 1e6
        lines.append(f"| {row['side']} x {row['side']} | {mp:.1f} | {row['seconds']:.0f} | "
                     f"{mp / row['seconds'] * 60:.2f} | {row['peak_mib']:.0f}{'' if row['grew'] else ' (at most)'} |")
    return lines + [""]


def render_qgis_process(r):
    q = r["qgis_process"]
    return ([f"_Run {q['date']}._ `qgis_process.bin run epitome:trainepitome` on the NAIP of patches "
            f"{', '.join(map(str, TRAIN))} with SIZE=128 STEPS=400 and every other parameter at its default "
            f"({q['train_seconds']:.0f} s), `epitome:embedlabels` with their 4-class labels, `epitome:predict` on "
            f"patches {', '.join(map(str, TEST))} (the whole chain {q['chain_seconds']:.0f} s). "
            + ("The trained model is identical to the one of section 1 (same seed, CPU).\n" if q["same_model_as_core"]
               else "The trained model is not bit-identical to the one of section 1 (same seed): the first steps agree "
                    "to 5-6 digits, then float rounding, which differs between QGIS's process and a plain Python "
                    "process, grows over 400 steps (the same command run twice gives identical models).\n")]
            + accuracy_table([("**qgis_process chain**", q)], TEST) + [""])


def summary_lines(res):
    """The issue's targets against the measured numbers."""
    out = ["## Summary against the issue's targets\n"]
    lab, lsr, t, p = res.get("labels"), res.get("lsr"), res.get("train"), res.get("promotion")
    if lab:
        acc = lab["predict"]["exact"]["pooled"]
        out.append(f"- **High-resolution labels embedded and predicted >= 80%** on held-out NAIP: {pct(acc)}% pooled "
                   f"({'met' if acc >= 0.8 else 'missed'}; all forest {pct(lab['baselines']['all_forest']['pooled'])}%, "
                   f"naive {pct(lab['baselines']['naive']['pooled'])}%, smooth {pct(lab['baselines']['smooth']['pooled'])}%)"
                   + (f"; through qgis_process {pct(res['qgis_process']['pooled'])}%." if "qgis_process" in res else "."))
    if lsr:
        v = lsr["held-out patches 3-7"]
        d = v["epitomic"]["pooled"] - v["naive"]["pooled"]
        w = lsr["all 8 patches"]
        out.append(f"- **All-tile epitomic LSR >= naive + 1 point**: held-out patches {pct(v['epitomic']['pooled'])}% "
                   f"against naive {pct(v['naive']['pooled'])}% ({100 * d:+.1f} points, {'met' if d >= 0.01 else 'missed'}); "
                   f"all 8 patches {pct(w['epitomic']['pooled'])}% against {pct(w['naive']['pooled'])}% "
                   f"({100 * (w['epitomic']['pooled'] - w['naive']['pooled']):+.1f}). It loses up to "
                   f"{100 * max(w['naive']['per_patch'][k] - w['epitomic']['per_patch'][k] for k in w['naive']['per_patch']):.1f} "
                   "points on single-class (all-forest) patches.")
    if t:
        best = max(e["k11"]["ll"] for e in t["exemplars"].values())
        best31 = max(e["k31"]["ll"] for e in t["exemplars"].values())
        met = t["final"]["k11"]["ll"] > best and t["final"]["k31"]["ll"] > best31
        out.append(f"- **Trained beats exemplar on held-out likelihood**: {'met' if met else 'missed'}: "
                   f"{t['final']['k11']['ll']:.3f} against at most {best:.3f} nats/value at K = 11, "
                   f"{t['final']['k31']['ll']:.3f} against {best31:.3f} at K = 31 (400 steps; "
                   f"{t['final_more']['k31']['ll']:.3f} at K = 31 after 400 more through INIT).")
    if p and "data:0.0" in p:
        base = p["data:0.0"]
        ratios = {k: v["usage"] / base["usage"] for k, v in p.items() if k.startswith("data:") and k != "data:0.0"}
        flat = p.get("flat:0.0")
        met = max(ratios.values(), default=0) >= 1.5
        out.append(f"- **Promotion raises usage >= 1.5x**: {'met' if met else 'missed'}: with the data-driven start, "
                   "usage moves "
                   + ", ".join(f"x{v:.2f} (c = {promotion_key(k)[1]:g})" for k, v in ratios.items())
                   + (f"; from the flat start x{p['flat:0.5']['usage'] / flat['usage']:.2f} at c = 0.5"
                      if flat and "flat:0.5" in p else "")
                   + (f". The data-driven start itself raises usage x{base['usage'] / flat['usage']:.2f} over the flat "
                      "start (without promotion)." if flat else "."))
    return out + [""]


def render(res):
    head = ["# Trained epitomes: label embedding, epitomic LSR, prediction\n",
            "Generated by `scripts/bench_epitome.py` (`make bench-epitome`); each section says when it ran (sections "
            "run separately, `--sections`, each alone on the machine's CPUs as far as the shared machine allowed).\n",
            f"- machine: {machine()}",
            f"- torch {torch.__version__}, {torch.get_num_threads()} threads, fp32, CPU only (no GPU was lent to this "
            f"task); GDAL {gdal.__version__}; Python {platform.python_version()}",
            f"- data: {SHARED} (8 NAIP 1 m patches of 256 x 256 px with NLCD 30 m and 4-class truth, read in place); "
            f"training and label patches {', '.join(map(str, TRAIN))}, held-out patches {', '.join(map(str, TEST))}", ""]
    body = []
    for key, title, fn in (("qgis_process", "0. The issue's check through qgis_process", render_qgis_process),
                           ("train", "1. Training: trained epitome against exemplar epitomes", render_train),
                           ("promotion", "2. The PROMOTION dial", render_promotion),
                           ("labels", "3. High-resolution labels embedded and predicted (held-out patches)",
                            render_labels),
                           ("lsr", "4. All-tile epitomic LSR with NLCD", render_lsr),
                           ("speed", "5. Prediction speed on the CPU", render_speed),
                           ("memory", "6. Prediction memory on larger rasters", render_memory)):
        if key in res:
            body += [f"## {title}\n"] + fn(res)
    return "\n".join(head + summary_lines(res) + body)


def save_picture(png):
    """Epitome means | label embedding (labels) | label embedding (LSR), 3x enlarged."""
    parts = []
    for name in ("d128_labels.epitome", "d128_lsr.epitome"):
        path = os.path.join(OUT, name)
        if os.path.exists(path):
            m = load_model(path)
            if not parts:
                parts.append(preview_rgb(m.mu[0]))
            parts.append(embedding_rgb(m))
    if not parts:
        return
    gap = np.full((parts[0].shape[0], 6, 3), 255, np.uint8)
    a = np.concatenate(sum([[p, gap] for p in parts], [])[:-1], 1)
    a = np.repeat(np.repeat(a, 3, 0), 3, 1)
    mem = gdal.GetDriverByName("MEM").Create("", a.shape[1], a.shape[0], 3, gdal.GDT_Byte)
    for b in range(3):
        mem.GetRasterBand(b + 1).WriteArray(a[:, :, b])
    gdal.GetDriverByName("PNG").CreateCopy(png, mem)
    for side in glob.glob(png + ".aux.xml"):
        os.remove(side)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS_EPITOME.md"))
    ap.add_argument("--sections", default=",".join(SECTIONS))
    ap.add_argument("--promotion-values", default=",".join(map(str, PROMOTION_VALUES)),
                    help="the PROMOTION values the promotion section trains (a subset runs the section in parts)")
    a = ap.parse_args(argv)
    if not os.path.isdir(SHARED):
        sys.exit(f"{SHARED} not found: the benchmark needs the shared NAIP patches.")
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    store = os.path.join(OUT, "results.json")
    res = json.load(open(store)) if os.path.exists(store) else {}
    for name in [s for s in a.sections.split(",") if s]:
        print(name, flush=True)
        t0 = time.time()
        if name == "promotion":
            section_promotion(res, [v for v in a.promotion_values.split(",") if v])
        else:
            SECTIONS[name](res)
        res[name]["date"] = datetime.datetime.now().strftime("%Y-%m-%d %H:%M") + f", {(time.time() - t0) / 60:.1f} min"
        with open(store, "w") as fh:
            json.dump(res, fh, indent=1)
    save_picture(os.path.join(os.path.dirname(a.out), "epitome_label_embedding.png"))
    with open(a.out, "w") as fh:
        fh.write(render(res))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
