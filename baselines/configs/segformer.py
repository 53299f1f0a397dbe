# SegFormer (Xie et al. 2021), the paper's baseline family: mmseg's MiT-B0 model config.
# baselines.models.build_config selects B1..B5 (`mit: b2`, say) and sets classes and BN.
_base_ = ["mmseg::_base_/models/segformer_mit-b0.py"]
