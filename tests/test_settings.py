"""Every settings class checks its values when built: a value of the wrong type or out of its
range stops with where it was set, the value, what is allowed and the fix; through the CLI, as
one line and no traceback, before any model loads."""
import dataclasses
import json
import types
import typing
from pathlib import Path

import pytest
import yaml

from replication.cli import main
from replication.core.errors import SettingsError
from replication.core.settings import Settings, fields_of, from_flags, key
from replication.pipeline import deps
from tests.conftest import REPO, one_line_error

# fields without which a class is incomplete
REQUIRED = {"SAM2Source": {"checkpoint": "some.pt"}, "SAM1Proposals": {"checkpoint": "sam.pth"}}


def settings_classes() -> list[type]:
    import importlib

    for module in deps.module_files():
        if not module.endswith("__main__"):
            importlib.import_module(module)
    found, todo = [], list(Settings.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return sorted({c for c in found if c.__module__.startswith(("replication", "baselines"))
                   and not c.__module__.startswith("tests")}, key=lambda c: c.__name__)


def bad_values(cls, field) -> list:
    """Values that break `field`'s type or rule."""
    hint = typing.get_type_hints(cls)[field.name]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    rule, values = field.metadata, []
    if hint in (int, float):
        values.append("many")
        for bound, delta in (("min", -1), ("above", 0), ("max", 1), ("below", 0)):
            if rule.get(bound) is not None:
                values.append(rule[bound] + delta)
    elif typing.get_origin(hint) is tuple:
        values.append("not a list")
        args = typing.get_args(hint)
        n = 1 if args[-1] is Ellipsis else len(args)
        if rule.get("min") is not None:
            values.append([rule["min"] - 1] * n)
        elif rule.get("above") is not None:
            values.append([rule["above"]] * n)
    elif hint is bool:
        values.append("yes")
    elif hint is str and rule.get("choices"):
        values.append("not-a-choice")
    return values


CLASSES = [c for c in settings_classes() if dataclasses.is_dataclass(c) and fields_of(c)]


def test_every_settings_class_of_the_library_is_walked():
    names = {c.__name__ for c in CLASSES}
    assert {"TrainSettings", "BaselineRecipe", "ClassifierSettings", "MetricSettings",
            "Executor", "Oracle", "Superpixel", "SuperpixelFlow", "SAM2Source",
            "DegradeSettings", "Benchmark"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_out_of_range_values_are_named_with_what_is_allowed(cls):
    checked = 0
    for field in fields_of(cls):
        for value in bad_values(cls, field):
            flags = {**REQUIRED.get(cls.__name__, {}), key(field.name): value}
            with pytest.raises(SettingsError) as caught:
                from_flags(cls, flags, "section.entry")
            message = str(caught.value)
            shown = list(value) if isinstance(value, tuple) else value
            assert message.startswith(f"section.entry.{key(field.name)}: {shown!r} is not "
                                      "allowed; it must be "), message
            assert "Set it in params.yaml" in message
            checked += 1
    assert checked, f"{cls.__name__}: no rule was tested"


def test_a_required_setting_left_out_is_named():
    from replication.masks.sam2.sam1 import SAM1Proposals

    with pytest.raises(SettingsError, match=r"^masks\.sam2\.sam1\.checkpoint: None is not "
                                            r"allowed; it must be a path \(a SAM1 checkpoint"):
        from_flags(SAM1Proposals, {"model": "vit_b"}, "masks.sam2.sam1")


def test_unknown_keys_are_named_with_the_known_ones():
    from replication.metrics.specs import MetricSettings

    with pytest.raises(SettingsError, match=r"metrics\.boundary-ratoi: unknown setting; known: "
                                            r"\['boundary-ratio'"):
        from_flags(MetricSettings, {"boundary-ratoi": 0.03}, "metrics")


@pytest.fixture
def params(tmp_path, camvid_small):
    def write(**changes):
        p = yaml.safe_load((REPO / "params.yaml").read_text())
        p["benchmarks"]["camvid"]["root"] = str(camvid_small)
        for dotted, value in changes.items():
            section, _, name = dotted.replace("__", "-").partition(".")
            parts = name.split(".")
            node = p[section]
            for part in parts[:-1]:
                node = node[part]
            node[parts[-1]] = value
        path = tmp_path / "params.yaml"
        path.write_text(yaml.safe_dump(p))
        return path
    return write


def test_a_negative_window_stops_masks_before_any_work(params, tmp_path, capsys):
    path = params(**{"masks.oracle.window": -4})
    err = one_line_error(capsys, ["masks", "--params", path, "--dataset", "camvid", "--entry",
                                  "oracle", "--out", tmp_path / "m"])
    assert "masks.oracle.window: -4 is not allowed; it must be >= 1" in err
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("flags, words", [
    (["--source", "superpixel-flow", "--link-iou", "1.5"], "link-iou: 1.5 is not allowed"),
    (["--source", "oracle", "--window", "0"], "window: 0 is not allowed; it must be >= 1"),
    (["--source", "oracle", "--scale", "3"], "--scale: not a setting of the oracle source"),
])
def test_impossible_masks_flags_are_named(camvid_small, tmp_path, capsys, flags, words):
    err = one_line_error(capsys, ["masks", "--dataset", "camvid", "--root", camvid_small,
                                  *flags, "--out", tmp_path / "m"])
    assert words in err


def test_a_zero_prompt_grid_stops_before_sam2_loads(camvid_small, tmp_path, capsys):
    # the checkpoint does not even exist: the setting is named first
    err = one_line_error(capsys, ["masks", "--dataset", "camvid", "--root", camvid_small,
                                  "--source", "sam2", "--sam2-checkpoint", tmp_path / "no.pt",
                                  "--points-per-side", "0", "--out", tmp_path / "m"])
    assert "points-per-side: 0 is not allowed; it must be >= 1" in err


def test_a_typo_in_metrics_stops_score_with_the_setting(params, tmp_path, capsys):
    path = params()
    p = yaml.safe_load(path.read_text())
    p["metrics"]["boundary-ratoi"] = 0.03
    path.write_text(yaml.safe_dump(p))
    err = one_line_error(capsys, ["score", "--params", path, "--dataset", "camvid",
                                  "--predictions", tmp_path / "pred", "--out", tmp_path / "r",
                                  "--metrics", tmp_path / "mt", "--counts", tmp_path / "c"])
    assert "metrics.boundary-ratoi: unknown setting" in err


def test_fetch_checks_the_whole_params_first(params, tmp_path, capsys):
    path = params(**{"refine.sources": ["oracle", "sam2-tiy"]})
    err = one_line_error(capsys, ["fetch", "camvid", "--params", path, "--dest",
                                  tmp_path / "c"])
    assert "refine.sources: ['sam2-tiy'] not found under `masks:`" in err
    assert not (tmp_path / "c").exists()


def test_evaluate_with_params_reads_metrics_as_score_does(params, tmp_path, capsys,
                                                         camvid_small):
    path = params(**{"metrics.boundary-ratio": 0.05, "metrics.tc-flow": "none"})
    pred = tmp_path / "pred" / "gt"
    assert main(["degrade", "--dataset", "camvid", "--root", str(camvid_small), "--out",
                 str(pred)]) == 0
    p = yaml.safe_load(path.read_text())
    p["reference_methods"] = {"gt": {}}
    p.update(baselines={}, refine={"sources": [], "vote_ablation": [], "ablation_votes": [],
                                   "decisive-tau": 0.6},
             classify={"sources": [], "baseline_features": [], "sam2_features": []})
    path.write_text(yaml.safe_dump(p))
    assert main(["evaluate", "--params", str(path), "--dataset", "camvid", "--pred", str(pred),
                 "--out", str(tmp_path / "e.json"), "--quiet"]) == 0
    assert main(["score", "--params", str(path), "--dataset", "camvid", "--predictions",
                 str(tmp_path / "pred"), "--out", str(tmp_path / "r"), "--metrics",
                 str(tmp_path / "mt"), "--counts", str(tmp_path / "c"), "--quiet"]) == 0
    evaluated = json.loads((tmp_path / "e.json").read_text())["test"]
    scored = json.loads((tmp_path / "r" / "gt.json").read_text())["test"]
    assert evaluated["settings"]["boundary_ratio"] == scored["settings"]["boundary_ratio"] == 0.05
    assert evaluated["mBIoU"] == scored["mBIoU"]
    capsys.readouterr()


def test_settings_help_shows_each_default_once(capsys):
    with pytest.raises(SystemExit):
        main(["masks", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--points-per-side POINTS_PER_SIDE" in text and "default: 16" in text
    assert "--sam2-config CONFIG" in text and "configs/sam2.1/sam2.1_hiera_t.yaml" in text
    assert Path(REPO / "replication" / "cli" / "masks.py").read_text().count("hiera_t") == 0


def test_params_are_read_as_dvc_reads_them(tmp_path):
    """YAML 1.2, as DVC: `6e-05` (how ruamel writes 0.00006 back) is a number, `on` a string."""
    from replication.pipeline.params import load

    path = tmp_path / "params.yaml"
    path.write_text("train:\n  lr: 6e-05\n  switch: on\n")
    assert load(path)["train"] == {"lr": 6e-05, "switch": "on"}
