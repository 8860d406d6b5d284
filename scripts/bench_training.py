#!/usr/bin/env python3
"""make bench-training: speed and quality of epitome training on this machine; writes
docs/BENCHMARKS_TRAINING.md (and docs/epitome_promotion_on.png / _off.png).

Sections (every number from one run of this script):
  1. throughput of the likelihood backends (conv, fft, unfold): forward, and forward + backward, for
     one epitome, N in {256, 500}, K in {11, 21, 31}, 4 bands, fp32; achieved GFLOP/s (docs/METHOD.md, "Costs and devices");
  2. quality on the real NAIP patches (../shared/data/chesapeake-wv; train 0-5, held out 6-7) and on a
     generated scene (train seed 0, test seed 1): usage with / without location promotion, held-out
     log-likelihood (mean, worst quarter) with / without diversification, reconstruction PSNR;
  3. wall time of a default training (TrainParams defaults) on the shared patches, measured over a
     few steps and extrapolated to the full STEPS when that would take too long;
  4. distributed training (RANKS): 2 gloo ranks x BATCH/2 patches a step against 1 process x BATCH, the same
     STEPS (equal total samples): held-out log-likelihood, steps/s, time ratio. `--sections 4` alone updates
     that section of the existing page in place.
Run with QGIS's interpreter: EPITOME_DEPS=<deps folder> /usr/bin/python3 scripts/bench_training.py
"""

from _bootstrap import ROOT, machine  # first: the checkout and PyTorch on sys.path

import argparse
import datetime
import math
import os
import platform
import tempfile
import time

import numpy as np  # noqa: E402
import torch  # noqa: E402
from osgeo import gdal  # noqa: E402

from algorithms.distributed.launch import launch_local  # noqa: E402
from algorithms.epitome.likelihood import patch_log_likelihood  # noqa: E402
from algorithms.epitome.model_file import load_model  # noqa: E402
from algorithms.epitome.model_outputs import preview_rgb  # noqa: E402
from algorithms.epitome.sampling import RasterPatchSampler  # noqa: E402
from algorithms.epitome.train_job import TrainJob, run_training  # noqa: E402
from algorithms.epitome.training import TrainParams, mixture_arrays, train_epitome  # noqa: E402
from algorithms.io.raster import compute_scaling, open_raster, read_imagery  # noqa: E402
from synthetic.scene import write_scene  # noqa: E402

gdal.UseExceptions()
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data", "chesapeake-wv")
TRAIN_IDS, TEST_IDS = (0, 1, 2, 3, 4, 5), (6, 7)


# ------------------------------------------------------------------------------------------------
# 1. Throughput
# ------------------------------------------------------------------------------------------------

