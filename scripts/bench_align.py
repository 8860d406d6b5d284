#!/usr/bin/env python3
"""make bench, section `align` (issue 21): registration of the coarse map.

Per real case, the coarse map moved by a known offset (0; 15 m east + 15 m north; 30 m east + 30 m north; 25 m in a
random direction): the offset found against the offset applied, whether it was corrected, and the accuracy of
self-epitomic LSR at the defaults with ALIGN off (the moved map as it lies) and ALIGN correct, next to the naive and
smooth baselines of the moved map and the run on the unmoved map - all scored on the pixels the moved map covers
(the same pixels for every column of a row). The time the estimate adds is its ratio to the LSR run at the defaults.
Constants (the acceptance share, the smallest shift corrected) were chosen on the sub-metre cases and are reported
on the NAIP patches. Large DeepGlobe tiles (2448 px) get the offsets found and the time ratio only (their LSR runs
take about a minute each on 2 cores).

Run alone: EPITOME_DEPS=<deps folder> /usr/bin/python3 scripts/bench_align.py (rewrites its section of
docs/BENCHMARKS.md); scripts/bench.py runs it as the section `align`.
"""

from _bootstrap import DATA, ROOT, machine  # first: the checkout and PyTorch on sys.path

import argparse
import datetime
import os
import tempfile
import time

import bench  # noqa: E402
import numpy as np
from osgeo import gdal

from algorithms.composition.table import load_composition
from algorithms.evaluate.metrics import ConfusionAccumulator, scores
from algorithms.io.align import CLASS_NODATA, align_classes
from algorithms.io.raster import grid_of
from algorithms.registration.apply import registered
from algorithms.registration.estimate import AlignParams, estimate_offset

TITLE = "11. Registration: a coarse map off the imagery, estimated and corrected (ALIGN)"
SHIFTS = ((0.0, 0.0), (15.0, 15.0), (30.0, 30.0), None)  # None: 25 m in a random direction (seeded per case)
LARGE_PX = 2000  # cases wider than this: offsets and time only
RECORDS = []  # (group, case, moved, estimated, applied, error m, error vs own m, shift found m, time ratio)


def moved_copy(path, tmp, east, north, tag):
    """The coarse map with its origin moved by (east, north) metres (a GeoTIFF in tmp)."""
    out = os.path.join(tmp, f"{tag}_{east:+.1f}_{north:+.1f}_" + os.path.basename(path))
    ds = gdal.Translate(out, path)
    gt = list(ds.GetGeoTransform())
    gt[0] += east
    gt[3] += north
    ds.SetGeoTransform(gt)
    ds = None
    return out


def covered(imagery, classes):
    """Pixels of the imagery grid [H, W] the class map covers with a class (not nodata)."""
    cls = gdal.Open(classes)
    nd = cls.GetRasterBand(1).GetNoDataValue()
    vrt = align_classes(cls, grid_of(gdal.Open(imagery)), [])  # held: a band must not outlive its dataset
    codes = vrt.GetRasterBand(1).ReadAsArray()
    ok = codes != CLASS_NODATA
    return ok & (codes != nd) if nd is not None else ok


def accuracy(pred, truth, mask, n):
    t = np.where(mask, truth, 0)
    return 100 * scores(ConfusionAccumulator(n).add(pred, t).matrix)["overall_accuracy"]


def shifts_of(case_index):
    rng = np.random.default_rng(1000 + case_index)
    a = rng.uniform(0, 2 * np.pi)
    return [s if s is not None else (round(25 * np.cos(a), 1), round(25 * np.sin(a), 1)) for s in SHIFTS]


