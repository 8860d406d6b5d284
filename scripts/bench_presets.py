#!/usr/bin/env python3
"""The wizard's quality presets against each other (docs/BENCHMARKS_PRESETS.md): computing time (process CPU
seconds, so that a machine shared with other work still gives comparable numbers) and accuracy against the
truth, on a 2048 px generated scene (seed 0), a 1024 px one (seed 1) and the eight real NAIP patches
(../shared/data/chesapeake-wv or $EPITOME_DATA/chesapeake-wv, when present).

    EPITOME_DEPS=... /usr/bin/python3 scripts/bench_presets.py [--out bench-output/presets]

The presets' parameters are the wizard's (plugin/gui/lsr_wizard.presets), in the core's names.
"""

from _bootstrap import DATA, ROOT  # first: the checkout and PyTorch on sys.path

import argparse
import os
import time

PRESETS = {  # the wizard's Processing parameters in the core's field names (LsrParams)
    "Balanced": {},
    "Fast": {"samples": 0.03, "key_stride": 4, "em_iterations": 10},
    "Thorough": {"key_stride": 1},
}


def run(imagery, classes, truth_path, kw, out):
    from osgeo import gdal

    from algorithms.composition.table import load_composition
    from algorithms.lsr.job import LsrJob, LsrOutputs, run_self_epitomic_lsr
    from algorithms.lsr.params import LsrParams

    t0 = time.process_time()
    run_self_epitomic_lsr(LsrJob(imagery, classes, load_composition(None), LsrOutputs(out), params=LsrParams(**kw),
                                 device="cpu"))
    cpu = time.process_time() - t0
    lab, truth = gdal.Open(out).ReadAsArray(), gdal.Open(truth_path).ReadAsArray()
    m = truth > 0
    return cpu, int((lab[m] == truth[m]).sum()), int(m.sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "bench-output", "presets"))
    a = ap.parse_args()
    from synthetic.scene import write_scene

    os.makedirs(a.out, exist_ok=True)
    cases = []
    for size, seed in ((2048, 0), (1024, 1)):
        folder = os.path.join(a.out, f"scene{size}_{seed}")
        sc = write_scene(folder, size=size, seed=seed)
        cases.append((f"{size} px generated scene (seed {seed})", [(sc["imagery"], sc["classes_30m"], sc["truth"])]))
    data = os.path.join(DATA, "chesapeake-wv")
    if os.path.isdir(data):
        cases.append(("8 real NAIP patches (pooled)", [
            (os.path.join(data, f"wv-train-{i}_naip.tif"), os.path.join(data, f"wv-train-{i}_nlcd_30m.tif"),
             os.path.join(data, f"wv-train-{i}_truth.tif")) for i in range(8)]))
    print("| preset | " + " | ".join(c for c, _ in cases) + " |")
    print("|---" * (len(cases) + 1) + "|")
    for name, kw in PRESETS.items():
        cells = []
        for _, items in cases:
            cpu = ok = n = 0
            for img, cls, truth in items:
                c, k, t = run(img, cls, truth, kw, os.path.join(a.out, "out.tif"))
                cpu, ok, n = cpu + c, ok + k, n + t
            cells.append(f"{cpu:.1f} s, {100.0 * ok / n:.2f}%")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
