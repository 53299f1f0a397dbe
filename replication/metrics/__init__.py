"""The metric engine: mIoU, boundary IoU (mBIoU), temporal consistency (mVC_k) and TC.

Definitions are in docs/metrics.md; each metric's spec is in `specs` (what the tables and the
bootstrap need), and `evaluator.StreamingEvaluator` runs every registered metric in one pass
over a dataset, a video at a time.
"""
