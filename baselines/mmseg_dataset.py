"""Our dataset readers as an mmseg dataset, for users of mmseg's own tools (Runner, tools/train).

    from baselines.mmseg_dataset import register; register()
    dataset=dict(type="VSSVideoDataset", dataset="camvid", root="data/camvid", split="train",
                 pipeline=[...])

Frames come from `replication.data` (so ordering and splits are ours), and each sample carries
the raw -> train-id `label_map` that mmseg's `LoadAnnotations` applies (CamVid 11 -> 255; VSPW
0 -> 255, v -> v-1; Cityscapes label ids -> train ids).
"""
from __future__ import annotations


def register() -> type:
    """Register `VSSVideoDataset` in mmseg's DATASETS registry (idempotent); return the class."""
    from baselines import mmseg_compat

    mmseg_compat.install()
    from mmseg.datasets import BaseSegDataset
    from mmseg.registry import DATASETS
    from mmseg.utils import register_all_modules

    register_all_modules(init_default_scope=True)  # pipeline names resolve to mmseg's

    if "VSSVideoDataset" in DATASETS.module_dict:
        return DATASETS.module_dict["VSSVideoDataset"]

    from replication.data.registry import get_dataset

    class VSSVideoDataset(BaseSegDataset):
        def __init__(self, dataset: str, root: str, split: str, **kwargs):
            self.vss = get_dataset(dataset, root)
            self.split = split
            super().__init__(metainfo={"classes": self.vss.classes}, data_root=str(root),
                             **kwargs)

        def load_data_list(self) -> list[dict]:
            lut = self.vss.raw_to_train
            label_map = {raw: int(lut[raw]) for raw in range(256) if lut[raw] != raw}
            return [{"img_path": str(f.image), "seg_map_path": str(f.label),
                     "label_map": label_map, "reduce_zero_label": False, "seg_fields": [],
                     "video": v.name, "stem": f.stem}
                    for v in self.vss.videos(self.split) for f in v.frames]

    DATASETS.register_module(module=VSSVideoDataset)
    return VSSVideoDataset
