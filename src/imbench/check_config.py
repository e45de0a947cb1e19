"""``python -m imbench.check_config FILE...``: one line naming the file, line and column of a
YAML syntax error, or a key given twice, in config files (Snakemake reads ``--configfile``
files before any workflow code runs, and its own message names neither file nor line)."""

from __future__ import annotations

import sys

from .errors import ConfigError
from .plan.config import check_unique_keys, check_yaml_syntax


def main(paths: list[str]) -> int:
    try:
        for path in paths:
            check_yaml_syntax(path)
            check_unique_keys([path])
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
