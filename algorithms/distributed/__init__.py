"""Running the science beyond one process: Dask distributed for whole rasters (tiles as tasks), torch.distributed
for epitome training (docs/SCALING.md). No QGIS here: workers import algorithms/ only."""
