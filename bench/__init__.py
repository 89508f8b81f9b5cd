"""Benchmarks: `python -m bench [--quick]` runs them all and appends to
bench/RESULTS.md."""
