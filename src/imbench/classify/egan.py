"""eGAN (seed 003): an encoder-generator-discriminator whose discriminator is the classifier.

The encoder maps *minority* images to a 128-d latent code, the generator decodes it into an
image, and the discriminator learns to score real *majority* images positive and generated
ones negative (eq. 1 of the seed). A test image with a negative score is classified minority.

Binary task on multi-class files (documented choice):

* ``minority_class`` / ``majority_class`` name two dataset classes; null picks the class with
  the fewest / most *real* training images (ties: lowest label). Training uses only the
  training images of those two classes.
* Predictions are made on the dataset's unmodified test set, filtered *at prediction time* to
  those two classes and relabelled **1 = minority, 0 = majority** (so binary metrics with
  positive label 1 describe the minority class). ``scores[:, 0]`` is the discriminator logit
  ``s`` and ``scores[:, 1] = -s`` (decision values; ``argmax`` predicts minority exactly when
  ``s < 0``, the seed's rule). The digest in ``predictions.npz`` is of the whole, unfiltered
  test set (the metrics stage checks it against the dataset's original), ``test_indices`` say
  which images were scored, and :meth:`EGANClassifier.evaluation_set` returns a record of the
  filtering that the training report keeps.

Model choice: the seed picks its epoch by watching the *test* set ("nash equilibrium"); here
the epoch with the best balanced accuracy on the validation split (real images of both
classes, carved from the training set) is kept, with ``patience`` for early stopping.

Backbones: ``backbone: small`` (default, offline) is a three-conv LeakyReLU CNN; any
keras.applications name in ``applications.APPLICATIONS`` (the seed: densenet121) loads ImageNet
weights with ``pretrained: true`` and fine-tunes its top ``trainable_layers`` layers (5 in the
seed). ``class_weight: balanced`` (default, = eq. 1: the majority and generated terms weigh
the same) or null (terms weighted by the real class frequencies, as an unweighted mean over
the imbalanced pool would). eGAN trains in float32 even on a GPU (custom loop, no loss
scaling).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError, DataError
from ..params import BOOL, Choice, Int, Number, Param, ParamSpec, one_of, optional
from .applications import APPLICATIONS
from .losses import PARAMETERS as LOSS_PARAMETERS
from .runtime import configure_runtime
from .training import (
    RECIPE,
    KerasClassifier,
    check_images,
    class_counts,
    validation_split,
)

BACKBONES = ("small", *APPLICATIONS)


def pick_binary_classes(
    y: np.ndarray,
    synthetic: np.ndarray | None,
    minority: int | None,
    majority: int | None,
) -> tuple[int, int]:
    """``(minority, majority)``: the given classes, or those with fewest / most real images."""
    y = np.asarray(y)
    real = y if synthetic is None else y[~np.asarray(synthetic, bool)]
    present = np.unique(y)
    counts = {int(c): int(np.sum(real == c)) for c in present}
    if minority is None:
        minority = min(counts, key=lambda c: (counts[c], c))
    if majority is None:
        others = [c for c in counts if c != minority]
        if not others:
            raise DataError("eGAN needs two classes in the training set; found one")
        majority = min(others, key=lambda c: (-counts[c], c))
    for key, c in (("minority_class", minority), ("majority_class", majority)):
        if int(c) not in counts:
            raise ConfigError(key, c, sorted(counts))
    if minority == majority:
        raise ConfigError("majority_class", majority, "a class other than minority_class")
    return int(minority), int(majority)


def _backbone(name: str, input_shape: tuple[int, ...], *, pretrained: bool,
              trainable_layers: int | None, image_size: int | None, tag: str) -> Any:
    """A sub-model from ``[0, 1]`` images to a pooled feature vector."""
    import keras
    from keras import layers

    inp = keras.Input(shape=input_shape, name=f"{tag}_in")
    if name == "small":
        h = inp
        for i, (filters, stride) in enumerate(((32, 2), (64, 2), (128, 1)), start=1):
            h = layers.Conv2D(filters, 3, strides=stride, padding="same", name=f"{tag}_conv{i}")(h)
            h = layers.LeakyReLU(0.2, name=f"{tag}_lrelu{i}")(h)
        return keras.Model(inp, layers.GlobalAveragePooling2D(name=f"{tag}_gap")(h), name=tag)
    from .layers import application_backbone

    # Freezing only makes sense for ImageNet weights; a randomly initialised backbone trains whole.
    app_in, pooled = application_backbone(
        name, input_shape, image_size=image_size,
        trainable_layers=trainable_layers if pretrained else None,
        weights="imagenet" if pretrained else None, tag=tag,
    )
    app = keras.Model(app_in, pooled, name=f"{tag}_app")
    # keras.applications expect [0, 255]; the GAN works on [0, 1] (generator's sigmoid).
    return keras.Model(inp, app(layers.Rescaling(255.0, name=f"{tag}_to255")(inp)), name=tag)


def build_egan(
    input_shape: tuple[int, ...],
    *,
    latent_dim: int = 128,
    encoder_backbone: str = "small",
    discriminator_backbone: str = "small",
    pretrained: bool = False,
    trainable_layers: int | None = 5,
    encoder_pretrained: bool | None = None,
    discriminator_pretrained: bool | None = None,
    image_size: int | None = None,
    dropout: float = 0.2,
) -> tuple[Any, Any, Any]:
    """``(encoder, generator, discriminator)`` Keras models on ``[0, 1]`` images.

    Generator (seed 003): Dense to a quarter-size map, then two stride-2 transposed convs with
    batch norm and LeakyReLU(0.2), sigmoid output, resized when the side is not a multiple of
    4. Discriminator: backbone, dropout 0.2, one linear unit (the score).
    ``encoder_pretrained`` / ``discriminator_pretrained`` (None: ``pretrained``) choose ImageNet
    weights for each backbone apart (seed 003 Fig 5: a discriminator without pre-training).
    """
    import keras
    from keras import layers

    h_img, w_img, c_img = (int(s) for s in input_shape)
    kw = dict(trainable_layers=trainable_layers, image_size=image_size)
    enc_pre = pretrained if encoder_pretrained is None else encoder_pretrained
    disc_pre = pretrained if discriminator_pretrained is None else discriminator_pretrained

    enc_in = keras.Input(shape=input_shape, name="enc_image")
    feat = _backbone(encoder_backbone, input_shape, tag="enc_backbone", pretrained=enc_pre,
                     **kw)(enc_in)
    encoder = keras.Model(enc_in, layers.Dense(latent_dim, name="latent")(feat), name="encoder")

    h0, w0 = math.ceil(h_img / 4), math.ceil(w_img / 4)
    z = keras.Input(shape=(latent_dim,), name="latent_in")
    g = layers.Dense(h0 * w0 * 128, name="gen_dense")(z)
    g = layers.Reshape((h0, w0, 128), name="gen_reshape")(g)
    g = layers.BatchNormalization(name="gen_bn0")(g)
    g = layers.LeakyReLU(0.2, name="gen_lrelu0")(g)
    g = layers.Conv2DTranspose(64, 4, strides=2, padding="same", name="gen_deconv1")(g)
    g = layers.BatchNormalization(name="gen_bn1")(g)
    g = layers.LeakyReLU(0.2, name="gen_lrelu1")(g)
    g = layers.Conv2DTranspose(c_img, 4, strides=2, padding="same", activation="sigmoid",
                               name="gen_deconv2")(g)
    if (4 * h0, 4 * w0) != (h_img, w_img):
        g = layers.Resizing(h_img, w_img, name="gen_resize")(g)
    generator = keras.Model(z, g, name="generator")

    d_in = keras.Input(shape=input_shape, name="disc_image")
    d = _backbone(discriminator_backbone, input_shape, tag="disc_backbone",
                  pretrained=disc_pre, **kw)(d_in)
    d = layers.Dropout(dropout, name="disc_dropout")(d)
    discriminator = keras.Model(d_in, layers.Dense(1, name="score")(d), name="discriminator")
    return encoder, generator, discriminator


def _binary_scores(history: dict[str, list[float]], split: str, pred_min: np.ndarray,
                   y: np.ndarray) -> tuple[float, float]:
    """Append one epoch's scores on ``split`` (minority = positive): balanced accuracy,
    precision, recall, F1 and correct counts per class (seed 003 Fig 4, Tables 1-6).
    Returns (balanced accuracy, |minority recall - majority recall|)."""
    from sklearn.metrics import precision_recall_fscore_support

    rec_min = float(np.mean(pred_min[y == 1]))
    rec_maj = float(np.mean(~pred_min[y == 0]))
    prec, rec, f1, _ = precision_recall_fscore_support(
        y, pred_min.astype(np.int64), labels=[1], average="binary", zero_division=0)
    score = (rec_min + rec_maj) / 2
    for key, value in (("balanced_accuracy", score), ("precision", prec), ("recall", rec),
                       ("f1", f1), ("correct_minority", np.sum(pred_min[y == 1])),
                       ("correct_majority", np.sum(~pred_min[y == 0]))):
        history[f"{split}_{key}"].append(float(value))
    return score, abs(rec_min - rec_maj)


def _choice_words(can_choose: bool, p: Mapping[str, Any], nash_epoch: int | None) -> str:
    if not can_choose:
        return "last epoch (validation split lacks one of the classes)"
    if p["stopping"] == "nash":
        return (f"nash: first epoch with |validation recall gap| <= {p['nash_threshold']} "
                f"(epoch {nash_epoch})" if nash_epoch is not None else
                f"nash never reached (gap <= {p['nash_threshold']}): best validation "
                "balanced accuracy")
    return "best validation balanced accuracy"


def _selected_on_test(history: Mapping[str, list[float]]) -> dict[str, Any]:
    """What seed 003 reported: the best test value of each curve over the epochs, and its
    epoch. Labelled: choosing on the test set is optimistic, so these stand beside the
    honest numbers (metrics.json, chosen on validation), never in place of them."""
    out: dict[str, Any] = {
        "label": "as published (selected on test): the maximum over epochs of each test "
                 "curve, as seed 003 chose; optimistic, shown beside the honest numbers"}
    for key in ("balanced_accuracy", "precision", "recall", "f1"):
        values = history.get(f"test_{key}") or []
        if values:
            i = int(np.argmax(values))
            out[key] = {"value": float(values[i]), "epoch": i + 1}
    return out


class EGANClassifier(KerasClassifier):
    """Seed 003's eGAN as a binary classifier (see the module docstring for the task mapping).

    Parameters: the common neural ones (defaults: 100 epochs, batch 64, Adam 1e-4 as in the
    seed, ``class_weight: balanced``), plus ``minority_class``, ``majority_class``,
    ``latent_dim`` (128), ``backbone`` ("small" or a keras.applications name),
    ``encoder_backbone`` / ``discriminator_backbone`` (null = ``backbone``), ``pretrained``,
    ``encoder_pretrained`` / ``discriminator_pretrained`` (null = ``pretrained``),
    ``trainable_layers`` (5), ``image_size`` (null = native, at least 32 for applications),
    ``dropout`` (0.2).
    """

    name: ClassVar[str] = "egan"
    score_kind: ClassVar[str] = "decision"
    #: fit takes ``test_monitor`` (for ``as_published_test_curves`` only)
    monitors_test: ClassVar[bool] = True
    parameters: ClassVar[ParamSpec] = KerasClassifier.parameters.without(
        # eGAN trains its own adversarial objective: the loss-level options do not apply
        *LOSS_PARAMETERS.names, *RECIPE.names,
    ).with_defaults(epochs=100, batch_size=64, learning_rate=1e-4, patience=20,
                    class_weight="balanced") + ParamSpec(
        Param("minority_class", None, optional(Int(0)),
              "the task's minority class (null: the smallest training class)"),
        Param("majority_class", None, optional(Int(0)),
              "the task's majority class (null: the largest other class)"),
        Param("latent_dim", 128, Int(1), "size of the generator's noise vector"),
        Param("backbone", "small", Choice(BACKBONES),
              "small (a 3-block CNN) or a keras.applications name"),
        Param("encoder_backbone", None, optional(Choice(BACKBONES)),
              "the encoder's backbone (null: backbone)"),
        Param("discriminator_backbone", None, optional(Choice(BACKBONES)),
              "the discriminator's backbone (null: backbone)"),
        Param("pretrained", False, BOOL, "ImageNet weights for the backbones"),
        # per backbone (seed 003 Fig 5 trains the discriminator without pre-training)
        Param("encoder_pretrained", None, optional(BOOL),
              "ImageNet weights for the encoder (null: pretrained)"),
        Param("discriminator_pretrained", None, optional(BOOL),
              "ImageNet weights for the discriminator (null: pretrained)"),
        Param("trainable_layers", 5, optional(Int(0)),
              "each backbone's last weight layers trained (null: all)"),
        Param("image_size", None, optional(Int(8)),
              "resize images to this size (null: native, at least 32 for applications)"),
        Param("dropout", 0.2, Number(0, 1, hi_open=True), "dropout before each head"),
        # seed 003's rule: the first epoch whose minority and majority validation recalls
        # differ by at most nash_threshold (20 of 1000 test images each, i.e. 0.02),
        # falling back to "best" when none does
        Param("stopping", "best", one_of("best", "nash"),
              "model choice: best validation balanced accuracy, or seed 003's Nash rule"),
        Param("nash_threshold", 0.02, Number(0, 1, hi_open=True),
              "nash: the largest gap between minority and majority validation recall"),
        # the epoch kept and the predictions never depend on it
        Param("as_published_test_curves", False, BOOL,
              "also score the test set after every epoch, only to report what choosing the "
              "epoch on it (as seed 003 did) would give, labelled as such"),
    )

    @classmethod
    def _check_values(cls, p: dict[str, Any], key: str) -> None:
        super()._check_values(p, key)
        if p["minority_class"] is not None and p["minority_class"] == p["majority_class"]:
            raise ConfigError(f"{key}.majority_class", p["majority_class"],
                              "a class != minority_class")

    # -- training ----------------------------------------------------------------------------
    def fit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        n_classes: int | None = None,
        *,
        synthetic: np.ndarray | None = None,
        test_monitor: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> EGANClassifier:
        """``test_monitor``: the test set, scored after each epoch only when
        ``as_published_test_curves`` is on, for the labelled "selected on test" numbers;
        nothing it gives reaches the model choice."""
        import keras

        if keras.backend.backend() != "tensorflow":
            # its adversarial step is a tf.function with two GradientTapes
            raise DataError(f"egan trains with TensorFlow; Keras runs on "
                            f"{keras.backend.backend()!r} here (unset KERAS_BACKEND or set "
                            "it to tensorflow)")
        import tensorflow as tf

        y = np.asarray(y, dtype=np.int64)
        check_images(x, y)
        p = self.params
        minority, majority = pick_binary_classes(y, synthetic, p["minority_class"],
                                                 p["majority_class"])
        self.minority_class_, self.majority_class_ = minority, majority
        self.classes_ = np.array([0, 1])  # 0 = majority, 1 = minority
        self.n_classes_ = 2
        keep = np.flatnonzero((y == minority) | (y == majority))
        x2 = x[keep]
        y2 = (y[keep] == minority).astype(np.int64)
        syn2 = None if synthetic is None else np.asarray(synthetic, bool)[keep]

        runtime = configure_runtime(threads=self.n_jobs, seed=self.random_state,
                                    deterministic=p["deterministic"], mixed_precision=False)
        train_idx, val_idx = validation_split(y2, p["validation_fraction"], self.random_state,
                                              syn2)
        self.train_idx_, self.val_idx_ = keep[train_idx], keep[val_idx]
        min_imgs = x2[train_idx][y2[train_idx] == 1]
        maj_imgs = x2[train_idx][y2[train_idx] == 0]
        n_min, n_maj = len(min_imgs), len(maj_imgs)
        if n_min == 0 or n_maj == 0:
            raise DataError(f"eGAN needs training images of both classes; got {n_min} minority "
                            f"(class {minority}) and {n_maj} majority (class {majority})")
        if p["class_weight"] == "balanced":
            w_real, w_fake = 1.0, 1.0
        else:  # weights of an unweighted mean over the pooled (imbalanced) images
            w_real, w_fake = 2 * n_maj / (n_maj + n_min), 2 * n_min / (n_maj + n_min)

        encoder, generator, disc = build_egan(
            tuple(x.shape[1:]), latent_dim=p["latent_dim"],
            encoder_backbone=p["encoder_backbone"] or p["backbone"],
            discriminator_backbone=p["discriminator_backbone"] or p["backbone"],
            pretrained=p["pretrained"], trainable_layers=p["trainable_layers"],
            encoder_pretrained=p["encoder_pretrained"],
            discriminator_pretrained=p["discriminator_pretrained"],
            image_size=p["image_size"], dropout=p["dropout"],
        )
        d_vars = disc.trainable_variables
        g_vars = encoder.trainable_variables + generator.trainable_variables
        d_opt, g_opt = self._optimizer(), self._optimizer()
        # Built outside tf.function so that no variable is created while tracing.
        d_opt.build(d_vars)
        g_opt.build(g_vars)
        bce = keras.losses.BinaryCrossentropy(from_logits=True)

        @tf.function
        def train_step(real: tf.Tensor, minority_batch: tf.Tensor) -> tuple[tf.Tensor, ...]:
            with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
                fake = generator(encoder(minority_batch, training=True), training=True)
                s_real = disc(real, training=True)
                s_fake = disc(fake, training=True)
                d_loss = (w_real * bce(tf.ones_like(s_real), s_real)
                          + w_fake * bce(tf.zeros_like(s_fake), s_fake))
                g_loss = bce(tf.ones_like(s_fake), s_fake)  # fool D
            d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars, strict=True))
            g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars, strict=True))
            return d_loss, g_loss

        self.model_ = disc
        rng = np.random.RandomState(self.random_state)
        bs = p["batch_size"]
        x_val, y_val = x2[val_idx], y2[val_idx]
        can_choose = len(np.unique(y_val)) == 2
        history: dict[str, list[float]] = {"d_loss": [], "g_loss": []}
        if can_choose:
            history.update(val_balanced_accuracy=[], val_precision=[], val_recall=[],
                           val_f1=[], val_correct_minority=[], val_correct_majority=[])
        monitor = None
        if p["as_published_test_curves"] and test_monitor is not None:
            y_t = np.asarray(test_monitor[1], np.int64)
            mask = (y_t == minority) | (y_t == majority)
            monitor = (test_monitor[0][mask], (y_t[mask] == minority).astype(np.int64))
            history.update(test_balanced_accuracy=[], test_precision=[], test_recall=[],
                           test_f1=[], test_correct_minority=[], test_correct_majority=[])
        best_score, best_epoch, best_weights, wait = -np.inf, 0, None, 0
        nash_epoch = None
        for epoch in range(1, p["epochs"] + 1):
            # One epoch = one pass over the majority images; each batch is paired with a
            # same-size minority batch for the encoder (drawn with replacement when scarce).
            order = rng.permutation(n_maj)
            d_sum = g_sum = 0.0
            n_steps = math.ceil(n_maj / bs)
            for step in range(n_steps):
                idx = order[step * bs:(step + 1) * bs]
                m_idx = rng.choice(n_min, size=len(idx), replace=n_min < len(idx))
                d_l, g_l = train_step(tf.constant(maj_imgs[idx], tf.float32) / 255.0,
                                      tf.constant(min_imgs[m_idx], tf.float32) / 255.0)
                d_sum, g_sum = d_sum + float(d_l), g_sum + float(g_l)
            history["d_loss"].append(d_sum / n_steps)
            history["g_loss"].append(g_sum / n_steps)
            line = f"epoch {epoch}: d_loss {d_sum / n_steps:.4f} g_loss {g_sum / n_steps:.4f}"
            if monitor is not None:  # recorded only; read by nothing below
                _binary_scores(history, "test", self._logits(monitor[0]) < 0, monitor[1])
            if can_choose:
                score, gap = _binary_scores(history, "val", self._logits(x_val) < 0, y_val)
                line += f" val_balanced_accuracy {score:.4f}"
                if p["stopping"] == "nash" and gap <= p["nash_threshold"]:
                    best_score, best_epoch, best_weights = score, epoch, disc.get_weights()
                    nash_epoch = epoch
                elif score > best_score:
                    best_score, best_epoch, best_weights, wait = score, epoch, disc.get_weights(), 0
                else:
                    wait += 1
            if p["verbose"]:
                print(line, flush=True)
            if nash_epoch is not None:
                break  # seed 003: "training can be stopped as soon as nash equilibrium is reached"
            if can_choose and p["patience"] is not None and wait >= p["patience"]:
                break
        if best_weights is not None:
            disc.set_weights(best_weights)
        else:
            best_epoch = len(history["d_loss"])
        self.encoder_, self.generator_ = encoder, generator
        self.history_ = history
        from .layers import describe

        self.report_ = {
            "classifier": self.name,
            "params": dict(p),
            "seed": self.random_state,
            "runtime": runtime,
            "model": {m.name: describe(m) for m in (encoder, generator, disc)},
            "binary_task": {"minority_class": minority, "majority_class": majority,
                            "labels": {"0": f"majority (dataset class {majority})",
                                       "1": f"minority (dataset class {minority})"}},
            "n_train": len(train_idx),
            "n_val": len(val_idx),
            "train_counts": class_counts(y2[train_idx], 2),
            "val_counts": class_counts(y2[val_idx], 2),
            "loss_weights": {"real_majority": w_real, "generated": w_fake},
            "model_choice": _choice_words(can_choose, p, nash_epoch),
            "epochs_run": len(history["d_loss"]),
            "best_epoch": best_epoch,
            "history": history,
        }
        if monitor is not None:
            self.report_["as_published"] = _selected_on_test(history)
        return self

    # -- inference ---------------------------------------------------------------------------
    def _logits(self, x: np.ndarray) -> np.ndarray:
        out = []
        bs = max(self.params["batch_size"], 256)
        for i in range(0, len(x), bs):
            batch = x[i:i + bs].astype(np.float32) / 255.0
            out.append(np.asarray(self.model_(batch, training=False), np.float64)[:, 0])
        return np.concatenate(out) if out else np.zeros(0)

    def predict_scores(self, x: np.ndarray) -> np.ndarray:
        """``(N, 2)`` decision values: column 0 (majority) = s, column 1 (minority) = -s."""
        self._check_fitted()
        check_images(x)
        s = self._logits(x)
        return np.stack([s, -s], axis=1)

    def evaluation_set(
        self, x_test: np.ndarray, y_test: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """Test images of the two classes, relabelled 1 = minority, 0 = majority."""
        self._check_fitted()
        y_test = np.asarray(y_test, np.int64)
        mask = (y_test == self.minority_class_) | (y_test == self.majority_class_)
        task = {
            "task": "binary",
            "minority_class": self.minority_class_,
            "majority_class": self.majority_class_,
            "labels": self.report_["binary_task"]["labels"],
            "n_test_total": len(y_test),
            "n_test_used": int(mask.sum()),
            "note": "the dataset's unmodified test set, filtered at prediction time to the two "
                    "classes and relabelled; test_sha256 is of the whole test set",
            "test_indices": np.flatnonzero(mask),
            # sub-task label i is original class task_classes[i]
            "task_classes": [self.majority_class_, self.minority_class_],
            "class_names": [f"majority (class {self.majority_class_})",
                            f"minority (class {self.minority_class_})"],
        }
        return x_test[mask], (y_test[mask] == self.minority_class_).astype(np.int64), task
