"""make bench, the trust sections (issue 17): every real case of the three kinds, constants chosen on one group of
cases and reported on the other, the run calibrated on 100 reference points, and the calibration of CONFIDENCE.

Imported by scripts/bench.py (which sets up the paths); every accuracy stands beside both label-only baselines of
the same run. Kinds: NAIP 1 m + NLCD 30 m (the national table), generalised sub-metre maps (block majority; the
case's own table), NLCD-like sub-metre mixture maps (one regional table per data set: right on average, wrong
locally).
"""

import os
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np
from osgeo import gdal, ogr, osr

from algorithms.composition.table import load_composition
from algorithms.evaluate.baselines import BaselineJob, run_baselines
from algorithms.evaluate.metrics import ConfusionAccumulator, scores
from algorithms.lsr.job import LsrJob, ReferenceInput, run_self_epitomic_lsr
from algorithms.lsr.params import LsrParams
from algorithms.lsr.trust import DEFAULT_WEIGHT
from algorithms.lsr.writer import LsrOutputs

KINDS = {"naip": "NAIP 1 m + NLCD 30 m", "gen": "generalised maps, 0.3-0.6 m", "mix": "NLCD-like mixture maps, 0.3-0.6 m"}
SUBMETRE = ("deepglobe-10452", "deepglobe-3484", "deepglobe-104113", "deepglobe-180902", "deepglobe-19627",
            "loveda-mmseg0", "oem-houston_16", "oem-austin_29", "oem-wielkopolskie_9")
GROUP_A = ("naip", "deepglobe")  # the two groups of the cross-group discipline: A = NAIP + DeepGlobe,
GROUP_B = ("loveda", "oem")      # B = LoveDA + OpenEarthMap
REFERENCE_POINTS = 100
BINS = 10


@dataclass
class TrustCase:
    name: str
    kind: str  # naip, gen, mix
    dataset: str
    imagery: str
    classes: str
    truth: str
    composition: Optional[str] = None  # None: the built-in NLCD table

    @property
    def group(self) -> str:
        return "A" if self.dataset in GROUP_A else "B"


def trust_cases(data: str, lines: List[str]) -> List[TrustCase]:
    """The 26 shared case/map pairs: 8 NAIP patches, 9 sub-metre cases x (generalised, mixture)."""
    ches, sub = os.path.join(data, "chesapeake-wv"), os.path.join(data, "real-submetre")
    out = []
    if os.path.isdir(ches):
        out += [TrustCase(f"NAIP wv-{i}", "naip", "naip", f"{ches}/wv-train-{i}_naip.tif",
                          f"{ches}/wv-train-{i}_nlcd_30m.tif", f"{ches}/wv-train-{i}_truth.tif") for i in range(8)]
    else:
        lines.append(f"Real NAIP patches not found at {ches}: left out.\n")
    if os.path.isdir(sub):
        for n in SUBMETRE:
            ds = n.split("-")[0]
            for kind, cls, comp in (("gen", f"{n}_coarse_30m.tif", f"{n}_composition.csv"),
                                    ("mix", f"{n}_mixcoarse_30m.tif", f"{ds}_mix_composition.csv")):
                out.append(TrustCase(f"{n} {kind}", kind, ds, f"{sub}/{n}_rgb.tif", f"{sub}/{cls}",
                                     f"{sub}/{n}_truth.tif", f"{sub}/{comp}"))
    else:
        lines.append(f"Real sub-metre cases not found at {sub}: left out.\n")
    return out


def read(path):
    return gdal.Open(path).ReadAsArray()


class Reliability:
    """Confidence against correctness in BINS bins of the largest probability: the reliability curve and the
    expected calibration error."""

    def __init__(self):
        self.n = np.zeros(BINS)
        self.conf = np.zeros(BINS)
        self.hit = np.zeros(BINS)
        self.wrong_sure = 0  # wrong pixels with confidence > 0.9
        self.wrong = 0

    def add(self, probs: np.ndarray, truth: np.ndarray):
        """probs [L, H, W] (-1 = nodata), truth [H, W] labels (0 = none)."""
        m = (truth > 0) & (probs[0] >= 0)
        conf = probs[:, m].max(0)
        ok = probs[:, m].argmax(0) + 1 == truth[m]
        b = np.minimum((conf * BINS).astype(int), BINS - 1)
        self.n += np.bincount(b, minlength=BINS)
        self.conf += np.bincount(b, conf, minlength=BINS)
        self.hit += np.bincount(b, ok, minlength=BINS)
        self.wrong_sure += int((~ok & (conf > 0.9)).sum())
        self.wrong += int((~ok).sum())

    def ece(self) -> float:
        n = self.n.sum()
        return float(np.abs(self.hit - self.conf).sum() / n) if n else float("nan")

    def curve(self) -> str:
        return " ".join(f"{100 * self.conf[i] / self.n[i]:.0f}->{100 * self.hit[i] / self.n[i]:.0f}"
                        for i in range(BINS) if self.n[i] > 0)


