# Fast-SCNN (Poudel et al. 2019): the CPU baseline, trained from scratch on CamVid.
# mmseg's own model config; baselines.models.build_config sets the classes, BN instead of
# SyncBN, and softmax cross-entropy (optionally class-weighted) on the decode and both aux heads.
_base_ = ["mmseg::_base_/models/fast_scnn.py"]
