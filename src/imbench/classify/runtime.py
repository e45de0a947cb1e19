"""The Keras runtime of a training job: thread limits, seeds, determinism, precision."""

from __future__ import annotations

from typing import Any


def configure_runtime(
    *,
    threads: int,
    seed: int | None,
    deterministic: bool = True,
    mixed_precision: bool | str = "auto",
) -> dict[str, Any]:
    """Cap TensorFlow's thread pools, seed every RNG and pick the precision policy.

    Thread limits can only be set before TensorFlow runs its first op; a later call (second
    fit in the same process) keeps the first limits and says so in the returned record.
    Returns what was set, for the training report.
    """
    import keras
    import tensorflow as tf

    threads = max(1, int(threads))
    info: dict[str, Any] = {"threads": threads}
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        # Already initialised in this process: the first call's limits stay in force.
        info["threads"] = tf.config.threading.get_intra_op_parallelism_threads() or threads
        info["threads_note"] = "TensorFlow already initialised; kept earlier thread limits"
    gpus = tf.config.list_physical_devices("GPU")
    info["devices"] = [d.name for d in gpus] or ["CPU"]
    if seed is not None:
        # Seeds Python, NumPy, TensorFlow and Keras' own SeedGenerator stream at once.
        keras.utils.set_random_seed(int(seed))
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    info["deterministic"] = bool(deterministic)
    # float16 on CPU is slower, not faster, so "auto" (and True) only switch it on with a GPU.
    use_mixed = bool(gpus) and mixed_precision in ("auto", True)
    keras.mixed_precision.set_global_policy("mixed_float16" if use_mixed else "float32")
    info["precision_policy"] = "mixed_float16" if use_mixed else "float32"
    return info
