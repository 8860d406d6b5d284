"""Generated scenes with known truth for the demo, the tests and the benchmarks (not shipped in the plugin)."""
