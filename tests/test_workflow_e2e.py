"""The real `snakemake` command on the tiny CI config (.test/config.yaml), end to end.

One complete run (A) and one run (B) that is killed part-way and then resumed. Together they
check the guarantees: the test set is the original one, same config + seed gives the same
numbers, an interrupted run leaves nothing half-written that counts as complete, a second run
has nothing to do, and editing one augmenter's parameters reruns only its cells.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from imbench.datasets import load_dataset
from imbench.io import array_digest, load_npz

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def snakemake(workdir: Path, *args: str, config: Path | None = None, check: bool = True,
              **kwargs) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
           "--configfile", str(config or REPO / ".test" / "config.yaml"), "--cores", "2", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def metrics_files(workdir: Path) -> dict[str, dict]:
    out = {}
    for path in sorted((workdir / "results").rglob("metrics.json")):
        data = json.loads(path.read_text())
        data["provenance"].pop("created")
        data["record"].pop("content_sha256")  # of the content, "created" included
        out[str(path.relative_to(workdir))] = data
    return out


@pytest.fixture(scope="module")
def run_a(tiny_run: Path) -> Path:
    """The complete run (the session's, shared with the fault tests)."""
    return tiny_run


@pytest.fixture(scope="module")
def run_b(tmp_path_factory) -> Path:
    """A run killed (SIGKILL, whole process group) once a few jobs are done, then resumed."""
    workdir = tmp_path_factory.mktemp("run_b")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
           "--configfile", str(REPO / ".test" / "config.yaml"), "--cores", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 300
    # Kill while augment/classify jobs are in flight: after the imbalanced sets exist.
    while time.time() < deadline and proc.poll() is None:
        if list((workdir / "data" / "digits").glob("*/seed0/imbalanced.npz")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (workdir / "results" / "summary.csv").exists()
    # Nothing half-written: every result file present parses completely.
    for path in workdir.rglob("*.npz"):
        load_npz(path)
    for path in workdir.rglob("*.json"):
        if ".snakemake" not in path.parts:
            json.loads(path.read_text())
    # A killed Snakemake leaves its lock behind; what a user does after a crash:
    snakemake(workdir, "--unlock")
    snakemake(workdir)  # resumes; the workflow profile sets --rerun-incomplete
    return workdir


def test_outputs_of_every_stage(run_a):
    grid = yaml.safe_load((REPO / ".test" / "config.yaml").read_text())
    assert (run_a / "data/raw/digits.npz").exists()
    assert len(list((run_a / "results").rglob("metrics.json"))) == 5
    assert len(list((run_a / "results").rglob("confusion_matrix.png"))) == 5
    assert len(list((run_a / "reports/class_counts").rglob("*.png"))) == len(grid["imbalances"])
    table = (run_a / "reports/tables/digits.md").read_text()
    assert "±" in table and "smote" in table
    summary = (run_a / "results/summary.csv").read_text().splitlines()
    assert summary[0].split(",")[:6] == ["dataset", "imbalance", "augmenter", "classifier",
                                         "seed", "metric"]
    for path in (run_a / "logs").rglob("*.log"):
        assert path.stat().st_size >= 0
    assert list((run_a / "benchmarks").rglob("*.tsv"))


def test_metrics_content_and_provenance(run_a):
    for name, m in metrics_files(run_a).items():
        for key in ("accuracy", "precision_macro", "recall_macro", "f1_macro",
                    "balanced_accuracy", "g_mean", "auc_ovr_macro", "confusion_matrix",
                    "per_class", "minority_recall"):
            assert key in m, (name, key)
        assert 0.5 < m["accuracy"] <= 1.0, name
        prov = m["provenance"]
        assert prov["seed"] == 0
        assert {"numpy", "scikit-learn", "imbench"} <= set(prov["versions"])
        assert prov["config"]["augmenter"]["name"] == m["cell"]["augmenter"]
        assert "git_commit" in prov


def test_test_set_is_the_original(run_a):
    original = load_dataset("digits", cache_dir=run_a / ".cache")
    digest = array_digest(original.x_test, original.y_test)
    for path in (run_a / "results").rglob("predictions.npz"):
        pred = load_npz(path)
        assert str(pred["test_sha256"]) == digest
        np.testing.assert_array_equal(pred["y_true"], original.y_test)
    for m in metrics_files(run_a).values():
        assert m["test_sha256"] == digest
    raw = load_npz(run_a / "data/raw/digits.npz")
    assert raw["x_test"].tobytes() == original.x_test.tobytes()
    # Every real image of every (imbalanced or rebalanced) training set is a training image.
    train_rows = {row.tobytes() for row in original.x_train}
    for path in [*(run_a / "data").rglob("train.npz"), *(run_a / "data").rglob("imbalanced.npz")]:
        data = load_npz(path)
        real = data["x"][~data["synthetic"]] if "synthetic" in data else data["x"]
        assert len(real) and all(r.tobytes() in train_rows for r in real), path


def test_second_run_has_nothing_to_do(run_a):
    result = snakemake(run_a, "-n")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_interrupted_run_resumes_to_identical_numbers(run_a, run_b):
    a, b = metrics_files(run_a), metrics_files(run_b)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    for path in (run_a / "data").rglob("*.npz"):
        other = run_b / path.relative_to(run_a)
        for key, value in load_npz(path).items():
            np.testing.assert_array_equal(value, load_npz(other)[key])


def test_snakemake_report_of_the_tiny_run(run_a, tmp_path):
    """`snakemake --report` builds the browsable report from the finished run, with every
    figure and table the report rules declared."""
    out = tmp_path / "report.zip"
    snakemake(run_a, "--report", str(out))
    import zipfile

    with zipfile.ZipFile(out) as z:
        names = z.namelist()
    assert any(n.endswith("report.html") for n in names), names[:10]
    # every report() output of the run is in it (stored under hashed folders, by file name)
    files = sorted(n.rsplit("/", 1)[1] for n in names if "/data/raw/" in n)
    declared = [*(run_a / "results").rglob("confusion_matrix.png"),
                *(run_a / "reports").rglob("*.png"), run_a / "reports/tables/digits.md",
                run_a / "reports/tables/digits.by_ratio.md"]
    assert files == sorted(p.name for p in declared), files


#: appended to a copy of index.html: what the page looks like once loaded, as JSON in a <pre>
BROWSER_CHECK = """<script>
window.addEventListener("load", () => {
  const vw = window.innerWidth;
  const out = document.createElement("pre");
  out.id = "imbench-check";
  out.textContent = JSON.stringify({
    scrollWidth: document.documentElement.scrollWidth, innerWidth: vw,
    images: document.images.length,
    broken: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
                                .map(i => i.getAttribute("src")),
    // what sticks out of the window (a table's cells scroll inside the table's box)
    wide: [...document.querySelectorAll("body *")]
      .filter(e => !e.closest("table") && e.getBoundingClientRect().right > vw + 1)
      .map(e => e.tagName + " " + (e.id || e.className)).slice(0, 5)});
  document.body.appendChild(out);
});
</script>"""


def test_the_report_index_renders_in_a_browser(run_a):
    """reports/index.html in headless Chromium at 1,400 x 900: it renders, nothing overflows
    the window, every image loads and every link points at a file of the run."""
    browser = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    if browser is None:
        pytest.skip("no headless Chromium (Debian: apt-get install chromium-headless-shell)")
    index = run_a / "reports" / "index.html"
    page = index.read_text()
    links = re.findall(r'(?:href|src)="([^"#]+)"', page)
    missing = [h for h in links if not (index.parent / html.unescape(h)).exists()]
    assert links and not missing, missing
    check = index.with_name("index_check.html")  # beside it: the same relative links
    check.write_text(page.replace(' loading="lazy"', "").replace("</body>",
                                                                 BROWSER_CHECK + "</body>"))
    out = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                          "--window-size=1400,900", "--virtual-time-budget=10000",
                          "--allow-file-access-from-files", "--dump-dom", check.as_uri()],
                         capture_output=True, text=True, timeout=120)
    check.unlink()
    found = re.search(r'<pre id="imbench-check">(.*?)</pre>', out.stdout, re.S)
    assert found, out.stderr[-2000:]
    state = json.loads(html.unescape(found.group(1)))
    assert state["images"] > 0 and state["broken"] == [], state
    assert state["scrollWidth"] <= state["innerWidth"] and state["wide"] == [], state


