"""The augment stage as one call: an imbalanced training set in, a rebalanced one out."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..sampling import PROTOCOL, class_counts, concrete_strategy


def rebalance(
    x: np.ndarray,
    y: np.ndarray,
    *,
    method: str,
    sampling_strategy: Any = "auto",
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    flip_safe: bool = False,
    generators: Mapping[str, str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Resample with the registered augmenter ``method``.

    Returns images, labels, a synthetic mask (True for generated images) and a summary
    (counts before/after, images added per class, resolved parameters).
    """
    from . import AUGMENTERS

    cls = AUGMENTERS[method]
    params = dict(params or {})
    if "flip_safe" in cls.default_params:
        # Whether a horizontal flip keeps the label is a fact of the dataset, not a choice.
        params["flip_safe"] = bool(flip_safe)
    # the augmenter checks its params (once, at fit time, imbalanced-learn style)
    augmenter = cls(sampling_strategy=sampling_strategy, random_state=seed, **params)
    if cls.generator is not None:
        augmenter.set_generators(dict(generators or {}))
    n_classes = int(y.max()) + 1 if y.size else 0
    before = class_counts(y, n_classes)
    x_res, y_res = augmenter.fit_resample(x, y)
    after = class_counts(y_res, n_classes)
    present = [n for n in after.values() if n > 0]
    info = {
        "method": method,
        "sampling_strategy": sampling_strategy,
        "params": params,
        "counts_before": list(before.values()),
        "counts": list(after.values()),
        "added": {int(c): int(n) for c, n in augmenter.sampling_strategy_.items()},
        "n_synthetic": int(augmenter.synthetic_mask_.sum()),
        "rho": max(present) / min(present) if present else None,
        "notes": list(getattr(augmenter, "notes_", [])),
        "generation_seconds": dict(getattr(augmenter, "generation_seconds_", {})),
    }
    return x_res, y_res, augmenter.synthetic_mask_, info


def rebalance_files(
    imbalanced_path: str | os.PathLike[str],
    counts_path: str | os.PathLike[str],
    train_path: str | os.PathLike[str],
    train_counts_path: str | os.PathLike[str],
    *,
    augmenter: Mapping[str, Any],
    cell: Mapping[str, Any],
    sampling_strategy: Any,
    flip_safe: bool,
    seed: int,
    generators: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The augment job: the rebalanced ``train.npz`` and its counts.json, from the
    imbalanced set (both files checked against their records and each other) and the
    generators it samples (each checked to be made from this imbalanced set). Returns the
    counts info; its ``notes`` say what the run changed or skipped (the job logs them)."""
    from .. import records
    from ..errors import DataError
    from ..provenance import provenance
    from . import AUGMENTERS

    data = records.load(imbalanced_path, "imbalanced", cell)
    imbalanced = records.read_json_describing(counts_path, "imbalanced", cell, data.record)
    cls = AUGMENTERS[augmenter["method"]]
    # `protocol` left for the job when the counts were unknown as the DAG was built (folders)
    strategy = concrete_strategy(sampling_strategy, cls.kind, imbalanced["original_counts"],
                                 imbalanced["counts"])
    for path in (generators or {}).values():
        from ..generators.sampling import generator_record  # torch: generative only

        record = generator_record(path)
        if record is None:
            raise DataError(f"{path}: has no record of what made it; delete it and rerun")
        records.check(record, path, "generator", cell)
        records.check_made_from(record, "imbalanced", data.record, path)
    x, y, synthetic, info = rebalance(
        data["x"], data["y"], method=augmenter["method"], sampling_strategy=strategy,
        params=augmenter["params"], seed=seed, flip_safe=flip_safe,
        generators=generators)
    # the configured value: the DAG may already have made `protocol` concrete ({} here)
    if augmenter.get("sampling_strategy") == PROTOCOL and cls.kind == "over" and not cls.baseline \
            and info["n_synthetic"] == 0 and not info["added"]:
        info["notes"].append(
            f"sampling_strategy 'protocol' adds nothing here: the imbalance protocol shrank "
            f"no class (the set's own ratio is {imbalanced['rho']:.2f}); set "
            f"sampling_strategy: auto to bring every class up to the largest")
    # the machine's time, not a result: with how the file was made
    info["provenance"] = {**provenance(dict(cell), seed),
                          "generation_seconds": info.pop("generation_seconds")}
    record = records.save(train_path, "train", cell, made_from={"imbalanced": data.record},
                          x=x, y=y, synthetic=synthetic)
    records.write_json_describing(train_counts_path, info, "train", cell, record)
    return info
