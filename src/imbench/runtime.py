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


def torch_threads(n: int) -> int:
    """Set torch's intra-op threads for a job given ``n`` threads, and return the number set.

    Without CUDA the job's numbers depend on that count (reductions are split another way):
    a generator trained with 4 threads differs from one trained with 1, and a retry that
    resumes from a checkpoint with other resources would drift. So torch works on one thread
    wherever there is no GPU (the same numbers on a laptop, the CI cluster and a resumed
    job), and uses the job's ``n`` threads for its host-side work where there is one.
    """
    import torch

    k = int(n) if torch.cuda.is_available() else 1
    torch.set_num_threads(k)
    return k
