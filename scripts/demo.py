#!/usr/bin/env python3
"""make demo: generate a scene with known truth, run epitome:selfepitomiclsr, epitome:baselines and
epitome:evaluate through qgis_process (as a user would), compare with the naive and smooth label-only
baselines, save a PNG.

It never touches your QGIS profile: qgis_process runs in a throwaway profile, <out>/qgis-home (HOME), with the
plugin from <out>/plugins (QGIS_PLUGINPATH: the zip of `make package` unpacked there, or a link to this source
tree without --plugin-zip), enabled in that profile only. PyTorch is read from $EPITOME_DEPS, else from the
folder the plugin itself would use.

Run with QGIS's interpreter (/usr/bin/python3); `make demo` does.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

QGIS_PROCESS = "/usr/bin/qgis_process.bin"  # /usr/bin/qgis_process passes a flag QGIS 3.22 rejects


def qgis_process(alg, params, env):
    args = [QGIS_PROCESS, "run", alg, "--json", "--"] + [f"{k}={v}" for k, v in params.items()]
    print("$ " + " ".join(args), flush=True)
    p = subprocess.run(args, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout[-4000:] + p.stderr[-4000:])
        sys.exit(f"qgis_process failed for {alg} (exit {p.returncode})")
    out = p.stdout[p.stdout.index("{"):]
    return json.loads(out)


def throwaway_profile(out, plugin_zip=None):
    """The environment of qgis_process in a fresh profile under `out` (HOME = out/qgis-home, QGIS's settings in
    out/qgis-home/qgis-settings/profiles/default) with the plugin in out/plugins (unpacked from plugin_zip, else a
    link to this tree) enabled there; the user's profile is untouched."""
    from plugin.install.deps import default_folder

    deps = os.environ.get("EPITOME_DEPS") or default_folder()  # before HOME changes: the user's PyTorch folder
    home, plugins = os.path.join(out, "qgis-home"), os.path.join(out, "plugins")
    for d in (home, plugins):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    if plugin_zip:
        with zipfile.ZipFile(plugin_zip) as z:
            z.extractall(plugins)
    else:
        os.symlink(ROOT, os.path.join(plugins, "epitome"))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=home, QGIS_PLUGINPATH=plugins, EPITOME_DEPS=deps,
               XDG_RUNTIME_DIR=home, QGIS_CUSTOM_CONFIG_PATH=os.path.join(home, "qgis-settings"))
    for k in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(k, None)
    print(f"QGIS profile for the demo: {home} (throwaway; your own profile is not changed). Plugin: "
          f"{os.path.join(plugins, 'epitome')}{' from ' + plugin_zip if plugin_zip else ''}. PyTorch from {deps}.",
          flush=True)
    p = subprocess.run([QGIS_PROCESS, "plugins", "enable", "epitome"], env=env, capture_output=True, text=True)
    if p.returncode != 0 and "already" not in (p.stdout + p.stderr).lower():
        sys.exit(f"qgis_process could not enable the plugin in the demo profile:\n{p.stdout}{p.stderr}")
    return env


