"""Speed of the cnn_svm classifier (not a test): images/s of seed 000's CNN training epochs and
the RBF SVM's fit + predict time on the §4.4 subsample of its 1024-d features.

    .venv/bin/python bench/cnn_speed.py                       # 20,000 random 28x28x1 images
    .venv/bin/python bench/cnn_speed.py --n-train 2000 --n-test 500 --svm-per-class 100
    .venv/bin/python bench/cnn_speed.py --data /work/shared/data/fashion_mnist.npz --epochs 2
    .venv/bin/python bench/cnn_speed.py --shape 32,32,3 --n-train 2048 --n-test 256 \
        --epochs 2 --threads 1 --batch-size 32 --mixed-precision bfloat16   # vs ... false

With ``--data`` (an .npz with x_train, y_train, x_test, y_test) a seeded random ``--n-train``
training images and ``--n-test`` test images are used and test accuracies are printed too;
otherwise images and labels are uniform noise of Fashion-MNIST's shape. The first epoch
includes graph tracing; pass ``--epochs 2`` or more to see the steady state. Prints one JSON
object (also written to ``--output`` when given).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np


def _per_class(value: str) -> int | str:
    return value if value == "all" else int(value)


def _subset(x: np.ndarray, y: np.ndarray, n: int, rng: np.random.RandomState
            ) -> tuple[np.ndarray, np.ndarray]:
    idx = np.sort(rng.permutation(len(x))[:n])
    return x[idx], y[idx].astype(np.int64)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", help="npz with x_train, y_train, x_test, y_test (else noise)")
    ap.add_argument("--n-train", type=int, default=20000)
    ap.add_argument("--n-test", type=int, default=10000)
    ap.add_argument("--shape", default="28,28,1", help="H,W,C of the noise images")
    ap.add_argument("--n-classes", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--svm-per-class", type=_per_class, default=1000)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mixed-precision", default="auto", choices=["auto", "false", "bfloat16"],
                    help="the classifier's mixed_precision (bfloat16: mixed_bfloat16 on CPU)")
    ap.add_argument("--output", help="also write the result JSON here")
    args = ap.parse_args(argv)

    # Before TensorFlow starts: its thread pools read these once.
    for var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    import keras

    from imbench.classify.cnn import CNNClassifier
    from imbench.classify.cnn_svm import FeatureSVM

    rng = np.random.RandomState(args.seed)
    if args.data:
        with np.load(args.data) as d:
            # a seeded random subset: some copies are sorted by class
            x, y = _subset(d["x_train"], d["y_train"], args.n_train, rng)
            xt, yt = _subset(d["x_test"], d["y_test"], args.n_test, rng)
        if x.ndim == 3:
            x, xt = x[..., None], xt[..., None]
        n_classes = int(max(y.max(), yt.max())) + 1
    else:
        shape = tuple(int(s) for s in args.shape.split(","))
        x = rng.randint(0, 256, (args.n_train, *shape), dtype=np.uint8)
        y = rng.randint(0, args.n_classes, args.n_train).astype(np.int64)
        xt = rng.randint(0, 256, (args.n_test, *shape), dtype=np.uint8)
        yt = rng.randint(0, args.n_classes, args.n_test).astype(np.int64)
        n_classes = args.n_classes

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t0)

    times: list[float] = []
    # validation_fraction 0: every image is trained on, so images/s is n_train / epoch time.
    precision = {"auto": "auto", "false": False}.get(args.mixed_precision,
                                                      args.mixed_precision)
    cnn = CNNClassifier(random_state=args.seed, n_jobs=args.threads, epochs=args.epochs,
                        batch_size=args.batch_size, validation_fraction=0.0, verbose=0,
                        mixed_precision=precision)
    fit = keras.Model.fit

    def timed_fit(self, *a, **kw):  # adds the timer without changing the classifier
        kw["callbacks"] = [*kw.get("callbacks", []), EpochTimer()]
        return fit(self, *a, **kw)

    keras.Model.fit = timed_fit
    try:
        t0 = time.perf_counter()
        cnn.fit(x, y, n_classes)
        cnn_total = time.perf_counter() - t0
    finally:
        keras.Model.fit = fit

    t0 = time.perf_counter()
    f_train, f_test = cnn.features(x), cnn.features(xt)
    feature_time = time.perf_counter() - t0
    svm = FeatureSVM(per_class=args.svm_per_class, random_state=args.seed)
    t0 = time.perf_counter()
    svm.fit(f_train, y, n_classes)
    svm_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    scores = svm.scores(f_test)
    svm_predict = time.perf_counter() - t0

    import tensorflow as tf

    result = {
        "device": [d.name for d in tf.config.list_physical_devices("GPU")] or ["CPU"],
        "cpu": platform.processor() or platform.machine(),
        "threads": args.threads,
        "mixed_precision": args.mixed_precision,
        "data": args.data or f"noise {x.shape[1:]}",
        "n_train": len(x),
        "n_test": len(xt),
        "batch_size": args.batch_size,
        "cnn_params": cnn.report_["model"]["params_total"],
        "precision_policy": cnn.report_["runtime"]["precision_policy"],
        "epoch_seconds": [round(t, 3) for t in times],
        "images_per_second": [round(len(x) / t, 1) for t in times],
        "cnn_fit_seconds_total": round(cnn_total, 3),
        "feature_seconds": round(feature_time, 3),
        "svm_per_class": args.svm_per_class,
        "svm_n_train": svm.n_train_,
        "svm_fit_seconds": round(svm_fit, 3),
        "svm_predict_seconds": round(svm_predict, 3),
    }
    if args.data:
        result["cnn_test_accuracy"] = float(np.mean(cnn.predict(xt) == yt))
        result["cnn_svm_test_accuracy"] = float(np.mean(np.argmax(scores, 1) == yt))
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")
    return result


if __name__ == "__main__":
    main()
