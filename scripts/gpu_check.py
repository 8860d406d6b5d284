#!/usr/bin/env python3
"""make gpu-check: one prepared script that checks and measures everything GPU, in a few minutes.

On a machine with a CUDA GPU it checks the GPU's results against the CPU's and measures:
  1. correctness: the likelihood backends (conv, fft, unfold) on the GPU against fp64 on the CPU; one LSR tile on
     the GPU against the CPU (labels agreeing); the fp32 rule (TF32 switched off) and what TF32 would cost;
  2. out of memory: the LSR job under an artificially small GPU memory limit falls back (smaller blocks, then the
     CPU) with a warning and the same labels;
  3. speed: self-epitomic LSR in km^2 per minute at 1 m and 0.5 m (GPU and CPU side by side), training throughput
     at N = 499, K = 31, batch 256 (FFT and direct, fp32; patches per second and steps per second of a real
     training run), prediction in km^2 per minute with a trained, labelled epitome.
It writes docs/BENCHMARKS_GPU.md (machine, date, every figure of one run). Without CUDA it says so, runs the CPU
part (a small LSR run, the backends on the CPU, a short training) and exits 0, writing its report to
build/gpu-check-cpu.md so a GPU report is never overwritten by a CPU run.

Run with QGIS's interpreter: EPITOME_DEPS=<deps folder> /usr/bin/python3 scripts/gpu_check.py [--quick]
"""

from _bootstrap import ROOT  # first: the checkout and PyTorch on sys.path

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
import traceback

import torch  # noqa: E402
from osgeo import gdal  # noqa: E402

from algorithms.composition.table import load_composition  # noqa: E402
from algorithms.device import configure_precision  # noqa: E402
from algorithms.epitome.likelihood import patch_log_likelihood  # noqa: E402
from algorithms.feedback import Feedback  # noqa: E402
from algorithms.lsr.job import LsrJob, run_self_epitomic_lsr  # noqa: E402
from algorithms.lsr.params import LsrParams  # noqa: E402
from algorithms.lsr.writer import LsrOutputs  # noqa: E402

gdal.UseExceptions()


class Log(Feedback):
    def __init__(self):
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)


def machine(cuda: bool) -> str:
    gpu = ""
    if cuda:
        p = torch.cuda.get_device_properties(0)
        gpu = f"; GPU {p.name}, {p.total_memory / 2 ** 30:.0f} GiB, CUDA {torch.version.cuda}"
    return (f"{platform.node()}: {os.cpu_count()} CPU cores, {platform.machine()}, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads){gpu}")


def scene(folder: str, size: int, pixel: float = 1.0) -> dict:
    """A generated scene (synthetic/scene.py) of size x size px; pixel 0.5 m gives the same rasters with half the
    pixel size (the LSR's ground units then double DOWNSAMPLE and the tile in pixels)."""
    from synthetic.scene import write_scene

    sc = write_scene(folder, size=size, seed=3)
    if pixel != 1.0:
        for key in ("imagery", "truth"):
            ds = gdal.Open(sc[key])
            gt = ds.GetGeoTransform()
            out = sc[key].replace(".tif", f"_{pixel:g}m.tif")
            gdal.Translate(out, ds, outputBounds=[gt[0], gt[3], gt[0] + size * pixel, gt[3] - size * pixel])
            sc[key] = out
    return sc


def lsr_run(sc: dict, device: str, tmp: str, name: str, params: LsrParams = None, fb=None):
    out = os.path.join(tmp, name + ".tif")
    st = run_self_epitomic_lsr(LsrJob(sc["imagery"], sc["classes_30m"], load_composition(None), LsrOutputs(out),
                                      params=params or LsrParams(), device=device), fb or Log())
    truth = gdal.Open(sc["truth"]).ReadAsArray()
    lab = gdal.Open(out).ReadAsArray()
    m = truth > 0
    return st, lab, 100.0 * (lab[m] == truth[m]).mean()


def section_correctness(lines, dev):
    lines.append("## 1. Correctness on the device\n")
    lines.append("Patch log-likelihoods of one epitome (N = 128, C = 4, K = 11, 64 patches) on the device in fp32 "
                 "(TF32 off: algorithms/device.configure_precision) against fp64 on the CPU; max abs difference in "
                 "nats (values are O(1e3)) and the share of patches whose best window agrees.\n")
    lines.append("| backend | max abs diff (nats) | best window agrees |\n|---|---|---|")
    g = torch.Generator().manual_seed(0)
    mu, var = torch.rand(4, 128, 128, generator=g), 0.05 + 0.4 * torch.rand(4, 128, 128, generator=g)
    x = torch.rand(64, 4, 11, 11, generator=g)
    ref = patch_log_likelihood(x.double(), mu.double(), var.double(), "conv")
    for backend in ("conv", "fft", "unfold"):
        got = patch_log_likelihood(x.to(dev), mu.to(dev), var.to(dev), backend).double().cpu()
        agree = (got.reshape(64, -1).argmax(1) == ref.reshape(64, -1).argmax(1)).double().mean()
        lines.append(f"| {backend} | {float((got - ref).abs().max()):.4f} | {100 * float(agree):.1f}% |")
    lines.append("")


