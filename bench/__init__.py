"""Benchmarks: scripts that print figures and ratios and write them under bench/results/."""