def _timed(fn, min_seconds=1.0, max_reps=5):
    """Seconds per call: one untimed warm-up, then repeats until min_seconds (median). A first call
    longer than 4 s is taken as the measurement itself (one run)."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    if first > 4.0:
        return first, 1
    times = []
    while len(times) < max_reps and (not times or sum(times) < min_seconds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), len(times)


def throughput(lines, batch, sizes, ks, small_batch):
    """conv and fft at the issue's batch (256); unfold at small_batch (its column matrix makes large
    batches impractical on this CPU; its cost per patch does not fall with B)."""
    C = 4
    g = torch.Generator().manual_seed(0)
    lines.append(f"One epitome, C = {C} bands, fp32, batch B = {batch} patches per call for conv and fft (the "
                 f"issue's batch), B = {small_batch} for unfold (its cost per patch does not fall with B and a "
                 f"call at B = {batch} takes minutes). Forward = `patch_log_likelihood` under `torch.no_grad()`; "
                 "forward+backward = the likelihood with mu, log var requiring grad, then `logsumexp` over "
                 "positions, mean, `backward()` (what a training step does per epitome). "
                 "GFLOP/s = direct-correlation FLOPs (docs/METHOD.md, \"Costs and devices\": 2 B N^2 C K^2 x 2 correlations forward; "
                 "x 2 for forward+backward) / seconds: the achieved rate for conv and unfold, an *effective* "
                 "(direct-equivalent) rate for fft. Median of repeated calls after a warm-up (1 call when one "
                 "call takes > 4 s). The fft backend computes both correlations in one pass: an rfft along the "
                 "rows, exact circular shifts down the columns as one complex GEMM per frequency, one inverse "
                 "rfft per patch (algorithms/likelihood.py).\n")
    lines.append("| N | K | backend | B | fwd patches/s | fwd GFLOP/s | fwd+bwd patches/s | fwd+bwd GFLOP/s | s per call fwd / fwd+bwd |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    res = {}
    for n in sizes:
        mu0 = torch.rand(C, n, n, generator=g)
        var0 = 0.05 + 0.45 * torch.rand(C, n, n, generator=g)
        for k in ks:
            for backend in ("conv", "fft", "unfold"):
                b = small_batch if backend == "unfold" else batch
                x = torch.rand(b, C, k, k, generator=g)
                flops = 2.0 * b * n * n * C * k * k * 2

                def fwd():
                    with torch.no_grad():
                        patch_log_likelihood(x, mu0, var0, backend)

                mu = mu0.clone().requires_grad_(True)
                lv = torch.log(var0).requires_grad_(True)

                def fwdbwd():
                    ll = patch_log_likelihood(x, mu, torch.exp(lv), backend)
                    torch.logsumexp(ll.reshape(b, -1), 1).mean().backward()
                    mu.grad = lv.grad = None

                tf, _ = _timed(fwd)
                tb, _ = _timed(fwdbwd)
                res[(n, k, backend)] = (b / tf, b / tb)
                lines.append(f"| {n} | {k} | {backend} | {b} | {b / tf:,.0f} | {flops / tf / 1e9:.1f} | "
                             f"{b / tb:,.0f} | {2 * flops / tb / 1e9:.1f} | {tf:.3f} / {tb:.3f} |")
                print(f"  N={n} K={k} {backend} B={b}: fwd {tf:.3f}s fwd+bwd {tb:.3f}s", flush=True)
    lines.append("")
    lines.append("FFT speed-up (ratio of patches/s; the target is >= 5x the direct convolution at K = 31 on CPU):\n")
    lines.append("| N | K | fft/conv fwd | fft/conv fwd+bwd | fft/unfold fwd | fft/unfold fwd+bwd |")
    lines.append("|---|---|---|---|---|---|")
    for n in sizes:
        for k in ks:
            c, f, u = res[(n, k, "conv")], res[(n, k, "fft")], res[(n, k, "unfold")]
            lines.append(f"| {n} | {k} | {f[0] / c[0]:.1f}x | {f[1] / c[1]:.1f}x | {f[0] / u[0]:.1f}x | {f[1] / u[1]:.1f}x |")
    lines.append("")
    # fft at a small batch: the shifted epitome spectra are built once per call and shared by the batch
    n, k = sizes[0], ks[-1]
    mu0 = torch.rand(C, n, n, generator=g)
    var0 = 0.05 + 0.45 * torch.rand(C, n, n, generator=g)
    x = torch.rand(small_batch, C, k, k, generator=g)

    def fwd_small():
        with torch.no_grad():
            patch_log_likelihood(x, mu0, var0, "fft")

    ts, _ = _timed(fwd_small)
    lines.append(f"At B = {small_batch} (N = {n}, K = {k}) the fft backend runs {small_batch / ts:,.0f} patches/s forward "
                 f"({small_batch / ts / res[(n, k, 'fft')][0]:.2f} of its rate at B = {batch}): the shifted epitome "
                 "spectra are built once per call, so small batches pay more per patch.\n")
    # agreement of the backends (sanity)
    n, k = sizes[0], ks[-1]
    mu0 = torch.rand(4, n, n, generator=g)
    var0 = 0.05 + 0.45 * torch.rand(4, n, n, generator=g)
    x = torch.rand(4, 4, k, k, generator=g)
    with torch.no_grad():
        ref = patch_log_likelihood(x.double(), mu0.double(), var0.double(), "conv")
        errs = {b: float((patch_log_likelihood(x, mu0, var0, b).double() - ref).abs().max()) for b in ("conv", "fft", "unfold")}
    lines.append(f"Agreement (N = {n}, K = {k}, fp32 against an fp64 conv reference, log-likelihoods of magnitude "
                 f"~{float(ref.abs().mean()):.0f}): max abs error " +
                 ", ".join(f"{b} {e:.2e}" for b, e in errs.items()) + ".\n")
    return res


# ------------------------------------------------------------------------------------------------
# 2. Quality
# ------------------------------------------------------------------------------------------------

def read_full(path):
    ds = open_raster(path, "IMAGERY")
    bands = list(range(1, ds.RasterCount + 1))
    sc = compute_scaling(ds, bands)
    img, valid = read_imagery(ds, bands, sc, 0, 0, ds.RasterXSize, ds.RasterYSize)
    return img, valid


def heldout_patches(paths, k, n, seed):
    """n patches K x K at uniformly random fully valid positions, equally many per raster: [n, C, k, k]."""
    rng = np.random.default_rng(seed)
    out = []
    per = int(math.ceil(n / len(paths)))
    for p in paths:
        img, valid = read_full(p)
        H, W = valid.shape
        ok = []
        while len(ok) < per:
            y = rng.integers(0, H - k + 1, 4 * per)
            x = rng.integers(0, W - k + 1, 4 * per)
            for yy, xx in zip(y, x):
                if valid[yy:yy + k, xx:xx + k].all():
                    ok.append(img[:, yy:yy + k, xx:xx + k])
                    if len(ok) == per:
                        break
        out.extend(ok)
    return torch.from_numpy(np.stack(out[:n]))


def evaluate(mu, var, lp, X, chunk=256):
    """Held-out metrics at temperature 1: per-patch log-likelihood per value, best window, posterior-mean
    reconstruction MSE. mu, var [E, C, N, N], lp [E, N, N] (numpy)."""
    mu, var, lp = (torch.from_numpy(np.asarray(a, np.float32)) for a in (mu, var, lp))
    E, C, N, _ = mu.shape
    B, _, k, _ = X.shape
    ll_all, best_all, se = [], [], 0.0
    fmu = torch.fft.rfft2(mu)  # [E, C, N, N/2+1]
    with torch.no_grad():
        for a in range(0, B, chunk):
            x = X[a:a + chunk]
            ll = torch.stack([patch_log_likelihood(x, mu[e], var[e], "fft") for e in range(E)], 1)
            z = (ll + lp[None]).reshape(x.shape[0], -1)
            lse = torch.logsumexp(z, 1)
            ll_all.append(lse / (C * k * k))
            best_all.append(z.argmax(1))
            post = torch.softmax(z, 1).reshape(x.shape[0], E, N, N)
            # posterior mean patch: r[b, c, i, j] = sum_{e,s} p(e, s | x_b) mu[e, c, s + (i, j)] (circular)
            fp = torch.fft.rfft2(post)  # [b, E, N, N/2+1]
            r = torch.fft.irfft2((fp.conj()[:, :, None] * fmu[None]).sum(1), s=(N, N))[:, :, :k, :k]
            se += float(((r - x) ** 2).sum())
    ll = torch.cat(ll_all)
    best = torch.cat(best_all)
    hits = torch.zeros(E * N * N)
    hits[best] = 1
    hits = hits.reshape(E, N, N)
    cover = torch.zeros_like(hits)
    for i in range(k):
        for j in range(k):
            cover += torch.roll(hits, shifts=(i, j), dims=(1, 2))
    q = torch.sort(ll).values[: max(1, B // 4)]
    mse = se / X.numel()
    return dict(ll=float(ll.mean()), worst=float(q.mean()), usage=float(hits.mean()),
                cover=float((cover > 0).float().mean()), psnr=10 * math.log10(1.0 / mse),
                distinct=int(hits.sum()))


def own_mean_psnr(X):
    m = X.mean((2, 3), keepdim=True)
    return 10 * math.log10(1.0 / float(((X - m) ** 2).mean()))


def train_run(paths, p):
    sampler = RasterPatchSampler(paths, patch_max=p.patch_max)
    t0 = time.time()
    models, states, hist = train_epitome(sampler.sample, p, "cpu")
    secs = time.time() - t0
    mu, var, lp = mixture_arrays(models)
    return dict(mu=mu, var=var, lp=lp, seconds=secs, resets=states[-1].resets,
                final_loss=float(np.mean(hist["loss"][-max(1, len(hist["loss"]) // 10):])))


def save_png(mu, path, scale=3):
    """The first epitome's means as RGB (bands 1-3, 2-98% stretch, as the monitor and QGIS show it)."""
    a = preview_rgb(mu[0])
    a = np.repeat(np.repeat(a, scale, 0), scale, 1)
    mem = gdal.GetDriverByName("MEM").Create("", a.shape[1], a.shape[0], 3, gdal.GDT_Byte)
    for b in range(3):
        mem.GetRasterBand(b + 1).WriteArray(a[:, :, b])
    gdal.GetDriverByName("PNG").CreateCopy(path, mem)
    aux = path + ".aux.xml"
    if os.path.exists(aux):
        os.remove(aux)