def section_tf32(lines, dev):
    lines.append("## 2. fp32 against TF32\n")
    g = torch.Generator().manual_seed(1)
    mu, var = torch.rand(4, 256, 256, generator=g).to(dev), (0.05 + 0.4 * torch.rand(4, 256, 256, generator=g)).to(dev)
    x = torch.rand(128, 4, 31, 31, generator=g).to(dev)
    configure_precision()
    exact = patch_log_likelihood(x, mu, var, "conv")
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    try:
        tf32 = patch_log_likelihood(x, mu, var, "conv")
    finally:
        configure_precision()
    diff = float((tf32 - exact).abs().max())
    agree = float((tf32.reshape(128, -1).argmax(1) == exact.reshape(128, -1).argmax(1)).float().mean())
    lines.append(f"N = 256, K = 31, 128 patches, conv: TF32 moves the log-likelihoods by up to {diff:.3f} nats; the best "
                 f"window agrees for {100 * agree:.1f}% of the patches. Epitome keeps TF32 off.\n")


def section_lsr_agreement(lines, dev, tmp):
    lines.append("## 3. One LSR run on the device against the CPU\n")
    sc = scene(os.path.join(tmp, "agree"), 512)
    st_g, lab_g, acc_g = lsr_run(sc, dev, tmp, "gpu")
    st_c, lab_c, acc_c = lsr_run(sc, "cpu", tmp, "cpu")
    same = 100.0 * (lab_g == lab_c).mean()
    lines.append(f"512 x 512 px scene at 1 m, defaults: labels agree on {same:.2f}% of the pixels (float order differs "
                 f"between devices); accuracy {acc_g:.2f}% on the device, {acc_c:.2f}% on the CPU.\n")


def section_oom(lines, dev, tmp):
    lines.append("## 4. Out of memory: smaller blocks, then the CPU\n")
    sc = scene(os.path.join(tmp, "oom"), 512)
    torch.cuda.empty_cache()
    total = torch.cuda.get_device_properties(0).total_memory
    fraction = max(1e-4, (64 << 20) / total)  # about 64 MiB for this process
    torch.cuda.set_per_process_memory_fraction(fraction, 0)
    try:
        fb = Log()
        _, lab, _ = lsr_run(sc, dev, tmp, "small", LsrParams(block_elements=1 << 26), fb)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0, 0)
        torch.cuda.empty_cache()
    _, ref, _ = lsr_run(sc, "cpu", tmp, "small_cpu")
    lines.append(f"GPU memory limited to {fraction * total / 2 ** 20:.0f} MiB, blocks of 2^26 logits asked: "
                 f"{len(fb.warnings)} warning(s): " + " / ".join(w[:140] for w in fb.warnings[:3]) +
                 f". Labels agree with the CPU run on {100.0 * (lab == ref).mean():.2f}% of the pixels.\n")


def section_lsr_speed(lines, dev, tmp, quick):
    lines.append("## 5. Self-epitomic LSR speed\n")
    size = 1024 if quick else 2048
    lines.append(f"Generated scene {size} x {size} px, defaults (ground units), whole job including reads and "
                 "writes; the same imagery read as 0.5 m imagery (4 x the pixels per km^2; its class layer no longer "
                 "lines up, so only the speed counts there).\n")
    lines.append("| imagery | device | seconds | km^2 per minute | accuracy |\n|---|---|---|---|---|")
    for pixel in (1.0, 0.5):
        sc = scene(os.path.join(tmp, f"speed{pixel}"), size, pixel)
        for d in ((dev, "cpu") if dev != "cpu" else ("cpu",)):
            lsr_run(sc, d, tmp, "warm") if d != "cpu" else None  # CUDA context, kernels
            st, _, acc = lsr_run(sc, d, tmp, f"s{pixel}{d}")
            shown = f"{acc:.2f}" if pixel == 1.0 else "-"
            lines.append(f"| {pixel:g} m | {d} | {st['seconds']:.1f} | {st['km2_per_minute']:.1f} | {shown} |")
            print(lines[-1], flush=True)
    lines.append("")


def timed(fn, reps):
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return (time.perf_counter() - t) / reps


