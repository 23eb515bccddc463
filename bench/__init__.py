"""On-demand benchmarks of Quire's read API: datasets, canonical operations, a floor, a report."""