def baselines(case: TrustCase, tmp: str, comp):
    naive, smooth = os.path.join(tmp, "naive.tif"), os.path.join(tmp, "smooth.tif")
    run_baselines(BaselineJob(case.imagery, case.classes, comp, naive, smooth, unknown_as_nodata=True))
    return read(naive), read(smooth)


def run_lsr(case: TrustCase, tmp: str, comp, params: LsrParams, name: str, reference=None, probabilities=True):
    out = LsrOutputs(os.path.join(tmp, name + ".tif"), os.path.join(tmp, name + "_p.tif") if probabilities else None)
    st = run_self_epitomic_lsr(LsrJob(case.imagery, case.classes, comp, out, params=params, device="cpu",
                                      unknown_as_nodata=True, reference=reference))
    return read(out.labels), (read(out.probabilities) if probabilities else None), st


def score(lab, truth, n_labels):
    s = scores(ConfusionAccumulator(n_labels).add(lab, truth).matrix)
    return 100 * s["overall_accuracy"], s["mean_iou"]


def reference_points(path: str, case: TrustCase, n: int, seed: int) -> str:
    """A GeoPackage of n random labelled truth pixels (centres), field 'label', in the imagery's CRS."""
    truth = read(case.truth)
    img = gdal.Open(case.imagery)
    gt = img.GetGeoTransform()
    rows, cols = np.nonzero(truth > 0)
    pick = np.random.default_rng(seed).choice(rows.size, n, replace=False)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromWkt(img.GetProjection())
    lyr = ds.CreateLayer("reference", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("label", ogr.OFTInteger))
    for i in pick:
        x = gt[0] + (cols[i] + 0.5) * gt[1] + (rows[i] + 0.5) * gt[2]
        y = gt[3] + (cols[i] + 0.5) * gt[4] + (rows[i] + 0.5) * gt[5]
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({x} {y})"))
        f.SetField("label", int(truth[rows[i], cols[i]]))
        lyr.CreateFeature(f)
    ds = None
    return path


def summary_rows(rows: List[Dict], lines: List[str], key: str = "diff"):
    """Per kind: mean and worst difference against the better baseline; NAIP pooled accuracy and mIoU."""
    lines.append("| kind | cases | mean | worst | cases below -0.5 |\n|---|---|---|---|---|")
    for kind, title in KINDS.items():
        d = [r[key] for r in rows if r["kind"] == kind]
        if d:
            lines.append(f"| {title} | {len(d)} | {np.mean(d):+.2f} | {min(d):+.2f} | {sum(v < -0.5 for v in d)} |")
    lines.append("")


# ------------------------------------------------------------------------------------------------------------
# 1. Every real case at the defaults
# ------------------------------------------------------------------------------------------------------------

def section_cases(tmp: str, lines: List[str], cases: List[TrustCase], calib: Dict) -> List[Dict]:
    lines.append(f"Defaults: the table as a prior, appearance weight w = {DEFAULT_WEIGHT:g} with the smooth prior, no "
                 "reference samples. Accuracy (%) / mIoU; 'changed' = the share of labelled pixels whose label "
                 "differs from the smooth baseline. 'table wrong for' = the classes the log names as departing from "
                 "the table.\n")
    lines.append("| case | kind | naive | smooth | Epitome | Epitome - better baseline | changed | table wrong for "
                 "| seconds |\n|---|---|---|---|---|---|---|---|---|")
    rows, pooled = [], {k: [ConfusionAccumulator(4) for _ in range(3)] for k in ("naip",)}
    calib.setdefault("default", {k: Reliability() for k in KINDS})
    for case in cases:
        comp = load_composition(case.composition)
        truth = read(case.truth)
        nv, sm = baselines(case, tmp, comp)
        lab, probs, st = run_lsr(case, tmp, comp, LsrParams(), "default")
        s = [score(a, truth, comp.n_labels) for a in (nv, sm, lab)]
        diff = s[2][0] - max(s[0][0], s[1][0])
        wrong = [c for c, e in st["evidence"].items() if (e["departure_from_table"] or 0) >= 0.25
                 and e["pixels"] >= 0.01 * sum(v["pixels"] for v in st["evidence"].values())]
        rows.append(dict(name=case.name, kind=case.kind, group=case.group, diff=diff, acc=s[2][0]))
        calib["default"][case.kind].add(probs, truth)
        if case.kind == "naip":
            for acc_, pred in zip(pooled["naip"], (nv, sm, lab)):
                acc_.add(pred, truth)
        lines.append(f"| {case.name} | {case.kind} | " + " | ".join(f"{a:.2f} / {m:.3f}" for a, m in s)
                     + f" | {diff:+.2f} | {100 * st['changed_share']:.1f}% | {', '.join(wrong) or '-'} | "
                     f"{st['seconds']:.1f} |")
        print(lines[-1], flush=True)
    lines.append("\nPer kind, against the better of the two baselines (points):\n")
    summary_rows(rows, lines)
    if pooled["naip"][0].matrix.sum():
        sc = [scores(a.matrix) for a in pooled["naip"]]
        lines.append("NAIP pooled (all 8 patches): naive {:.2f}% / mIoU {:.3f}, smooth {:.2f}% / {:.3f}, Epitome "
                     "{:.2f}% / {:.3f}: {:+.2f} points over naive.\n".format(
                         *[v for x in sc for v in (100 * x["overall_accuracy"], x["mean_iou"])],
                         100 * (sc[2]["overall_accuracy"] - sc[0]["overall_accuracy"])))
    return rows