def run_case(case, index, tmp, rows, pooled):
    """Every shift of one case: a table row each (appended to rows); pooled confusion matrices per column."""
    comp = load_composition(case.composition)
    n = comp.n_labels
    truth = bench.read(case.truth)
    large = gdal.Open(case.imagery).RasterXSize > LARGE_PX
    t0 = time.time()
    base = None if large else bench.lsr(case, tmp, comp, name="unmoved")[0]
    t_lsr = time.time() - t0
    own = None  # the offset found on the unmoved map: the map's own offset, if any
    for east, north in shifts_of(index):
        moved = moved_copy(case.classes, tmp, east, north, "m") if (east or north) else case.classes
        t1 = time.time()
        reg = estimate_offset(case.imagery, moved, params=AlignParams())
        t_est = time.time() - t1
        if east == north == 0:
            own = (reg.east_m, reg.north_m) if reg.estimated else None
        if large:
            if east == 0 and north == 0:
                t0 = time.time()
                bench.lsr(bench.Case(case.name, case.group, case.imagery, moved, case.truth), tmp, comp)
                t_lsr = time.time() - t0
            rows.append(row(case, east, north, reg, t_est / t_lsr, None, own))
            continue
        mask = covered(case.imagery, moved)
        moved_case = bench.Case(case.name, case.group, case.imagery, moved, case.truth)
        nv, sm = bench.baselines(moved_case, tmp, comp)
        off = bench.lsr(moved_case, tmp, comp, name="off")[0] if (east or north) else base
        with registered(case.imagery, moved, "correct") as (path, r2):
            fixed = off if not r2.applied else bench.lsr(
                bench.Case(case.name, case.group, case.imagery, path, case.truth), tmp, comp, name="fixed")[0]
        preds = {"unmoved": base, "naive": nv, "smooth": sm, "off": off, "correct": fixed}
        acc = {k: accuracy(p, truth, mask, n) for k, p in preds.items()}
        if group_of(case) == "NAIP":  # one table (the built-in NLCD one): pooled over the patches
            for k, p in preds.items():
                pooled.setdefault((shift_label(east, north), k), ConfusionAccumulator(n)).add(
                    p, np.where(mask, truth, 0))
        rows.append(row(case, east, north, reg, t_est / t_lsr, acc, own))
        print(rows[-1], flush=True)


def group_of(case):
    return "NAIP" if case.group.startswith("NAIP") else "sub-metre"


def shift_label(east, north):
    if east == north == 0:
        return "0"
    if east == north:
        return f"{east:.0f} m east + {north:.0f} m north"
    return f"{np.hypot(east, north):.0f} m, random direction"


def row(case, east, north, reg, ratio, acc, own):
    found = f"{reg.east_m:+.1f}, {reg.north_m:+.1f}" if reg.estimated else "-"
    err = np.hypot(reg.east_m - east, reg.north_m - north) if reg.estimated else float("nan")
    rel = np.hypot(reg.east_m - own[0] - east, reg.north_m - own[1] - north) if reg.estimated and own else None
    RECORDS.append((group_of(case), case.name, bool(east or north), reg.estimated, reg.applied, err, rel, reg.shift_m,
                    ratio))
    why = "corrected" if reg.applied else ("not estimable: " + reg.message.split(":")[0].split(" (")[0]
                                           if not reg.estimated else "kept")
    cells = [case.name, f"{east:+.1f}, {north:+.1f}", found, f"{err:.1f}" if reg.estimated else "-",
             f"{rel:.1f}" if rel is not None and (east or north) else "-",
             f"{reg.uncertainty_m:.1f}" if reg.estimated else "-", f"{reg.support:.2f}" if reg.estimated else "-",
             why, f"{ratio:.2f}"]
    if acc is None:
        cells += ["-"] * 5
    else:
        cells += [f"{acc[k]:.2f}" for k in ("unmoved", "off", "correct", "naive", "smooth")]
    return "| " + " | ".join(cells) + " |"


