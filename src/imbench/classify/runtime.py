"""The Keras runtime of a training job: thread limits, seeds, determinism, precision.

Keras 3 runs on TensorFlow (the default) or on PyTorch (``KERAS_BACKEND=torch`` in the
environment before Keras is imported: a machine with PyTorch but no TensorFlow, such as the
GPU machines here). Both are configured the same way; the record names the backend.
"""

from __future__ import annotations

import os
from typing import Any


def configure_runtime(
    *,
    threads: int,
    seed: int | None,
    deterministic: bool = True,
    mixed_precision: bool | str = "auto",
) -> dict[str, Any]:
    """Cap the backend's thread pools, seed every RNG and pick the precision policy.

    Thread limits can only be set before TensorFlow runs its first op; a later call (second
    fit in the same process) keeps the first limits and says so in the returned record.
    Returns what was set, for the training report.
    """
    import keras

    threads = max(1, int(threads))
    backend = keras.backend.backend()
    if backend == "torch":
        info = _configure_torch(threads, deterministic)
    elif backend == "tensorflow":
        info = _configure_tensorflow(threads, deterministic)
    else:
        from ..errors import ConfigError

        raise ConfigError("KERAS_BACKEND", backend, ["tensorflow", "torch"])
    if seed is not None:
        # Seeds Python, NumPy, the backend and Keras' own SeedGenerator stream at once.
        keras.utils.set_random_seed(int(seed))
    info["deterministic"] = bool(deterministic)
    # float16 on CPU is slower, not faster, so "auto" (and True) only switch it on with a GPU;
    # "bfloat16" asks for mixed_bfloat16 anywhere (fast on CPUs with AVX-512 BF16).
    if mixed_precision == "bfloat16":
        policy = "mixed_bfloat16"
    elif info["devices"] != ["CPU"] and mixed_precision in ("auto", True):
        policy = "mixed_float16"
    else:
        policy = "float32"
    keras.mixed_precision.set_global_policy(policy)
    info["precision_policy"] = policy
    return info


def _configure_tensorflow(threads: int, deterministic: bool) -> dict[str, Any]:
    import tensorflow as tf

    info: dict[str, Any] = {"backend": "tensorflow", "threads": threads}
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        # Already initialised in this process: the first call's limits stay in force.
        info["threads"] = tf.config.threading.get_intra_op_parallelism_threads() or threads
        info["threads_note"] = "TensorFlow already initialised; kept earlier thread limits"
    gpus = tf.config.list_physical_devices("GPU")
    info["devices"] = [d.name for d in gpus] or ["CPU"]
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    return info


def _configure_torch(threads: int, deterministic: bool) -> dict[str, Any]:
    import torch

    torch.set_num_threads(threads)
    info: dict[str, Any] = {"backend": "torch", "threads": threads}
    info["devices"] = ([torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
                       or ["CPU"])
    if deterministic:
        # cuBLAS needs this workspace setting for deterministic matmuls on a GPU
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=False)
        torch.backends.cudnn.benchmark = False
    return info