def figure(paths, png, title, classes_title="Coarse classes (NLCD-like, 30 m, EPSG:5070)"):
    """imagery | coarse classes | naive baseline | Epitome | truth, with a legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import ListedColormap
    from osgeo import gdal

    from algorithms.composition.table import NLCD_NAMES, load_composition
    from algorithms.io.align import CLASS_NODATA, align_classes
    from algorithms.io.raster import grid_of, open_raster

    comp = load_composition(None)
    img = gdal.Open(paths["imagery"]).ReadAsArray()[:3].transpose(1, 2, 0)
    lo, hi = np.percentile(img, [1, 99])
    rgb = np.clip((img - lo) / (hi - lo), 0, 1)
    cmap = ListedColormap([(1, 1, 1)] + [tuple(v / 255 for v in c) for c in comp.colours])
    grid = grid_of(gdal.Open(paths["imagery"]))
    aligned = align_classes(open_raster(paths["classes"], "c"), grid, [])  # keep the dataset alive
    codes = aligned.GetRasterBand(1).ReadAsArray()
    codes = np.where(codes == CLASS_NODATA, 0, codes)
    u = sorted(set(np.unique(codes).tolist()) - {0})
    nlcd_cols = {11: "#476ba1", 21: "#ddc9c9", 22: "#d89382", 23: "#ed0000", 24: "#aa0000", 31: "#b2ada3",
                 41: "#68ab63", 42: "#1c6330", 43: "#b5c98e", 52: "#ccba7d", 71: "#e3e3c2", 81: "#dbd83d",
                 82: "#aa7028", 90: "#bad9eb", 95: "#70a3ba"}
    lut = np.zeros(int(max(u + [1])) + 1, int)
    for i, c in enumerate(u):
        lut[c] = i + 1
    ccmap = ListedColormap(["white"] + [nlcd_cols.get(c, "#888888") for c in u])
    panels = [("Imagery (RGB)", rgb, None), (classes_title, lut[codes], ccmap),
              ("Smooth baseline (label-only)", gdal.Open(paths["baseline"]).ReadAsArray(), cmap),
              ("Epitome self-epitomic LSR", gdal.Open(paths["result"]).ReadAsArray(), cmap),
              ("Truth", gdal.Open(paths["truth"]).ReadAsArray(), cmap)]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.8))
    for ax, (t, a, cm) in zip(axes, panels):
        if cm is None:
            ax.imshow(a)
        elif cm is ccmap:
            ax.imshow(a, cmap=cm, vmin=0, vmax=len(u), interpolation="nearest")
        else:
            ax.imshow(a, cmap=cm, vmin=0, vmax=len(comp.labels), interpolation="nearest")
        ax.set_title(t, fontsize=9)
        ax.axis("off")
    from matplotlib.patches import Patch

    handles = [Patch(color=tuple(v / 255 for v in c), label=n) for n, c in zip(comp.labels, comp.colours)]
    handles += [Patch(color=nlcd_cols.get(c, "#888"), label=f"{c} {NLCD_NAMES.get(c, '')}") for c in u]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 8), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    fig.savefig(png, dpi=110)
    plt.close(fig)


def reference_points(path, truth_path, n, seed):
    """A GeoPackage of n random truth pixels (centres) with an integer field 'label': what an analyst's reference
    points look like."""
    import numpy as np
    from osgeo import gdal, ogr, osr

    ds = gdal.Open(truth_path)
    truth, gt = ds.ReadAsArray(), ds.GetGeoTransform()
    rows, cols = np.nonzero(truth > 0)
    pick = np.random.default_rng(seed).choice(rows.size, n, replace=False)
    if os.path.exists(path):
        os.remove(path)
    out = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    srs = osr.SpatialReference()
    srs.ImportFromWkt(ds.GetProjection())
    lyr = out.CreateLayer("reference", srs, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("label", ogr.OFTInteger))
    for i in pick:
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({gt[0] + cols[i] + 0.5} {gt[3] - rows[i] - 0.5})"))
        f.SetField("label", int(truth[rows[i], cols[i]]))
        lyr.CreateFeature(f)
    out = None
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="demo-output")
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plugin-zip", default=None, help="the plugin package to run (default: this source tree)")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)

    from synthetic.scene import write_scene

    print(f"1. Generating a {a.size} x {a.size} m scene (seed {a.seed}) in {out}", flush=True)
    scene = write_scene(out, size=a.size, seed=a.seed)
    env = throwaway_profile(out, os.path.abspath(a.plugin_zip) if a.plugin_zip else None)

    print("2. Self-epitomic label super-resolution through qgis_process", flush=True)
    t0 = time.time()
    res = qgis_process("epitome:selfepitomiclsr", {
        "IMAGERY": scene["imagery"], "CLASSES": scene["classes_30m"],
        "OUTPUT": os.path.join(out, "epitome_labels.tif"),
        "CONFIDENCE": os.path.join(out, "epitome_confidence.tif"),
    }, env)
    wall = time.time() - t0
    result = res["results"]["OUTPUT"]

    print("3. The label-only baselines through qgis_process (epitome:baselines)", flush=True)
    base_path = os.path.join(out, "smooth_baseline.tif")
    qgis_process("epitome:baselines", {"IMAGERY": scene["imagery"], "CLASSES": scene["classes_30m"],
                                       "NAIVE": os.path.join(out, "naive_baseline.tif"), "SMOOTH": base_path}, env)

    print("4. Evaluation against truth, with the baselines (epitome:evaluate)", flush=True)
    ev = qgis_process("epitome:evaluate", {"PREDICTION": result, "REFERENCE": scene["truth"],
                                           "CLASSES": scene["classes_30m"],
                                           "REPORT": os.path.join(out, "evaluation.html"),
                                           "CSV": os.path.join(out, "evaluation.csv")}, env)["results"]
    best = max(ev["NAIVE_ACCURACY"], ev["SMOOTH_ACCURACY"])

    print("5. The same run calibrated on 100 reference points (REFERENCE), scored against the truth", flush=True)
    points = reference_points(os.path.join(out, "reference_points.gpkg"), scene["truth"], 100, a.seed)
    cal = qgis_process("epitome:selfepitomiclsr", {
        "IMAGERY": scene["imagery"], "CLASSES": scene["classes_30m"], "REFERENCE": points, "REFERENCE_FIELD": "label",
        "OUTPUT": os.path.join(out, "epitome_calibrated.tif"), "TRUST": os.path.join(out, "epitome_influence.tif"),
    }, env)["results"]
    cal_ev = qgis_process("epitome:evaluate", {"PREDICTION": cal["OUTPUT"], "REFERENCE": scene["truth"]},
                          env)["results"]

    png = os.path.join(out, "demo.png")
    acc, miou = ev["OVERALL_ACCURACY"], ev["MEAN_IOU"]
    figure({"imagery": scene["imagery"], "classes": scene["classes_30m"], "baseline": base_path, "result": result,
            "truth": scene["truth"]}, png,
           f"Epitome: accuracy {acc:.1%}, mean IoU {miou:.3f}  |  baselines: naive {ev['NAIVE_ACCURACY']:.1%}, "
           f"smooth {ev['SMOOTH_ACCURACY']:.1%}")
    print()
    print("=" * 72)
    print(f"Scene: {a.size} x {a.size} px at 1 m (EPSG:26917); classes at 30 m in EPSG:5070")
    print(f"Epitome self-epitomic LSR : accuracy {acc:.1%}  mean IoU {miou:.3f}")
    per_class = json.loads(ev["PER_CLASS_IOU"])
    print("  per-class IoU           : " + ", ".join(f"{k} {'-' if v is None else format(v, '.3f')}"
                                                     for k, v in per_class.items()))
    print(f"Naive baseline            : accuracy {ev['NAIVE_ACCURACY']:.1%}  mean IoU {ev['NAIVE_MEAN_IOU']:.3f}")
    print(f"Smooth baseline           : accuracy {ev['SMOOTH_ACCURACY']:.1%}  mean IoU {ev['SMOOTH_MEAN_IOU']:.3f}")
    print(f"Epitome - better baseline : {100 * (acc - best):+.1f} points of accuracy; appearance weight w = "
          f"{res['results']['APPEARANCE_WEIGHT_USED']:g}; appearance changed {res['results']['CHANGED_SHARE']:.1%} of "
          "the pixels (against the smooth baseline)")
    print(f"Coarse map registration   : {res['results']['ALIGN_REPORT']}")
    print(f"Calibrated on 100 points  : estimated {cal['ESTIMATED_ACCURACY']:.1%} (95% interval "
          f"{cal['ESTIMATED_ACCURACY_LOW']:.1%} to {cal['ESTIMATED_ACCURACY_HIGH']:.1%}; naive "
          f"{cal['NAIVE_ACCURACY_ESTIMATE']:.1%}, smooth {cal['SMOOTH_ACCURACY_ESTIMATE']:.1%} on the same points); "
          f"true accuracy {cal_ev['OVERALL_ACCURACY']:.1%}; fusion chosen: {cal['FUSION_USED']} prior, w = "
          f"{'appearance alone' if cal['APPEARANCE_WEIGHT_USED'] < 0 else format(cal['APPEARANCE_WEIGHT_USED'], 'g')}")
    print(f"qgis_process wall time    : {wall:.1f} s (includes QGIS start-up)")
    print(f"Outputs in {out}: epitome_labels.tif (+ .qml), epitome_confidence.tif, naive_baseline.tif, "
          "smooth_baseline.tif, evaluation.html, evaluation.csv, reference_points.gpkg, epitome_calibrated.tif, "
          "epitome_influence.tif, demo.png")
    print("=" * 72)


if __name__ == "__main__":
    main()
