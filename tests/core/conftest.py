"""Shared fixtures of the core tests (no QGIS). GDAL is imported here when it exists (imported later, by the test
modules only, GDAL objects freed at the session's end crash the process); the Python 3.9 step of `make test` has
none (tests/py39/run.sh)."""

import pytest

try:
    from osgeo import gdal  # noqa: F401
except ImportError:
    gdal = None


@pytest.fixture(scope="session")
def geotiff():
    """rasters.write_raster as a fixture: geotiff(path, arr, gt=..., epsg=..., dtype=..., nodata=...) -> path."""
    from rasters import write_raster

    return write_raster
