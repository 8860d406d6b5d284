"""Outputs of epitome training: the EPITOME_IMAGE GeoTIFF and the training report (CSV, PNG)."""

from __future__ import annotations

import csv
import io
from typing import Dict, List, Sequence

import numpy as np
from osgeo import gdal

from ..errors import EpitomeError
from ..io.outputs import atomic_output, write_text
from .model_file import EpitomeModel


def epitome_image_bands(model: EpitomeModel) -> np.ndarray:
    """[2C + 2, E * N, N], epitomes stacked vertically: C means and C variances, both in the imagery's
    own units (mean = offset + scale * mu, variance = scale^2 * var, with the model's per-band scaling
    x_scaled = (x - offset) / scale), the log prior and the usage (share of training samples)."""
    E, C, N, _ = model.mu.shape
    off = np.asarray(model.scaling_offset, np.float32)[:, None, None]
    sc = np.asarray(model.scaling_scale, np.float32)[:, None, None]
    usage = model.usage if model.usage is not None else np.zeros((E, N, N), np.float32)
    out = np.zeros((2 * C + 2, E * N, N), np.float32)
    for e in range(E):
        rows = slice(e * N, (e + 1) * N)
        out[:C, rows] = model.mu[e] * sc + off
        out[C:2 * C, rows] = model.var[e] * sc * sc
        out[2 * C, rows] = model.log_prior[e]
        out[2 * C + 1, rows] = usage[e]
    return out


def preview_rgb(mu: np.ndarray, bands: Sequence[int] = (0, 1, 2)) -> np.ndarray:
    """A viewable picture of epitome means: mu [C, N, N] (scaled units) -> uint8 [N, N, 3].

    Bands (0-based) are mapped to R, G, B (a single band gives grey); each is stretched between its
    2nd and 98th percentile, as QGIS stretches the EPITOME_IMAGE.
    """
    mu = np.asarray(mu, dtype=np.float32)
    idx = [b for b in bands if b < mu.shape[0]] or [0]
    while len(idx) < 3:
        idx.append(idx[-1])
    out = np.empty(mu.shape[1:] + (3,), np.uint8)
    for i, b in enumerate(idx[:3]):
        a = mu[b]
        lo, hi = np.percentile(a, [2, 98])
        if hi - lo < 1e-12:
            hi = lo + 1.0
        out[..., i] = np.clip((a - lo) / (hi - lo) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out


def write_epitome_image(model: EpitomeModel, path: str):
    """GeoTIFF (no CRS: an epitome is not on the ground) with the bands of epitome_image_bands;
    several epitomes are stacked vertically. Written under a temporary name, then moved."""
    data = epitome_image_bands(model)
    names = ([f"mean b{b}" for b in model.bands] + [f"variance b{b}" for b in model.bands]
             + ["log prior", "usage (share of samples whose best window covers the pixel)"])
    try:
        with atomic_output(path, "EPITOME_IMAGE") as tmp:
            ds = gdal.GetDriverByName("GTiff").Create(tmp, data.shape[2], data.shape[1], data.shape[0],
                                                      gdal.GDT_Float32, options=["COMPRESS=DEFLATE", "INTERLEAVE=BAND"])
            if ds is None:
                raise EpitomeError(f"Cannot create {path!r}.")
            for i in range(data.shape[0]):
                b = ds.GetRasterBand(i + 1)
                b.WriteArray(data[i])
                b.SetDescription(names[i])
            ds.SetMetadataItem("EPITOME_COUNT", str(model.count))
            ds.SetMetadataItem("EPITOME_SIZE", str(model.size))
            ds = None
    except RuntimeError as e:  # GDAL
        raise EpitomeError(f"Cannot write EPITOME_IMAGE {path!r}: {e}")


def report_csv_text(history: Dict[str, List[float]]) -> str:
    """The training report as CSV: one row per step: loss and worst_loss (the mean loss of the
    worst-modelled quarter of the batch), in nats per value."""
    keys = ["step", "loss", "worst_loss", "usage", "seconds"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["step", "loss_nats_per_value", "worst_loss_nats_per_value", "windows_used_share", "seconds"])
    for row in zip(*(history[k] for k in keys)):
        w.writerow([int(row[0])] + ["%.6g" % v for v in row[1:]])
    return buf.getvalue()


def write_report_csv(history: Dict[str, List[float]], path: str):
    write_text(path, report_csv_text(history), "REPORT_CSV")


def write_report_png(history: Dict[str, List[float]], path: str, draw) -> None:
    """The training curves drawn by `draw(history, tmp_path)` (the plugin's one drawing,
    plugin/processing/report_plot.py), written atomically."""
    with atomic_output(path, "REPORT_PNG") as tmp:
        if not draw(history, tmp):
            raise EpitomeError(f"REPORT_PNG: the training curves could not be drawn into {path!r}.")


def embedding_rgb(model: EpitomeModel) -> np.ndarray:
    """A picture of the label embedding: each epitome pixel in the colours of its labels mixed by
    p(label | pixel) (a sure pixel in its label's colour, an unsure one in a blend); pixels no labelled
    patch reached are drawn pale. uint8 [E * N, N, 3], epitomes stacked vertically."""
    lab = model.labels
    if lab is None:
        raise EpitomeError("The model has no label embedding to draw.")
    colours = np.asarray(lab.colours, np.float32)  # [L, 3]
    rgb = np.einsum("elmn,lc->emnc", lab.probs.astype(np.float32), colours)
    reached = (lab.weight > 1e-6)[..., None]
    rgb = np.where(reached, rgb, 0.35 * rgb + 0.65 * 255.0)
    E, N = model.count, model.size
    return np.clip(rgb.reshape(E * N, N, 3) + 0.5, 0, 255).astype(np.uint8)


def write_embedding_image(model: EpitomeModel, path: str):
    """EMBEDDING_IMAGE: embedding_rgb as a 3-band RGB GeoTIFF (no CRS), written atomically."""
    rgb = embedding_rgb(model)
    try:
        with atomic_output(path, "EMBEDDING_IMAGE") as tmp:
            ds = gdal.GetDriverByName("GTiff").Create(tmp, rgb.shape[1], rgb.shape[0], 3, gdal.GDT_Byte,
                                                      options=["COMPRESS=DEFLATE", "PHOTOMETRIC=RGB"])
            if ds is None:
                raise EpitomeError(f"Cannot create {path!r}.")
            for i, what in enumerate(("red", "green", "blue")):
                b = ds.GetRasterBand(i + 1)
                b.WriteArray(rgb[..., i])
                b.SetDescription(f"label colours mixed by p(label | pixel): {what}")
            ds.SetMetadataItem("EPITOME_LABELS", ", ".join(model.labels.names))
            ds = None
    except RuntimeError as e:  # GDAL
        raise EpitomeError(f"Cannot write EMBEDDING_IMAGE {path!r}: {e}")
