"""Label super-resolution: self-epitomic tile math, tiling and blending, the whole-raster job."""
