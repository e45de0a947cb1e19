"""Process set-up shared by the workflow's scripts."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any


def start(snakemake: Any) -> logging.Logger:
    """Send stdout/stderr to the rule's log (line-buffered) and cap threads to the rule's.

    Capping matters on small machines: numpy/BLAS, torch and TensorFlow each default to every
    core, and several jobs side by side would oversubscribe them.
    """
    if snakemake.log:
        log = open(snakemake.log[0], "w", buffering=1)  # noqa: SIM115 - lives as long as the job
        sys.stdout = sys.stderr = log
    limit_threads(int(getattr(snakemake, "threads", 1) or 1))
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
        force=True,
    )
    return logging.getLogger("imbench")


def limit_threads(n: int) -> None:
    """Cap BLAS/OpenMP (and torch/TensorFlow, when imported later) to ``n`` threads."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ[var] = str(n)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        pass
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