# ------------------------------------------------------------------------------------------------------------
# 2. Constants chosen on one group of cases, reported on the other
# ------------------------------------------------------------------------------------------------------------

VARIANTS = (("1 iteration", dict(appearance_iterations=1)), ("2 iterations", dict(appearance_iterations=2)),
            ("3 iterations", dict(appearance_iterations=3)))
WEIGHTS = (0.3, 0.5, 1.0, 2.0, 3.0, float("inf"))


def objective(d: np.ndarray) -> float:
    """What a default is chosen by: the mean gain over the better baseline, losses counted three times."""
    return float(d.mean() + 2 * np.minimum(d, 0).mean())


def appearance_curves(tmp: str, cases: List[TrustCase]) -> Dict:
    """{(variant, w): {case: points against the better baseline}} from one appearance-alone run per variant and
    case (FUSION none, PROBABILITIES), fused with the smooth prior for every w (the job's own fusion)."""
    from algorithms.lsr.trust import fused_labels

    out: Dict = {}
    for case in cases:
        comp = load_composition(case.composition)
        truth = read(case.truth)
        nv, sm = baselines(case, tmp, comp)
        m = truth > 0
        best = 100 * max((nv[m] == truth[m]).mean(), (sm[m] == truth[m]).mean())
        smooth_p = smooth_prior(case, comp)
        for vname, kw in VARIANTS:
            _, raw, _ = run_lsr(case, tmp, comp, LsrParams(fusion="none", **kw), "app")
            valid = (raw.min(0) >= 0)
            reached = valid & (raw.sum(0) > 0.5)
            for w in WEIGHTS:
                lab = np.where(valid, fused_labels(np.clip(raw, 0, 1), reached, smooth_p, w) + 1, 0)
                out.setdefault((vname, w), {})[case.name] = 100 * (lab[m] == truth[m]).mean() - best
        print(case.name, flush=True)
    return out


def smooth_prior(case: TrustCase, comp):
    """The smooth prior on the imagery grid [L, H, W] (the pixel's own row where no cell is near)."""
    from algorithms.feedback import Feedback
    from algorithms.lsr.sources import open_sources

    src = open_sources(case.imagery, case.classes, comp, Feedback(), unknown_as_nodata=True)
    g = src.grid
    return src.label_prior("smooth", 0, 0, g.width, g.height, src.class_rows(0, 0, g.width, g.height))


def section_groups(tmp: str, lines: List[str], cases: List[TrustCase]):
    curves = appearance_curves(tmp, cases)
    kinds = {c.name: c.kind for c in cases}
    groups = {"A": [c.name for c in cases if c.group == "A"], "B": [c.name for c in cases if c.group == "B"]}
    lines.append("Settings: appearance iterations x appearance weight w (the smooth prior), each case run once per "
                 "variant. Chosen by the mean gain over the better baseline with losses counted three times; group "
                 f"A = {' + '.join(GROUP_A)}, group B = {' + '.join(GROUP_B)}.\n")

    def kind_summary(names, key):
        parts = []
        for kind in KINDS:
            d = [curves[key][n] for n in names if kinds[n] == kind]
            if d:
                parts.append(f"{kind} {np.mean(d):+.2f} / {min(d):+.2f}")
        return "; ".join(parts)

    lines.append("| chosen on | setting | on the same group (mean / worst per kind) | on the other group |\n|---|---|---|---|")
    for dev, test in (("A", "B"), ("B", "A"), ("all", None)):
        names = groups[dev] if dev != "all" else [c.name for c in cases]
        if not names:
            continue
        key = max(curves, key=lambda k: objective(np.array([curves[k][n] for n in names])))
        lines.append(f"| {dev} | {key[0]}, w = {key[1]:g} | {kind_summary(names, key)} | "
                     f"{kind_summary(groups[test], key) if test and groups[test] else '-'} |")
    lines.append("\nEvery case, points against the better baseline per setting:\n")
    keys = sorted(curves)
    lines.append("| case | " + " | ".join(f"{v} w={w:g}" for v, w in keys) + " |\n|---|" + "---|" * len(keys))
    for c in cases:
        lines.append(f"| {c.name} | " + " | ".join(f"{curves[k][c.name]:+.2f}" for k in keys) + " |")
    lines.append("")


