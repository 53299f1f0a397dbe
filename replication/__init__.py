"""Replication suite for "Evaluating SAM2 for Video Semantic Segmentation" (arXiv 2512.01774).

Importing the package has no side effects and does not import torch or sam2.
"""