VARIANTS = [
    # name, TrainParams overrides, all seeds (else the first seed only)
    ("promotion 0.5, diversify 0.25 (defaults)", dict(promotion=0.5, diversify=0.25), True),
    ("promotion off, diversify 0.25", dict(promotion=0.0, diversify=0.25), True),
    ("promotion 0.5, diversify off", dict(promotion=0.5, diversify=0.0), True),
    ("promotion off, diversify off", dict(promotion=0.0, diversify=0.0), True),
    ("promotion 0.1, diversify 0.25 (first seed)", dict(promotion=0.1, diversify=0.25), False),
    # the paper's diversification: E0 self-diversifying, E1 on E0's worst quarter, E2 on E1's; E1 + E2 kept,
    # against a plain mixture of the same capacity (2 epitomes, every patch)
    ("CASCADE 2 (E1 + E2), promotion 0.5", dict(promotion=0.5, diversify=0.25, cascade=2), True),
    ("COUNT 2, promotion 0.5, diversify off", dict(promotion=0.5, diversify=0.0, count=2), True),
]


def quality(lines, datasets, size, steps, batch, seeds, n_eval, k_eval, png_dir):
    lines.append(f"Epitomes of SIZE {size}, COUNT 1 (2 where stated; CASCADE 2 trains three stages of {steps} steps "
                 f"and keeps two epitomes), PATCH 7..15, STEPS {steps}, BATCH {batch}, LEARNING_RATE 0.01, "
                 f"temperature (K/11)^2, backend auto (fft), CPU; seeds {list(seeds)} (each row: mean over the "
                 f"seeds; per-seed values in brackets). Held-out evaluation on {n_eval} random K = {k_eval} patches "
                 f"(temperature 1 at K = 11): **usage** = share of the {size}^2 epitome positions that are the most "
                 f"likely window of at least one held-out patch (at most {min(1.0, n_eval / size ** 2):.0%} with "
                 f"{n_eval} patches); **coverage** = share of epitome pixels inside at least one such window; "
                 "**LL** = held-out log-likelihood per value (nats, higher is better), mean and mean of the worst "
                 "quarter of patches; **PSNR** = posterior-mean reconstruction of each held-out patch (sum over "
                 "windows of p(s|x) times the window's means) against the patch, data on [0, 1]. "
                 "Reference: replacing each patch by its own mean colour gives the PSNR in the heading.\n")
    all_res = {}
    for dname, train_paths, test_paths in datasets:
        X = heldout_patches(test_paths, k_eval, n_eval, seed=123)
        lines.append(f"**{dname}** (own-mean-colour PSNR {own_mean_psnr(X):.2f} dB)\n")
        lines.append("| variant | usage | coverage | LL mean | LL worst quarter | PSNR dB | train s | resets |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for vname, over, every in VARIANTS:
            rs = []
            c, d = over["promotion"], over["diversify"]
            for seed in (seeds if every else seeds[:1]):
                p = TrainParams(**dict(dict(size=size, count=1, patch_min=7, patch_max=15, steps=steps,
                                            batch_size=batch, seed=seed), **over))
                r = train_run(train_paths, p)
                r.update(evaluate(r["mu"], r["var"], r["lp"], X))
                rs.append(r)
                print(f"  {dname} | {vname} | seed {seed}: usage {r['usage']:.3f} cover {r['cover']:.3f} "
                      f"LL {r['ll']:.3f} worst {r['worst']:.3f} PSNR {r['psnr']:.2f} ({r['seconds']:.0f} s)", flush=True)
                if (png_dir and dname.startswith("real") and seed == seeds[0] and d == 0.25 and c in (0.5, 0.0)
                        and not over.get("cascade")):
                    save_png(r["mu"], os.path.join(png_dir, "epitome_promotion_%s.png" % ("on" if c else "off")))
            all_res[(dname, vname)] = rs

            def cell(key, fmt):
                v = [r[key] for r in rs]
                s = fmt.format(np.mean(v))
                return s + (" (" + ", ".join(fmt.format(x) for x in v) + ")" if len(v) > 1 else "")

            lines.append(f"| {vname} | {cell('usage', '{:.3f}')} | {cell('cover', '{:.3f}')} | {cell('ll', '{:.3f}')} | "
                         f"{cell('worst', '{:.3f}')} | {cell('psnr', '{:.2f}')} | {cell('seconds', '{:.0f}')} | "
                         f"{cell('resets', '{:.0f}')} |")
        lines.append("")
    return all_res


# ------------------------------------------------------------------------------------------------
# 3. Default training wall time
# ------------------------------------------------------------------------------------------------

def default_training(lines, measure_steps, png_dir=None):
    paths = [os.path.join(SHARED, f"wv-train-{i}_naip.tif") for i in range(8)]
    p = TrainParams()
    full_steps = p.steps
    p.steps = measure_steps
    sampler = RasterPatchSampler(paths, patch_max=p.patch_max)
    t0 = time.time()
    models, states, hist = train_epitome(sampler.sample, p, "cpu")
    secs = time.time() - t0
    per_step = np.diff([0.0] + hist["seconds"])
    setup = secs - hist["seconds"][-1]
    est = setup + float(per_step.mean()) * full_steps
    lines.append(f"TrainParams defaults (SIZE {p.size}, COUNT {p.count}, STEPS {full_steps}, BATCH {p.batch_size}, "
                 f"PATCH {p.patch_min}..{p.patch_max}, promotion {p.promotion}, diversify {p.diversify}, backend "
                 f"{p.backend} = fft on CPU) on the 8 shared NAIP patches, CPU.\n")
    lines.append("| quantity | value |\n|---|---|")
    lines.append(f"| steps measured | {measure_steps} ({measure_steps * p.batch_size} patches) |")
    lines.append(f"| wall time of the measured steps | {secs:.1f} s (set-up {setup:.1f} s) |")
    lines.append(f"| seconds per step: mean / median / max | {per_step.mean():.2f} / {np.median(per_step):.2f} / "
                 f"{per_step.max():.2f} |")
    lines.append(f"| patches per second | {p.batch_size / per_step.mean():.0f} |")
    if measure_steps < full_steps:
        lines.append(f"| **full {full_steps} steps: EXTRAPOLATED** (set-up + mean step x {full_steps}) | "
                     f"**{est / 60:.1f} min** (not measured) |")
    else:
        lines.append(f"| full {full_steps} steps (measured) | {secs / 60:.1f} min |")
    if png_dir:
        mu, _, _ = mixture_arrays(models)
        png = os.path.join(png_dir, "epitome_default.png")
        save_png(mu, png, scale=2)
        lines.append(f"\nThe epitome of this run (means, bands 1-3; {os.path.basename(png)}):\n\n"
                     f"![epitome of the default training]({os.path.basename(png)})")
    lines.append("")
    return est


# ------------------------------------------------------------------------------------------------
# 4. Distributed training
# ------------------------------------------------------------------------------------------------

DIST_HEADING = "## 4. Distributed training: 2 gloo ranks against 1 process"


def dist_run(train_paths, p, ranks, folder):
    """One training (1: run_training in this process; 2: launch_local, gloo ranks of 1 thread each): the model
    file's arrays, the training-loop seconds of rank 0 and the wall time with the rank processes' start."""
    job = TrainJob(imagery=train_paths, model_path=os.path.join(folder, f"r{ranks}-s{p.seed}.epitome"),
                   params=TrainParams(**vars(p)), device="cpu")
    t0 = time.time()
    stats = run_training(job) if ranks == 1 else launch_local(job, ranks, threads=max(1, os.cpu_count() // ranks))
    wall = time.time() - t0
    m = load_model(job.model_path)
    return dict(mu=m.mu, var=m.var, lp=m.log_prior, seconds=stats["seconds"], wall=wall, steps=stats["steps"])


def distributed(lines, dname, train_paths, test_paths, size, steps, batch, seeds, n_eval):
    """Held-out log-likelihood and speed of 1 process x BATCH against 2 ranks x BATCH / 2, the same STEPS."""
    X = heldout_patches(test_paths, 11, n_eval, seed=123)
    lines.append(f"{dname}. Epitomes of SIZE {size}, COUNT 1, PATCH 7..15, STEPS {steps}, BATCH {batch} patches a "
                 f"step in all - 1 process drawing {batch}, or RANKS 2 (`launch_local`: two gloo rank processes "
                 f"drawing {batch // 2} each, gradients averaged and promotion counts summed) - so both see "
                 f"{steps} x {batch} = {steps * batch} training patches (equal total samples, the same steps and "
                 "learning rate); promotion 0.5, diversify 0.25, backend auto (fft), CPU. The 1-process run uses "
                 f"{torch.get_num_threads()} torch threads, each rank {max(1, os.cpu_count() // 2)}: the same "
                 f"cores. Held-out LL as in section 2 ({n_eval} random K = 11 patches, nats per value, higher is "
                 "better). train s = rank 0's training loop; wall s adds reading the imagery and, for 2 ranks, "
                 "starting the rank processes and the rendezvous.\n")
    lines.append("| seed | ranks | LL mean | LL worst quarter | train s | steps/s | wall s |")
    lines.append("|---|---|---|---|---|---|---|")
    folder = tempfile.mkdtemp(prefix="epitome-bench-dist-")
    res = {1: [], 2: []}
    for seed in seeds:
        p = TrainParams(size=size, count=1, patch_min=7, patch_max=15, steps=steps, batch_size=batch, seed=seed)
        for ranks in (1, 2):
            r = dist_run(train_paths, p, ranks, folder)
            r.update(evaluate(r["mu"], r["var"], r["lp"], X))
            res[ranks].append(r)
            print(f"  seed {seed} ranks {ranks}: LL {r['ll']:.4f} worst {r['worst']:.4f} {r['seconds']:.1f} s "
                  f"(wall {r['wall']:.1f} s)", flush=True)
            lines.append(f"| {seed} | {ranks} | {r['ll']:.4f} | {r['worst']:.4f} | {r['seconds']:.1f} | "
                         f"{r['steps'] / r['seconds']:.2f} | {r['wall']:.1f} |")
    dist_summary(lines, res)
    return res


def dist_summary(lines, res):
    mean = {k: {q: float(np.mean([r[q] for r in v])) for q in ("ll", "worst", "seconds", "wall")}
            for k, v in res.items()}
    rel = (mean[2]["ll"] - mean[1]["ll"]) / abs(mean[1]["ll"])
    spread = float(np.std([r["ll"] for r in res[1]]))
    lines.append("")
    lines.append(f"Means over the seeds: LL {mean[1]['ll']:.4f} (1 process) vs {mean[2]['ll']:.4f} (2 ranks), "
                 f"**{100 * rel:+.2f}%** (target: within 1%: **{'met' if abs(rel) <= 0.01 else 'NOT met'}**); worst "
                 f"quarter {mean[1]['worst']:.4f} vs {mean[2]['worst']:.4f}; the 1-process LL varies by "
                 f"{spread:.4f} (standard deviation) from seed to seed. Time 2 ranks / 1 process: training loop "
                 f"**{mean[2]['seconds'] / mean[1]['seconds']:.2f}x**, wall {mean[2]['wall'] / mean[1]['wall']:.2f}x "
                 f"(steps/s {res[1][0]['steps'] / mean[1]['seconds']:.2f} vs {res[2][0]['steps'] / mean[2]['seconds']:.2f}).\n")


def replace_section(path, heading, body):
    """The page at path with the section `heading` (up to the next '## ' heading or the run-time line) replaced by
    body, or inserted before the run-time line (the end) when it is not there."""
    with open(path, encoding="utf-8") as f:
        old = f.read().split("\n")
    start = next((i for i, t in enumerate(old) if t.startswith(heading[:16])), None)
    tail_at = next((i for i, t in enumerate(old) if t.startswith("Total benchmark run time")), len(old))
    if start is None:
        new = old[:tail_at] + body + old[tail_at:]
    else:
        end = next((i for i in range(start + 1, len(old)) if old[i].startswith("## ") or
                    old[i].startswith("Total benchmark run time")), len(old))
        new = old[:start] + body + old[end:]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(new))


def distributed_section(a, datasets_for):
    body = [DIST_HEADING + "\n", f"Measured by `scripts/bench_training.py --sections 4` on "
            f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine()}; torch {torch.__version__}.\n"]
    dname, train_paths, test_paths = datasets_for()[0]
    distributed(body, dname, train_paths, test_paths, a.q_size, a.d_steps, a.q_batch,
                [int(v) for v in a.d_seeds.split(",")], a.q_eval)
    return body


def datasets_for(a):
    """(name, training rasters, held-out rasters): the real NAIP patches when present, then a generated scene."""
    datasets = []
    if os.path.isdir(SHARED):
        datasets.append(("real NAIP: train patches 0-5, held out 6-7",
                         [os.path.join(SHARED, f"wv-train-{i}_naip.tif") for i in TRAIN_IDS],
                         [os.path.join(SHARED, f"wv-train-{i}_naip.tif") for i in TEST_IDS]))
    tmp = tempfile.mkdtemp(prefix="epitome-bench-training-")
    s0 = write_scene(os.path.join(tmp, "s0"), size=a.scene_size, seed=0)
    s1 = write_scene(os.path.join(tmp, "s1"), size=a.scene_size, seed=1)
    datasets.append((f"generated scene {a.scene_size} px: train seed 0, test seed 1", [s0["imagery"]], [s1["imagery"]]))
    return datasets


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS_TRAINING.md"))
    ap.add_argument("--png-dir", default=os.path.join(ROOT, "docs"))
    ap.add_argument("--batch", type=int, default=256, help="throughput batch for conv and fft")
    ap.add_argument("--small-batch", type=int, default=16, help="throughput batch for unfold")
    ap.add_argument("--sizes", default="256,500")
    ap.add_argument("--ks", default="11,21,31")
    ap.add_argument("--q-size", type=int, default=96)
    ap.add_argument("--q-steps", type=int, default=400)
    ap.add_argument("--q-batch", type=int, default=256)
    ap.add_argument("--q-seeds", default="0,1")
    ap.add_argument("--q-eval", type=int, default=8192)
    ap.add_argument("--scene-size", type=int, default=512)
    ap.add_argument("--default-steps", type=int, default=50, help="steps of the default training measured")
    ap.add_argument("--d-steps", type=int, default=400, help="steps of the distributed comparison (section 4)")
    ap.add_argument("--d-seeds", default="0,1,2", help="seeds of the distributed comparison (section 4)")
    ap.add_argument("--sections", default="1,2,3,4")
    a = ap.parse_args(argv)
    torch.manual_seed(0)
    np.random.seed(0)
    sections = {int(s) for s in a.sections.split(",")}
    t_start = time.time()
    lines = ["# Epitome training benchmarks\n",
             f"Generated by `scripts/bench_training.py` (`make bench-training`) on "
             f"{datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}; every table below is from this one run.\n",
             f"- machine: {machine()}",
             f"- torch {torch.__version__}, {torch.get_num_threads()} threads (intra-op), fp32, CPU only; "
             f"GDAL {gdal.__version__}; Python {platform.python_version()}",
             f"- data: {SHARED} (read in place)" if os.path.isdir(SHARED) else f"- data: {SHARED} not found", ""]
    body = []
    if 1 in sections:
        print("1. throughput", flush=True)
        body.append("## 1. Likelihood throughput by backend\n")
        throughput(body, a.batch, [int(v) for v in a.sizes.split(",")], [int(v) for v in a.ks.split(",")],
                   a.small_batch)
    if 2 in sections:
        print("2. quality", flush=True)
        body.append("## 2. Training quality: location promotion and diversification\n")
        quality(body, datasets_for(a), a.q_size, a.q_steps, a.q_batch, [int(v) for v in a.q_seeds.split(",")], a.q_eval, 11,
                a.png_dir)
    if 3 in sections and os.path.isdir(SHARED):
        print("3. default training", flush=True)
        body.append("## 3. Wall time of a default training\n")
        default_training(body, a.default_steps, a.png_dir)
    if 4 in sections:
        print("4. distributed training", flush=True)
        section = distributed_section(a, lambda: datasets_for(a))
        if sections == {4} and os.path.exists(a.out):  # this section alone: the rest of the page stays
            replace_section(a.out, DIST_HEADING, section)
            print(f"updated section 4 of {a.out}")
            return
        body.extend(section)
    body.append(f"Total benchmark run time: {(time.time() - t_start) / 60:.1f} min.\n")
    with open(a.out, "w") as f:
        f.write("\n".join(lines + body))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