def section_align(tmp, lines, cases):
    """The section's tables into lines (cases: bench.real_cases)."""
    if not cases:
        lines.append("No real cases found: section skipped.\n")
        return
    lines.append("Each case's coarse map moved by the offset applied (metres east, north); found: the offset the "
                 "estimate reports (sign: where the map lies relative to the imagery); error: distance between them; "
                 "error vs own: the same once the offset found on the unmoved map (the map's own offset, e.g. "
                 "NLCD's Landsat geolocation) is added to the offset applied; "
                 "+-: its uncertainty (bootstrap); support: share of bootstrap replicates where it beats no shift; "
                 "time: the estimate's time over the LSR run's at the defaults. Accuracy (%) on the pixels the moved "
                 "map covers: LSR on the unmoved map, on the moved map with ALIGN off and with ALIGN correct (the "
                 "default), the naive and smooth baselines of the moved map.\n")
    head = ("| case | applied | found | error m | error vs own m | +- m | support | decision | time ratio | unmoved | "
            "ALIGN off | ALIGN correct | naive | smooth |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    pooled = {}
    for group, pick in (("Sub-metre cases (generalised maps; the constants were chosen here)",
                         lambda c: not c.group.startswith("NAIP")),
                        ("NAIP 1 m + NLCD 30 m (reported, not tuned)", lambda c: c.group.startswith("NAIP"))):
        chosen = [(i, c) for i, c in enumerate(cases) if pick(c)]
        if not chosen:
            continue
        bench.lsr(chosen[0][1], tmp, load_composition(chosen[0][1].composition), name="warm")  # warm-up: not timed
        lines.append(f"### {group}\n")
        lines.append(head)
        rows = []
        for i, c in chosen:
            run_case(c, i, tmp, rows, pooled)
        lines.extend(rows)
        lines.append("")
    if pooled:
        lines.append("### NAIP, pooled over the 8 patches (the same pixels in each row)\n")
        lines.append("| offset applied | unmoved | ALIGN off | ALIGN correct | naive | smooth |\n|---|---|---|---|---|---|")
        for label in dict.fromkeys(k[0] for k in pooled):
            accs = [100 * scores(pooled[(label, k)].matrix)["overall_accuracy"]
                    for k in ("unmoved", "off", "correct", "naive", "smooth")]
            lines.append(f"| {label} | " + " | ".join(f"{a:.2f}" for a in accs) + " |")
        lines.append("")
    own_offsets(lines, cases)
    summary(lines, pooled)


def summary(lines, pooled):
    """The issue's targets, counted from this run."""
    lines.append("### Against the targets\n")
    for g in ("NAIP", "sub-metre"):
        rec = [r for r in RECORDS if r[0] == g]
        if not rec:
            continue
        moved = [r for r in rec if r[2] and r[3]]
        cases_moved = sorted({r[1] for r in moved})
        within = sum(r[5] <= 5 for r in moved)
        within_own = sum((r[6] if r[6] is not None else r[5]) <= 5 for r in moved)
        unmoved = [r for r in rec if not r[2]]
        lines.append(f"- {g}: {len({r[1] for r in rec})} cases, {len(cases_moved)} with an estimable map; offset "
                     f"found within 5 m of the one applied on {within} of their {len(moved)} moved maps, within 5 m "
                     f"once the map's own offset is added on {within_own}; unmoved maps corrected: "
                     f"{[r[1] for r in unmoved if r[4]] or 'none'}; unmoved maps with an offset of 5 m or more found: "
                     f"{[r[1] for r in unmoved if r[3] and r[7] >= 5] or 'none'}; largest time ratio "
                     f"{max(r[8] for r in rec):.2f}.")
    labels = list(dict.fromkeys(k[0] for k in pooled))
    for label in labels[1:]:
        acc = {k: 100 * scores(pooled[(label, k)].matrix)["overall_accuracy"] for k in ("unmoved", "off", "correct")}
        lines.append(f"- NAIP pooled, moved {label}: ALIGN correct {acc['correct'] - acc['unmoved']:+.2f} points "
                     f"against the unmoved run (ALIGN off {acc['off'] - acc['unmoved']:+.2f}).")
    lines.append("")


def own_offsets(lines, cases):
    """The offset of each unmoved coarse map found on the imagery beside the one found on the truth labels (the
    fine labels as categorical features, as estimatecomposition registers): where both agree, the map itself is
    off the imagery and a correction of an 'unmoved' map is right."""
    lines.append("### The unmoved maps' own offsets: found on the imagery and on the truth labels\n")
    lines.append("| case | on the imagery (m east, north; support) | on the truth labels | decision (imagery) |\n"
                 "|---|---|---|---|")
    for c in cases:
        a = estimate_offset(c.imagery, c.classes)
        b = estimate_offset(c.truth, c.classes, categorical=True)
        if not a.estimated and not b.estimated:
            continue
        cell = [f"{r.east_m:+.1f}, {r.north_m:+.1f}; {r.support:.2f}" if r.estimated else "-" for r in (a, b)]
        lines.append(f"| {c.name} | {cell[0]} | {cell[1]} | {'corrected' if a.applied else 'kept'} |")
    lines.append("")


def replace_section(path, text):
    """docs/BENCHMARKS.md with this section replaced (or appended when absent)."""
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    head = f"## {TITLE}"
    if head in old:
        a = old.index(head)
        b = old.find("\n## ", a + len(head))
        old = old[:a] + (old[b + 1:] if b >= 0 else "")
    old = old.rstrip("\n") + "\n\n" if old else ""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(old + text.rstrip("\n") + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "BENCHMARKS.md"))
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    a = ap.parse_args()
    lines = [f"## {TITLE}\n", f"Measured {datetime.date.today().isoformat()} on {machine()} (scripts/bench_align.py; "
             f"data from {'the shared real cases' if os.path.isdir(DATA) else 'nowhere: absent'}).\n"]
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        cases = bench.real_cases(lines)
        if a.cases:
            cases = [c for c in cases if c.name in a.cases.split(",")]
        section_align(tmp, lines, cases)
    lines.append(f"Section time {time.time() - t0:.0f} s.\n")
    replace_section(a.out, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
