"""Replication suite for "Evaluating SAM2 for Video Semantic Segmentation" (arXiv 2512.01774).

Layers, each importing only those below it (tests/test_layers.py checks): `core` (utilities);
`data`, `metrics`, `masks` (and the `baselines` package); `approaches` (refine, classify);
`pipeline` (params, method specs, scoring); `report`; `experiments` (seeds, CI profile); `cli`.
Importing the package has no side effects and does not import torch or sam2.
"""
