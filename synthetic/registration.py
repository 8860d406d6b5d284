"""Scenes for the registration tests: imagery painted from a known label map and its coarse block-majority map
moved by a known offset (algorithms/registration)."""

import os

import numpy as np

ORIGIN = (500000.0, 4300000.0)
COLOURS = np.array([[40, 110, 40, 90], [200, 190, 120, 160], [120, 120, 130, 60], [60, 150, 70, 200]], np.float32)


def label_map(size, seed):
    """Smooth random blobs of 4 labels [size, size] (1..4)."""
    rng = np.random.default_rng(seed)
    n = size // 16
    up = np.kron(rng.random((4, n + 2, n + 2)), np.ones((16, 16)))[:, :size, :size]
    k = np.ones(15) / 15
    for ax in (1, 2):
        up = np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), ax, up)
    return (np.argmax(up, axis=0) + 1).astype(np.uint8)


def block_majority(lab, cell):
    """The majority label of each cell x cell block [n, n], as codes 11, 21, 31, 41."""
    n = lab.shape[0] // cell
    blocks = lab[:n * cell, :n * cell].reshape(n, cell, n, cell).transpose(0, 2, 1, 3).reshape(n, n, -1)
    maj = np.array([[np.bincount(b, minlength=5).argmax() for b in row] for row in blocks], np.uint8)
    return (maj * 10 + 1).astype(np.uint8)


def write_shifted_scene(folder, east=0.0, north=0.0, size=360, seed=0, texture=True, constant=False, cell=30,
                        epsg=32618):
    """imagery.tif (4 bands, 1 m, coloured by a label map, noise), labels.tif (that label map, 1..4) and classes.tif
    (30 m block majority, covering 3 cells more on every side, nodata 0) moved by (east, north) metres. Returns
    (imagery path, classes path); labels.tif lies beside them."""
    from osgeo import gdal, osr

    os.makedirs(folder, exist_ok=True)
    lab = label_map(size, seed)
    img = COLOURS[lab - 1].transpose(2, 0, 1) + np.random.default_rng(seed).normal(0, 8, (4, size, size))
    if not texture:
        img = np.full((4, size, size), 120.0)
    coarse = block_majority(lab, cell)
    if constant:
        coarse[:] = 41
    big = np.pad(coarse, 3, mode="reflect")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    paths = []
    fine = (ORIGIN[0], 1, 0, ORIGIN[1], 0, -1)
    for name, arr, gt in (("imagery.tif", np.clip(img, 0, 255).astype(np.uint8), fine), ("labels.tif", lab[None], fine),
                          ("classes.tif", big[None], (ORIGIN[0] - 3 * cell + east, cell, 0,
                                                      ORIGIN[1] + 3 * cell + north, 0, -cell))):
        path = os.path.join(folder, name)
        ds = gdal.GetDriverByName("GTiff").Create(path, arr.shape[2], arr.shape[1], arr.shape[0], gdal.GDT_Byte)
        ds.SetGeoTransform(gt)
        ds.SetProjection(srs.ExportToWkt())
        for i, b in enumerate(arr):
            ds.GetRasterBand(i + 1).WriteArray(b)
            if name == "classes.tif":
                ds.GetRasterBand(i + 1).SetNoDataValue(0)
        ds = None
        paths.append(path)
    return paths[0], paths[2]