def test_editing_one_augmenter_reruns_only_its_cells(run_a, tmp_path):
    config = yaml.safe_load((REPO / ".test" / "config.yaml").read_text())
    config["augmenters"]["smote"]["params"]["k_neighbors"] = 4
    path = tmp_path / "config.yaml"
    # safe_dump also sorts every mapping's keys: reordering keys must not count as a change.
    path.write_text(yaml.safe_dump(config))
    result = snakemake(run_a, "-n", "--quiet", "rules", config=path)
    out = result.stdout + result.stderr
    stats = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            stats[parts[0]] = int(parts[1])
    assert stats.get("augment") == 1, out
    assert stats.get("train_classifier") == 1, out
    assert stats.get("evaluate") == 1, out
    assert "make_imbalanced" not in stats and "fetch_dataset" not in stats, out
    detail = snakemake(run_a, "-n", config=path).stdout
    augmenters = set(re.findall(r"augmenter=(\w+)", detail))
    assert augmenters == {"smote"}, detail


def test_neural_classifiers_through_snakemake(tmp_path):
    """cnn_svm as its two rules (train_cnn, then fit_svm) and eGAN's binary sub-task."""
    config = {
        "datasets": {"digits": {}},
        "imbalances": {"step": {"protocol": "step", "mu": 0.2, "rho": 8}},
        "augmenters": {"none": {"method": "none"}},
        "classifiers": {"cnn_svm": {"method": "cnn_svm", "params": {"epochs": 1}},
                        "egan": {"method": "egan", "params": {"epochs": 1}}},
        "seeds": [0],
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    workdir = tmp_path / "run"
    snakemake(workdir, config=path)
    cell = workdir / "results/digits/step/none"
    assert (workdir / "logs/train_cnn/digits/step/none/cnn_svm/seed0.log").exists()
    assert (workdir / "logs/fit_svm/digits/step/none/cnn_svm/seed0.log").exists()
    features = load_npz(workdir / "models/digits/step/none/cnn_svm/seed0/features.npz")
    assert any(v.ndim == 2 and v.shape[1] > 0 for v in features.values())
    cnn_svm = json.loads((cell / "cnn_svm/seed0/metrics.json").read_text())
    assert len(cnn_svm["confusion_matrix"]) == 10
    egan = json.loads((cell / "egan/seed0/metrics.json").read_text())
    # minority (class 8 or 9 under mu=0.2) against the largest class: a 2 x 2 task on the
    # test images of those two classes, checked against the full original test set's digest
    assert len(egan["confusion_matrix"]) == 2 and egan["minority_classes"] == [1]
    original = load_dataset("digits", cache_dir=tmp_path / ".cache")
    assert egan["test_sha256"] == array_digest(original.x_test, original.y_test)
    assert egan["n_test"] < len(original.y_test)


def test_plus_n_variants_share_one_generator_end_to_end(tmp_path):
    """Two wgan_gp augmenters that differ only in how many images they add: one trained
    generator per class, both augment jobs accept its record, and each quality.json holds
    the library metrics and GAN-train."""
    tiny = {"epochs": 1, "width": 8, "latent_dim": 16, "batch_size": 16,
            "min_iters_per_epoch": 1, "checkpoint_every": 1, "sample_every": 1,
            "selection_samples": 16, "grid_size": 2}
    config = {
        "datasets": {"digits": {}},
        "imbalances": {"step": {"protocol": "step", "mu": 0.2, "rho": 8}},
        "augmenters": {"none": {"method": "none"},
                       "w_small": {"method": "wgan_gp", "sampling_strategy": {8: 60, 9: 60},
                                   "params": tiny},
                       "w_big": {"method": "wgan_gp", "sampling_strategy": {8: 120, 9: 120},
                                 "params": tiny}},
        "classifiers": {"svm": {"method": "svm"}},
        "reference_classifier": {"epochs": 1},
        "seeds": [0],
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    workdir = tmp_path / "run"
    cells = [f"results/digits/step/{a}/seed0/quality.json" for a in ("w_small", "w_big")]
    snakemake(workdir, *cells, config=path)
    trained = sorted(p.parent.relative_to(workdir / "models/digits/step").as_posix()
                     for p in (workdir / "models/digits/step").rglob("generator.pt"))
    # stored under the generator's key (what its training depends on), not a name
    [key] = {t.split("/")[0] for t in trained}
    assert key.startswith("wgan_gp-") and [t.split("/", 1)[1] for t in trained] == [
        "seed0/class8", "seed0/class9"]
    counts = {a: json.loads((workdir / f"data/digits/step/{a}/seed0/counts.json").read_text())
              for a in ("w_small", "w_big")}
    assert [counts[a]["counts"][8] for a in ("w_small", "w_big")] == [60, 120]
    q = json.loads((workdir / cells[1]).read_text())
    c8 = q["classes"]["8"]
    assert c8["n_fake"] == c8["n_generated"] > 0 and c8["fid"] is not None
    assert {"kid_mean", "kid_subset_size", "precision", "recall", "density",
            "coverage"} <= set(c8)
    assert q["gan_train"]["generated_classes"] == [8, 9] and q["gan_train"]["accuracy"] > 0
    assert len(q["feature_extractor"]["sha256"]) == 64