# ------------------------------------------------------------------------------------------------------------
# 3. Calibrated on 100 reference points
# ------------------------------------------------------------------------------------------------------------

def section_reference(tmp: str, lines: List[str], cases: List[TrustCase], calib: Dict):
    lines.append(f"REFERENCE = {REFERENCE_POINTS} random truth pixels (a GeoPackage point layer, integer field "
                 "'label', the imagery's CRS; seed = the case's index), REFERENCE_FIELD = label, everything else at "
                 "the defaults. The samples choose the fusion and estimate the accuracy (10-fold cross-validation, "
                 "95% interval); 'true' is the accuracy on every truth pixel.\n")
    lines.append("| case | kind | naive | smooth | Epitome | - better baseline | fusion chosen | estimated [95%] | "
                 "true inside | width |\n|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    calib.setdefault("reference", {k: Reliability() for k in KINDS})
    for i, case in enumerate(cases):
        comp = load_composition(case.composition)
        truth = read(case.truth)
        nv, sm = baselines(case, tmp, comp)
        ref = ReferenceInput(reference_points(os.path.join(tmp, f"ref{i}.gpkg"), case, REFERENCE_POINTS, i), "label")
        lab, probs, st = run_lsr(case, tmp, comp, LsrParams(), "calibrated", reference=ref)
        a = [score(x, truth, comp.n_labels)[0] for x in (nv, sm, lab)]
        diff = a[2] - max(a[:2])
        lo, hi = 100 * st["estimated_accuracy_low"], 100 * st["estimated_accuracy_high"]
        inside = lo <= a[2] <= hi
        w = st["appearance_weight"]
        fusion = f"{st['fusion_prior']}, w {'inf' if np.isinf(w) else f'{w:g}'}, T {st['temperature']:.2f}"
        rows.append(dict(name=case.name, kind=case.kind, diff=diff, inside=inside, width=hi - lo))
        calib["reference"][case.kind].add(probs, truth)
        lines.append(f"| {case.name} | {case.kind} | {a[0]:.2f} | {a[1]:.2f} | {a[2]:.2f} | {diff:+.2f} | {fusion} | "
                     f"{100 * st['estimated_accuracy']:.1f} [{lo:.1f}, {hi:.1f}] | {'yes' if inside else 'NO'} | "
                     f"{hi - lo:.1f} |")
        print(lines[-1], flush=True)
    lines.append("\nPer kind, against the better baseline (points):\n")
    summary_rows(rows, lines)
    if rows:
        lines.append(f"The interval holds the true accuracy on {sum(r['inside'] for r in rows)} of {len(rows)} cases; "
                     f"widest {max(r['width'] for r in rows):.1f} points.\n")


# ------------------------------------------------------------------------------------------------------------
# 4. Calibration of CONFIDENCE
# ------------------------------------------------------------------------------------------------------------

def section_calibration(lines: List[str], calib: Dict):
    lines.append("Expected calibration error (ECE, points: the mean gap between confidence and accuracy over 10 "
                 "bins of confidence, weighted by pixels), the share of wrong pixels with confidence above 0.9, and "
                 "the reliability curve (mean confidence -> accuracy per bin, %), from the runs of sections 1 and 3.\n")
    lines.append("| run | kind | ECE | wrong pixels with confidence > 0.9 | reliability curve |\n|---|---|---|---|---|")
    for run, title in (("default", "defaults (T = 1)"), ("reference", "calibrated on 100 points (T fitted)")):
        for kind, rel in calib.get(run, {}).items():
            if rel.n.sum():
                lines.append(f"| {title} | {KINDS[kind]} | {100 * rel.ece():.1f} | "
                             f"{100 * rel.wrong_sure / max(rel.wrong, 1):.0f}% | {rel.curve()} |")
    lines.append("")
