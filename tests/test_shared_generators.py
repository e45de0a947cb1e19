"""Augmenters that differ only in how many images they draw (+250 / +500 / +1000, seed 004)
share one trained generator: the training target depends only on what changes training."""

from __future__ import annotations

import copy
from collections import Counter

from imbench.plan import Grid, prepare_config


def _config(tiny_config: dict, method: str, targets: list[int]) -> dict:
    cfg = tiny_config
    cfg["augmenters"] = {"none": {"method": "none"}}
    for n in targets:
        cfg["augmenters"][f"{method}_{n}"] = {
            "method": method, "sampling_strategy": {3: n, 4: n},
            "params": {"epochs": 2, "width": 8}}
    cfg["augmenters"][f"{method}_wide"] = {  # other params: its own generator
        "method": method, "sampling_strategy": {3: 250, 4: 250},
        "params": {"epochs": 2, "width": 16}}
    cfg["exclude"] = [{"imbalance": "none", "augmenter": a} for a in cfg["augmenters"]
                      if a != "none"]
    return cfg


def test_plus_n_variants_of_one_generator_train_it_once(tiny_config, dry_run) -> None:
    for method, units in (("wgan_gp", {"class3", "class4"}), ("cgan", {"conditional"})):
        cfg = _config(copy.deepcopy(tiny_config), method, [250, 500, 1000])
        jobs = dry_run(cfg)
        trained = Counter((wc["augmenter"], wc["unit"]) for rule, wc, _ in jobs
                          if rule == "train_generator")
        # one training per unit for the three +N variants, one for the wider model, each
        # stored under its generator's key (<method>-<digest of what training depends on>)
        grid = Grid(prepare_config(copy.deepcopy(cfg)))
        plus_n = {f"{method}_{n}" for n in (250, 500, 1000)}
        keys = {grid.generator_key("digits", "step", a) for a in plus_n}
        wide = grid.generator_key("digits", "step", f"{method}_wide")
        assert len(keys) == 1 and wide not in keys and wide.startswith(f"{method}-")
        assert set(trained) == {(a, u) for a in (*keys, wide) for u in units}, trained
        assert set(trained.values()) == {1}
        augment = {wc["augmenter"] for rule, wc, _ in jobs if rule == "augment"}
        assert plus_n <= augment


def test_the_generator_record_is_the_training_projection(tiny_config) -> None:
    grid = Grid(prepare_config(_config(tiny_config, "cgan", [250, 500])))
    wc = {"dataset": "digits", "imbalance": "step", "seed": 0}
    a = grid.job_config({**wc, "augmenter": "cgan_250"}, "generator")
    b = grid.job_config({**wc, "augmenter": "cgan_500"}, "generator")
    assert a == b and "sampling_strategy" not in a["generator"]
    assert a["generator"]["classes"] == [3, 4]  # the conditional model's epoch choice
    key = grid.generator_key("digits", "step", "cgan_500")
    assert key == grid.generator_key("digits", "step", "cgan_250")
    assert key != grid.generator_key("digits", "step", "cgan_wide")
    assert grid.generator_owner("digits", "step", key) == "cgan_250"  # first by name
    assert grid.generator_strategy("digits", "step", key) == [3, 4]
    # the augment job's cell carries it, to check the generator files it samples
    assert grid.job_config({**wc, "augmenter": "cgan_500"}, "train")["generator"] == \
        a["generator"]
    # another class set changes a conditional model's epoch choice: not shared
    cfg = _config(tiny_config, "cgan", [250])
    cfg["augmenters"]["cgan_one"] = {"method": "cgan", "sampling_strategy": {3: 250},
                                     "params": {"epochs": 2, "width": 8}}
    grid = Grid(prepare_config(cfg))
    assert grid.generator_key("digits", "step", "cgan_one") != key


def test_reordering_or_renaming_sharing_augmenters_keeps_the_generator(tiny_config) -> None:
    cfg = _config(copy.deepcopy(tiny_config), "cgan", [250, 500])
    key = Grid(prepare_config(copy.deepcopy(cfg))).generator_key("digits", "step", "cgan_250")
    augs = cfg["augmenters"]
    cfg["augmenters"] = {"none": augs["none"], "plus_500": augs["cgan_500"],
                         "cgan_wide": augs["cgan_wide"], "plus_250": augs["cgan_250"]}
    cfg["exclude"] = [{"imbalance": "none", "augmenter": a} for a in cfg["augmenters"]
                      if a != "none"]
    grid = Grid(prepare_config(cfg))
    assert grid.generator_key("digits", "step", "plus_250") == key
    assert grid.generator_key("digits", "step", "plus_500") == key


def test_a_balanced_tiny_set_gets_its_generator_figures(tiny_config, dry_run) -> None:
    # seed 004: +N images added to a balanced two-class set. The set is an original (no
    # imbalance), yet the generator trains and its figures and quality are reported.
    cfg = copy.deepcopy(tiny_config)
    cfg["imbalances"] = {"tiny": {"protocol": "counts", "counts": {c: 41 for c in range(10)}}}
    cfg["augmenters"] = {"none": {"method": "none"},
                         "w250": {"method": "wgan_gp", "sampling_strategy": {3: 291, 4: 291},
                                  "params": {"epochs": 2, "width": 8}},
                         "w_protocol": {"method": "wgan_gp", "params": {"epochs": 2}}}
    cfg["exclude"] = []
    assert "tiny" in Grid(prepare_config(copy.deepcopy(cfg))).originals
    jobs = dry_run(cfg)
    rules = Counter(rule for rule, _, _ in jobs)
    for rule in ("train_generator", "plot_generator_progress", "plot_gan_losses",
                 "generator_quality", "plot_samples", "generator_tables",
                 "plot_quality_vs_gain"):
        assert rules[rule] >= 1, (rule, rules)
    # the default strategy balances an imbalanced set: on a balanced one it adds nothing,
    # so that augmenter trains no generator and has no generator figures
    w250 = Grid(prepare_config(copy.deepcopy(cfg))).generator_key("digits", "tiny", "w250")
    assert {wc["augmenter"] for rule, wc, _ in jobs if rule == "train_generator"} == {w250}
    assert all(wc.get("augmenter") != "w_protocol" for rule, wc, _ in jobs
               if rule in ("plot_generator_progress", "generator_quality"))
