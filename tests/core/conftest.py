"""Shared fixtures of the core tests (no QGIS; no GDAL at import either: the Python 3.9 step of `make test` has
none, tests/py39/run.sh)."""

import pytest


@pytest.fixture(scope="session")
def geotiff():
    """rasters.write_raster as a fixture: geotiff(path, arr, gt=..., epsg=..., dtype=..., nodata=...) -> path."""
    from rasters import write_raster

    return write_raster
