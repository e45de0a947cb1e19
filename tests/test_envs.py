"""The per-rule conda envs (`--sdm conda`): pinned to the versions the test-suite runs, and
each installs the imbench package itself after creation (a post-deploy script)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml

REPO = Path(__file__).resolve().parents[1]
ENVS = sorted((REPO / "envs").glob("*.yaml"))
# The cluster builds of the frameworks the suite runs as CPU builds: same version.
CLUSTER_NAMES = {"tensorflow[and-cuda]": "tensorflow-cpu"}


def project_pins() -> dict[str, str]:
    """name -> version from pyproject.toml's dependencies/extras and constraints.txt."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    lines += (REPO / "constraints.txt").read_text().splitlines()
    pins = {}
    for line in lines:
        m = re.match(r"^\s*([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def env_pins(path: Path) -> dict[str, str]:
    spec = yaml.safe_load(path.read_text())
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    out = {}
    for req in pip:
        name, _, version = req.partition("==")
        assert version, f"{path.name}: {req!r} is not pinned"
        out[name.lower()] = version
    return out


def test_every_rule_env_exists_with_a_post_deploy_script() -> None:
    used = set()
    for smk in (REPO / "rules").glob("*.smk"):
        used |= set(re.findall(r'"\.\./(envs/[\w.-]+\.yaml)"', smk.read_text()))
    assert used and used <= {str(p.relative_to(REPO)) for p in ENVS}
    for env in ENVS:
        script = env.with_name(env.stem + ".post-deploy.sh")
        assert script.is_file(), f"{env.name} has no {script.name}"
        assert "pip install" in script.read_text() and "IMBENCH_SOURCE" in script.read_text()


@pytest.mark.parametrize("env", ENVS, ids=[p.stem for p in ENVS])
def test_env_pins_are_the_tested_versions(env: Path) -> None:
    pins = project_pins()
    for name, version in env_pins(env).items():
        tested = CLUSTER_NAMES.get(name, name)
        assert tested in pins, f"{env.name}: {name} is not pinned by the project"
        assert version == pins[tested], f"{env.name}: {name}=={version}, tests run {pins[tested]}"


def test_post_deploy_installs_this_checkout(tmp_path: Path) -> None:
    """What Snakemake does after creating an env: run the script with the env's python
    first on PATH and IMBENCH_SOURCE exported (rules/common.smk)."""
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "IMBENCH_SOURCE": str(REPO)}
    env.pop("PYTHONPATH", None)
    script = REPO / "envs" / "gan.post-deploy.sh"
    subprocess.run(["bash", str(script)], env=env, check=True, capture_output=True,
                   timeout=300)
    # where the env's python finds the package (find_spec: without importing numpy & co.)
    out = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import importlib.util as u; print(u.find_spec('imbench').origin)"],
                         env=env, check=True, capture_output=True, text=True, cwd=tmp_path)
    assert Path(out.stdout.strip()).resolve().is_relative_to(REPO / "src")
    # without the variable the script stops with a clear message instead of guessing
    env.pop("IMBENCH_SOURCE")
    res = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert res.returncode != 0 and "IMBENCH_SOURCE" in res.stderr
