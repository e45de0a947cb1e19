"""Config checks that run before any job: one clear error per kind of bad input, naming the
key, the bad value and what is allowed; and the grid expansion."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from imbench.errors import ConfigError
from imbench.plan import Cell, Grid


def test_tiny_grid_expands_full_factorial_minus_exclusions(tiny_config):
    grid = Grid(tiny_config)
    # 2 imbalances x 4 augmenters x 1 classifier x 1 seed, minus 3 excluded (none x ros/...)
    assert len(grid.cells) == 5
    assert Cell("digits", "none", "none", "svm", 0) in grid.cells
    assert all(not (c.imbalance == "none" and c.augmenter != "none") for c in grid.cells)


def test_full_factorial_with_seeds(tiny_config):
    tiny_config["seeds"] = [0, 1, 2]
    tiny_config["exclude"] = []
    assert len(Grid(tiny_config).cells) == 1 * 2 * 4 * 1 * 3


def test_expected_counts_known_before_loading(tiny_config):
    grid = Grid(tiny_config)
    original = grid.original_counts("digits")
    counts = grid.expected_counts("digits", "step")
    assert sum(original) > sum(counts)
    assert max(counts) / min(counts) == pytest.approx(8, rel=0.1)


def _expect_error(config, key_part, *words):
    with pytest.raises(ConfigError) as err:
        Grid(config)
    message = str(err.value)
    assert key_part in err.value.key, message
    for word in words:
        assert word in message, message
    return message


def test_unknown_dataset(tiny_config):
    tiny_config["datasets"] = {"mnistt": {}}
    tiny_config["exclude"] = []
    _expect_error(tiny_config, "datasets.mnistt", "'mnistt'", "fashion_mnist")


def test_unknown_augmenter(tiny_config):
    tiny_config["augmenters"]["x"] = {"method": "smoot"}
    _expect_error(tiny_config, "augmenters.x.method", "'smoot'", "'smote'")


def test_unknown_classifier(tiny_config):
    tiny_config["classifiers"]["x"] = {"method": "svn"}
    _expect_error(tiny_config, "classifiers.x.method", "'svn'", "'svm'")


def test_unknown_protocol(tiny_config):
    tiny_config["imbalances"]["x"] = {"protocol": "stepp", "rho": 2}
    _expect_error(tiny_config, "imbalances.x", "'stepp'", "exponential")


def test_rho_below_one(tiny_config):
    tiny_config["imbalances"]["step"]["rho"] = 0.5
    _expect_error(tiny_config, "imbalances.step.rho", "0.5")


def test_class_the_dataset_lacks(tiny_config):
    tiny_config["imbalances"]["x"] = {"protocol": "drop", "drop": {12: 5}}
    _expect_error(tiny_config, "imbalances.x.drop", "12")


def test_drop_larger_than_class(tiny_config):
    tiny_config["imbalances"]["x"] = {"protocol": "drop", "drop": {3: 10_000}}
    _expect_error(tiny_config, "imbalances.x.drop", "10000")


def test_count_larger_than_class(tiny_config):
    tiny_config["imbalances"]["x"] = {"protocol": "counts", "counts": {3: 10_000}}
    _expect_error(tiny_config, "imbalances.x.counts", "10000")


def test_empty_grid(tiny_config):
    tiny_config["exclude"] = [{"dataset": "digits"}]
    _expect_error(tiny_config, "exclude", "at least one cell")


def test_exclusion_naming_unknown_value(tiny_config):
    tiny_config["exclude"] = [{"augmenter": "gan"}]
    _expect_error(tiny_config, "exclude[0].augmenter", "'gan'", "'ros'")


def test_exclusion_with_a_list_of_values(tiny_config):
    tiny_config["exclude"] = [{"imbalance": "none", "augmenter": ["ros", "smote"]}]
    cells = Grid(tiny_config).cells
    assert not any(c.imbalance == "none" and c.augmenter in ("ros", "smote") for c in cells)
    assert any(c.imbalance == "none" and c.augmenter == "transforms" for c in cells)
    tiny_config["exclude"] = [{"augmenter": ["ros", "gan"]}]
    _expect_error(tiny_config, "exclude[0].augmenter", "'gan'", "'ros'")


def test_report_compare_is_checked(tiny_config):
    from imbench.plan import ReportPlan

    tiny_config["report"] = {"compare": "classifiers"}
    with pytest.raises(ConfigError, match="report.compare"):
        ReportPlan(Grid(tiny_config))


def test_missing_local_file(tiny_config, tmp_path):
    missing = tmp_path / "nope.npz"
    tiny_config["datasets"] = {"fm": {"loader": "fashion_mnist", "source": str(missing)}}
    tiny_config["imbalances"] = {"none": {"protocol": "none"}}
    tiny_config["exclude"] = []
    _expect_error(tiny_config, "datasets.fm.source", str(missing), "existing local file")


def test_unknown_parameter_key(tiny_config):
    tiny_config["augmenters"]["smote"]["params"] = {"k_neighbours": 3}
    _expect_error(tiny_config, "augmenters.smote.params.k_neighbours", "k_neighbors")


def test_imbalance_excluded_for_a_dataset_is_not_checked_against_it(tiny_config):
    # A protocol written for Fashion-MNIST's class sizes would fail on digits; excluding
    # the pair makes the config valid.
    tiny_config["imbalances"]["fm"] = {"protocol": "drop", "drop": {3: 5300}}
    _expect_error(tiny_config, "imbalances.fm.drop", "5300")
    tiny_config["exclude"].append({"dataset": "digits", "imbalance": "fm"})
    assert all(c.imbalance != "fm" for c in Grid(tiny_config).cells)


def _snakemake_dry_run(repo, tmp_path, config):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "-d", str(tmp_path),
         "--configfile", str(path), "-n", "--cores", "1"],
        capture_output=True, text=True, timeout=300,
    )


def test_schema_rejects_typo_before_any_job(repo, tmp_path, tiny_config):
    tiny_config["seedz"] = [0]
    result = _snakemake_dry_run(repo, tmp_path, tiny_config)
    assert result.returncode != 0
    assert "seedz" in result.stdout + result.stderr
    assert not (tmp_path / "data").exists()


def test_package_check_reported_by_snakemake(repo, tmp_path, tiny_config):
    tiny_config["imbalances"]["step"]["rho"] = 0.5
    result = _snakemake_dry_run(repo, tmp_path, tiny_config)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "imbalances.step.rho" in out and "0.5" in out
    assert not (tmp_path / "data").exists()


def test_label_unsafe_flip_rejected_before_any_job(tiny_config):
    # digits are not flip-safe: a mirrored 3 is not a 3.
    tiny_config["augmenters"]["transforms"]["params"] = {"horizontal_flip": True}
    _expect_error(tiny_config, "augmenters.transforms.params", "horizontal_flip")


def test_protocol_sampling_strategy_targets_only_shrunk_classes(tiny_config):
    grid = Grid(tiny_config)
    original = grid.original_counts("digits")
    counts = grid.expected_counts("digits", "step")
    strategy = grid.sampling_strategy("digits", "step", "ros")
    # mu=0.2 of 10 classes: the last two were shrunk; digits' natural 1-4 image differences
    # between the other classes are not "minority".
    assert strategy == {8: max(counts), 9: max(counts)}
    assert all(counts[c] < original[c] for c in strategy)
    assert grid.sampling_strategy("digits", "none", "none") == {}


def test_explicit_imblearn_strategy_passes_through(tiny_config):
    tiny_config["augmenters"]["ros"]["sampling_strategy"] = "auto"
    assert Grid(tiny_config).sampling_strategy("digits", "step", "ros") == "auto"


def test_generator_units_follow_the_protocol(tiny_config):
    from imbench.generators import generator_units

    tiny_config["augmenters"]["wgan"] = {"method": "wgan_gp"}
    grid = Grid(tiny_config)
    counts = grid.expected_counts("digits", "step")
    strategy = grid.sampling_strategy("digits", "step", "wgan")
    assert generator_units("wgan_gp", counts, strategy) == ["class8", "class9"]


def test_training_jobs_one_trains_every_class_in_one_job(tiny_config):
    tiny_config["augmenters"]["wgan"] = {"method": "wgan_gp"}
    tiny_config["augmenters"]["wgan1"] = {"method": "wgan_gp", "training_jobs": "one"}
    grid = Grid(tiny_config)
    assert grid.generator_units("digits", "step", "wgan") == ["class8", "class9"]
    assert grid.generator_units("digits", "step", "wgan1") == ["all"]
    # the figures stay one per class however the jobs are split
    assert grid.generator_models("digits", "step", "wgan1") == ["class8", "class9"]
    assert grid.generator_units("digits", "step", "ros") == []


def test_training_jobs_bad_value_or_conditional_method(tiny_config):
    tiny_config["augmenters"]["wgan1"] = {"method": "wgan_gp", "training_jobs": "two"}
    _expect_error(tiny_config, "augmenters.wgan1.training_jobs", "'two'", "per_class")
    tiny_config["augmenters"]["wgan1"] = {"method": "acgan", "training_jobs": "one"}
    _expect_error(tiny_config, "augmenters.wgan1.training_jobs", "acgan", "wgan_gp")


def test_training_jobs_one_in_the_dag(repo, tmp_path, tiny_config):
    """One train_generator job for both minority classes; a progress figure per class, each
    reading the `all` unit's samples."""
    tiny_config["augmenters"] = {"none": {"method": "none"},
                                 "wgan": {"method": "wgan_gp", "training_jobs": "one"}}
    tiny_config["exclude"] = [{"imbalance": "none", "augmenter": "wgan"}]
    result = _snakemake_dry_run(repo, tmp_path, tiny_config)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    jobs = dict(line.split()[:2] for line in out.splitlines()
                if line.split()[:1] and line.split()[0] in
                ("train_generator", "plot_generator_progress"))
    assert jobs == {"train_generator": "1", "plot_generator_progress": "2"}, out
    assert re.search(r"models/digits/step/wgan_gp-[0-9a-f]{12}/seed0/all/generator\.pt", out)
    for c in (8, 9):
        assert f"reports/generators/digits/step/wgan/seed0/class{c}.png" in out


