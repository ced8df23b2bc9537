"""Benchmarks (not tests): each prints its figures beside same-process baselines and writes JSON under results/."""
