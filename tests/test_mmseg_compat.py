"""mmsegmentation imports and runs its mmcv.ops users on mmcv-lite through our shim
(baselines/mmseg_compat.py): the pure-PyTorch op it supplies computes what grid_sample does,
and an op that needs compiled mmcv is missing the way mmseg's guarded imports expect."""
import pytest

torch = pytest.importorskip("torch")


def test_point_sample_equals_grid_sample_on_random_features():
    from baselines import mmseg_compat

    mmseg_compat.install()
    mmseg_compat.install()  # idempotent
    import mmseg.apis  # noqa: F401
    import mmseg.datasets  # noqa: F401
    from mmseg.models.losses import FocalLoss  # noqa: F401 (imports mmcv.ops unguarded)
    from mmseg.models.utils.point_sample import point_sample

    generator = torch.Generator().manual_seed(0)
    feats = torch.rand(2, 3, 7, 9, generator=generator)
    points = torch.rand(2, 5, 2, generator=generator)  # (x, y) in [0, 1]
    want = torch.nn.functional.grid_sample(feats, 2 * points[:, :, None] - 1,
                                           align_corners=False)[..., 0]
    got = point_sample(feats, points, align_corners=False)
    assert got.shape == (2, 3, 5) and torch.equal(got, want)
    # the centre of a 4x4 image lies between its four middle pixels: their mean
    grid = torch.arange(16.0).reshape(1, 1, 4, 4)
    centre = point_sample(grid, torch.tensor([[[0.5, 0.5]]]), align_corners=False)
    assert centre.item() == (5 + 6 + 9 + 10) / 4


def test_an_op_needing_compiled_mmcv_is_missing_as_mmseg_expects():
    from baselines import mmseg_compat

    mmseg_compat.install()
    import mmcv.ops
    from mmseg.models.decode_heads import cc_head

    assert cc_head.CrissCrossAttention is None  # its guarded import met ModuleNotFoundError
    with pytest.raises(ModuleNotFoundError, match="needs compiled mmcv ops"):
        mmcv.ops.CrissCrossAttention  # noqa: B018
