"""The metric engine: mIoU, boundary IoU (mBIoU) and temporal consistency (mVC_k).

Definitions are in docs/metrics.md; `evaluator.StreamingEvaluator` computes all of them in one
pass over a dataset, a video at a time, in memory independent of the number of frames.
"""
