"""mmsegmentation imports and runs its mmcv.ops users on mmcv-lite through our shim."""
import pytest

torch = pytest.importorskip("torch")


def test_mmseg_models_apis_datasets_import_and_point_sample_runs():
    from replication import mmseg_compat

    mmseg_compat.install()
    mmseg_compat.install()  # idempotent
    import mmseg.apis  # noqa: F401
    import mmseg.datasets  # noqa: F401
    from mmseg.models.losses import FocalLoss  # noqa: F401 (imports mmcv.ops unguarded)
    from mmseg.models.utils.point_sample import point_sample

    feats = torch.arange(16.0).reshape(1, 1, 4, 4)
    # the centre of the image, between the four middle pixels: their mean
    centre = point_sample(feats, torch.tensor([[[0.5, 0.5]]]), align_corners=False)
    assert centre.item() == pytest.approx((5 + 6 + 9 + 10) / 4)


def test_cuda_only_focal_loss_says_what_to_install():
    from replication import mmseg_compat

    mmseg_compat.install()
    import mmcv.ops

    with pytest.raises(RuntimeError, match="full mmcv"):
        mmcv.ops.sigmoid_focal_loss(None, None)