# Libraries a job needs but the plan does not: every SLURM job parses the Snakefile again, so
# one of these imported at parse time is paid once per job (scikit-learn alone ~0.9 s).
HEAVY_AT_PARSE = ("sklearn", "scipy", "imblearn", "skimage", "torch", "tensorflow", "keras",
                  "matplotlib")


@pytest.mark.parametrize("preset", [None, "seed000", "seed001", "seed003", "cifar10_lt"])
def test_parsing_the_workflow_imports_no_heavy_library(repo, preset):
    argv = ["--list-rules"] + ([] if preset is None else ["--configfile", f"configs/{preset}.yaml"])
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('MODULES', sorted({m.split('.')[0] for m in sys.modules}"
        f" & set({HEAVY_AT_PARSE!r}))))\n"
        f"sys.argv = ['snakemake', *{argv!r}]\n"
        "from snakemake.cli import main\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "train_generator" in out.stdout  # the rules were listed: the grid was built
    line = next(x for x in out.stdout.splitlines() if x.startswith("MODULES"))
    assert line == "MODULES []", line


def test_an_egan_validation_part_without_minority_images_is_refused_naming_the_setting(
        tiny_config):
    # seed 003 at 1:2500: 2 minority images, 10 % held out rounds to none, and the Nash rule
    # would measure nothing and silently keep the last epoch
    tiny_config["imbalances"] = {"few": {"protocol": "counts", "counts": {0: 2, 1: 100}}}
    tiny_config["datasets"] = {"digits": {"classes": [0, 1]}}
    tiny_config["augmenters"] = {"none": {"method": "none"}}
    tiny_config["exclude"] = []
    tiny_config["classifiers"] = {"e": {"method": "egan", "params": {"stopping": "nash"}}}
    message = _expect_error(tiny_config, "classifiers.e.params.validation_fraction",
                            "'few'", "'digits'", "minority", "none of its 2")
    assert "validation_min: 1" in message
    tiny_config["classifiers"]["e"]["params"]["validation_min"] = 1
    Grid(tiny_config)  # one of the two is held out for the Nash rule
    # one minority image cannot be both trained on and validated on
    tiny_config["imbalances"]["few"]["counts"] = {0: 1, 1: 100}
    _expect_error(tiny_config, "classifiers.e.params.validation_fraction", "none of its 1")
    tiny_config["classifiers"]["e"]["params"]["validation_fraction"] = 0  # the last epoch
    Grid(tiny_config)


def test_a_weights_file_the_user_supplies_is_named_with_its_url_at_dag_build(repo, tmp_path,
                                                                            monkeypatch):
    from imbench.plan import prepare_config

    cfg = prepare_config(yaml.safe_load((repo / "configs" / "seed002.yaml").read_text()))
    monkeypatch.chdir(tmp_path)  # relative paths are the run's
    grid = Grid(cfg)
    with pytest.raises(ConfigError) as err:
        grid.check_user_files()
    assert err.value.key == "classifiers.resnet18.params.weights_file"
    assert "download.pytorch.org/models/resnet18-f37072fd.pth" in str(err.value)
    weights = tmp_path / ".cache/imbench/weights/resnet18-f37072fd.pth"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"x")
    grid.check_user_files()
    # eGAN with a weights_dir: each backbone it loads with ImageNet weights, by file name
    cfg["classifiers"]["resnet18"] = {"method": "egan", "params": {
        "backbone": "densenet121", "discriminator_backbone": "vgg19", "pretrained": True,
        "weights_dir": str(tmp_path / "keras")}}
    with pytest.raises(ConfigError, match=r"densenet121_weights_tf_dim_ordering_tf_kernels_"
                                          r"notop\.h5.*storage\.googleapis\.com"):
        Grid(cfg).check_user_files()
