"""Baseline semantic segmentation networks (mmsegmentation 1.x) and their train/predict wrappers.

Config files in `configs/` inherit mmsegmentation's own model configs (`mmseg::_base_/...`);
`models.build_config` completes them for a dataset (classes, class weights, BN instead of SyncBN).
Importing this package does not import torch or mmseg.
"""
