"""Raster input and output with GDAL: windows, grids, class alignment, imagery scaling, atomic outputs."""
