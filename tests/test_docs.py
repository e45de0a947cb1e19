"""The YAML in the README and docs is what a user copies: every block is checked.

A block with ``datasets:`` is a whole config: with its placeholder paths pointed at small
files this test writes, it passes the schema, the package's checks and a dry-run of the
workflow. Any other block is an excerpt (``report:``, ``published:``): merged into the
default config, it passes the schema.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
import yaml

from imbench.plan import Grid, prepare_config
from imbench.plan.schema import validate_config

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def fenced(lang: str) -> list[tuple[Path, int, str]]:
    """Every ```lang block of the docs: (page, line of its opening fence, body)."""
    out = []
    for path in DOCS:
        text = path.read_text()
        for m in re.finditer(rf"^```{lang}\n(.*?)^```", text, re.M | re.S):
            out.append((path, text[:m.start()].count("\n") + 1, m.group(1)))
    return out


BLOCKS = [(f"{path.relative_to(REPO)}:{line}", body) for path, line, body in fenced("yaml")]


def test_the_docs_have_yaml_blocks():
    assert len(BLOCKS) >= 4, [name for name, _ in BLOCKS]


def _real_paths(cfg: dict, tmp_path: Path) -> dict:
    """Placeholder sources and folders -> files and folders of the right kind."""
    from PIL import Image

    # a user's folder: ten classes, enough images for every protocol of the examples
    folder = tmp_path / "images"
    for c in range(10):
        (folder / f"class{c}").mkdir(parents=True, exist_ok=True)
        for i in range(140):
            Image.fromarray(np.full((8, 8), i, np.uint8)).save(folder / f"class{c}" / f"{i}.png")
    source = tmp_path / "source"
    source.mkdir(exist_ok=True)
    for entry in (cfg.get("datasets") or {}).values():
        if isinstance(entry, dict):
            if "source" in entry:
                entry["source"] = str(source)
            if "path" in entry:
                entry["path"] = str(folder)
    return cfg


@pytest.mark.parametrize(("where", "text"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_yaml_block_is_valid(where, text, tmp_path, dry_run):
    block = yaml.safe_load(text)
    assert isinstance(block, dict), where
    if "datasets" in block:
        cfg = _real_paths(copy.deepcopy(block), tmp_path)
        prepare_config(cfg)
        validate_config(cfg)
        Grid(cfg)
        assert dry_run(cfg), where
    else:
        cfg = yaml.safe_load((REPO / "config.yaml").read_text())
        cfg.update(copy.deepcopy(block))
        prepare_config(cfg)
        validate_config(cfg)


# --- commands and links --------------------------------------------------------------------

def shell_commands() -> list[tuple[str, list[str]]]:
    """Every command line of every ```bash block: comments dropped, continuations joined,
    split as the shell would."""
    out = []
    for path, fence, block in fenced("bash"):
        body = re.sub(r"\\\n\s*", " ", block)
        for n, raw in enumerate(body.splitlines(), start=fence + 1):
            # a command substitution is a command of its own, and one word of its line
            inner = re.findall(r"\$\(([^)]*)\)", raw)
            outer = shlex.split(re.sub(r"\$\([^)]*\)", "WORD", raw), comments=True)
            for words in [outer, *map(shlex.split, inner)]:
                if words:
                    out.append((f"{path.relative_to(REPO)}:{n}", words))
    return out


COMMANDS = shell_commands()
PLACEHOLDER = re.compile(r"^(my[._]|path/to/|report\.html$)")


def _repo_file(name: str, where: str) -> None:
    if not PLACEHOLDER.match(name) and not name.startswith(".venv/"):
        assert (REPO / name).exists(), f"{where}: {name} is not in the repository"


def _check_snakemake(args: list[str], where: str) -> None:
    from snakemake.cli import get_argument_parser

    try:
        parsed = get_argument_parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"{where}: snakemake refuses {' '.join(args)}")
    for name in parsed.configfile or []:
        _repo_file(str(name), where)
    for profile in parsed.profile or []:  # `gpu` at the root links to profiles/gpu
        assert (REPO / profile).is_dir(), f"{where}: no profile {profile}"


def _check_python(args: list[str], where: str) -> None:
    if args[0] == "-m":
        assert importlib.util.find_spec(args[1]), f"{where}: no module {args[1]}"
        return
    script = REPO / args[0]
    assert script.is_file(), f"{where}: no script {args[0]}"
    source = script.read_text()
    for flag in (a.split("=")[0] for a in args[1:] if a.startswith("--")):
        assert flag in source, f"{where}: {args[0]} has no option {flag}"


def _check_make(args: list[str], where: str) -> None:
    targets = re.findall(r"^([a-z-]+):", (REPO / "Makefile").read_text(), re.M)
    for target in args:
        assert target in targets, f"{where}: the Makefile has no target {target}"


CHECKS = {"snakemake": _check_snakemake, "python": _check_python, "make": _check_make}


@pytest.mark.parametrize(("where", "words"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_in_the_docs_exists(where, words):
    while words and (words[0] == "sudo" or re.match(r"^[A-Z_]+=", words[0])):
        words = words[1:]
    program, args = Path(words[0]).name, words[1:]
    if program in CHECKS:
        CHECKS[program](args, where)
    elif program in ("bash", "source"):
        _repo_file(args[0], where)
    else:  # a script of the repository, run by its path
        _repo_file(words[0], where)
        assert os.access(REPO / words[0], os.X_OK), f"{where}: {words[0]} is not executable"


def _anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens."""
    heads = re.findall(r"^#+ (.*)$", page.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


LINKS = [(f"{page.relative_to(REPO)}", target) for page in DOCS
         for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text())
         if not re.match(r"^(https?|mailto):", target)]


@pytest.mark.parametrize(("page", "target"), LINKS, ids=[f"{p}->{t}" for p, t in LINKS])
def test_every_link_in_the_docs_resolves(page, target):
    path, _, anchor = target.partition("#")
    file = (REPO / page).parent / path if path else REPO / page
    assert file.exists(), f"{page}: {path} does not exist"
    if anchor:
        assert anchor in _anchors(file), f"{page}: {file.name} has no heading #{anchor}"


@pytest.mark.parametrize("registry", ["augmenters", "classifiers", "protocols"])
def test_the_readme_names_every_registered_method(registry):
    from imbench.augment import AUGMENTERS
    from imbench.classify import CLASSIFIERS
    from imbench.imbalance import PROTOCOLS

    names = {"augmenters": AUGMENTERS, "classifiers": CLASSIFIERS, "protocols": PROTOCOLS}
    readme = (REPO / "README.md").read_text()
    missing = [n for n in names[registry] if n != "none" and f"`{n}`" not in readme]
    assert not missing, f"README.md does not name the {registry} {missing}"


def test_the_configuration_page_names_every_dataset_loader():
    from imbench.datasets import DATASETS

    page = (REPO / "docs" / "configuration.md").read_text()
    missing = [n for n in DATASETS if f"`{n}`" not in page]
    assert not missing, f"docs/configuration.md does not name the loaders {missing}"