def section_training(lines, dev, tmp, quick):
    lines.append("## 6. Training throughput\n")
    n, k, b = (499, 31, 256) if dev != "cpu" else (128, 11, 64)
    lines.append(f"One epitome N = {n}, C = 4 bands, K = {k}, batch {b}, fp32: forward+backward of the likelihood "
                 "(logsumexp over positions, mean, backward: what a training step does per epitome).\n")
    lines.append("| backend | s per call | patches per second |\n|---|---|---|")
    g = torch.Generator().manual_seed(0)
    mu = torch.rand(4, n, n, generator=g).to(dev).requires_grad_(True)
    lv = torch.log(0.05 + 0.4 * torch.rand(4, n, n, generator=g)).to(dev).requires_grad_(True)
    x = torch.rand(b, 4, k, k, generator=g).to(dev)
    for backend in ("fft", "conv"):
        def step():
            ll = patch_log_likelihood(x, mu, torch.exp(lv), backend)
            torch.logsumexp(ll.reshape(b, -1), 1).mean().backward()
            mu.grad = lv.grad = None
        s = timed(step, 3 if quick or dev == "cpu" else 10)
        lines.append(f"| {backend} | {s:.3f} | {b / s:.0f} |")
        print(lines[-1], flush=True)
    lines.append("")
    steps = 10 if quick or dev == "cpu" else 40
    st = train(dev, tmp, n if dev != "cpu" else 96, steps)
    lines.append(f"A real training run (epitome:trainepitome's job, SIZE {n if dev != 'cpu' else 96}, BATCH_SIZE 256, "
                 f"patches 11..31, {steps} steps): {steps / st['seconds']:.2f} steps per second on {st['device']}.\n")


def train(dev, tmp, size, steps):
    from algorithms.epitome.train_job import TrainJob, run_training
    from algorithms.epitome.training import TrainParams

    sc = scene(os.path.join(tmp, "train"), 1024)
    model = os.path.join(tmp, f"m{size}.epitome")
    t = time.time()
    st = run_training(TrainJob([sc["imagery"]], model, TrainParams(size=size, steps=steps, batch_size=256, seed=0),
                               device=dev), Log())
    st = dict(st)
    st["seconds"], st["device"], st["model"], st["scene"] = time.time() - t, dev, model, sc
    return st


def section_predict(lines, dev, tmp, quick):
    lines.append("## 7. Prediction speed\n")
    from algorithms.epitome.embed_job import EmbedLabelsJob, run_embed_labels
    from algorithms.epitome.predict_job import PredictJob, run_predict
    from algorithms.io.label_rasters import LabelPaths

    size = 128 if dev == "cpu" else 256
    st = train(dev, tmp, size, 20)
    sc = st["scene"]
    labelled = os.path.join(tmp, "labelled.epitome")
    run_embed_labels(EmbedLabelsJob(st["model"], [sc["imagery"]], [sc["truth"]], labelled, device=dev), Log())
    lines.append("| device | epitome | seconds | km^2 per minute |\n|---|---|---|---|")
    for d in ((dev, "cpu") if dev != "cpu" else ("cpu",)):
        out = os.path.join(tmp, f"pred_{d}.tif")
        t = time.time()
        run_predict(PredictJob(labelled, sc["imagery"], LabelPaths(out), device=d), Log())
        s = time.time() - t
        lines.append(f"| {d} | {size} x {size} | {s:.1f} | {1.048576 / s * 60:.1f} |")
        print(lines[-1], flush=True)
    lines.append("")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="report (default: docs/BENCHMARKS_GPU.md with CUDA, "
                                                 "build/gpu-check-cpu.md without)")
    ap.add_argument("--quick", action="store_true", help="smaller scenes and fewer repetitions")
    a = ap.parse_args()
    cuda = torch.cuda.is_available()
    dev = "cuda" if cuda else "cpu"
    out = a.out or os.path.join(ROOT, "docs/BENCHMARKS_GPU.md" if cuda else "build/gpu-check-cpu.md")
    t0 = time.time()
    lines = ["# GPU check (make gpu-check)\n",
             f"Run {datetime.date.today().isoformat()} on {machine(cuda)}. Produced by `make gpu-check` "
             "(scripts/gpu_check.py); every figure from this one run.\n"]
    if not cuda:
        msg = ("No CUDA GPU here (torch.cuda.is_available() is False): the GPU sections are not run; the CPU part "
               "checks the same code paths on the CPU.")
        print(msg, flush=True)
        lines.append(msg + "\n")
    sections = ([section_correctness, section_tf32, section_lsr_agreement, section_oom] if cuda else []) + \
        [section_lsr_speed, section_training, section_predict]
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for section in sections:
            try:
                args = (lines, dev) if section in (section_correctness, section_tf32) else (lines, dev, tmp) \
                    if section in (section_lsr_agreement, section_oom) else (lines, dev, tmp, a.quick or not cuda)
                section(*args)
            except Exception:  # noqa: BLE001 - a failed section is reported, the others still run
                failed.append(section.__name__)
                lines.append(f"**{section.__name__} failed:**\n\n```\n{traceback.format_exc()[-3000:]}\n```\n")
            print(f"[{time.time() - t0:.0f} s] {section.__name__} done", flush=True)
    lines.append(f"Total {time.time() - t0:.0f} s.\n")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        fh.write("\n".join(lines))
    print("\n".join(lines))
    print(f"Report written to {out}")
    if failed:
        print(f"FAILED sections: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
