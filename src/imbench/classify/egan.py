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
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError, DataError
from ..params import BOOL, Choice, Int, Number, Param, ParamSpec, Text, one_of, optional
from ..sampling import class_count_list
from .applications import APPLICATIONS
from .training import TRAINING, KerasModel, check_images, validation_size, validation_split

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
              trainable_layers: int | None, image_size: int | None, tag: str,
              weights_dir: str | None = None) -> Any:
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
        weights=imagenet_weights(name, weights_dir) if pretrained else None, tag=tag,
    )
    app = keras.Model(app_in, pooled, name=f"{tag}_app")
    # keras.applications expect [0, 255]; the GAN works on [0, 1] (generator's sigmoid).
    return keras.Model(inp, app(layers.Rescaling(255.0, name=f"{tag}_to255")(inp)), name=tag)


def imagenet_weights(name: str, weights_dir: str | None) -> str:
    """What keras.applications loads: "imagenet" (Keras' cache, downloaded when missing), or
    the ``*_notop.h5`` file of ``weights_dir``."""
    from .applications import notop_file

    if weights_dir is None:
        return "imagenet"
    return os.path.join(os.path.expanduser(weights_dir), notop_file(name))


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
    weights_dir: str | None = None,
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
    kw = dict(trainable_layers=trainable_layers, image_size=image_size,
              weights_dir=weights_dir)
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


class EpochChoice:
    """Which epoch's discriminator eGAN keeps, from the validation scores of each epoch.

    ``best``: the best validation balanced accuracy, stopping after ``patience`` epochs
    without a better one. ``nash`` (seed 003): the first epoch whose minority and majority
    validation recalls differ by at most ``threshold`` -- training stops there ("training can
    be stopped as soon as nash equilibrium is reached") -- else, as ``best``. Without both
    classes in the validation part (``can_choose`` false) the last epoch is kept.
    """

    def __init__(self, stopping: str, threshold: float, patience: int | None, *,
                 can_choose: bool = True) -> None:
        self.stopping, self.threshold, self.patience = stopping, threshold, patience
        self.can_choose = can_choose
        self.best_score, self.best_epoch = -np.inf, 0
        self.best_weights: Any = None
        self.wait, self.nash_epoch = 0, None
        #: the epoch at which the choice was final (training may go on for the test curves)
        self.stopped_at: int | None = None

    def see(self, epoch: int, score: float, gap: float, weights: Any) -> None:
        """One epoch's validation balanced accuracy and recall gap; ``weights()`` gives the
        discriminator's weights (read only when this epoch is the one to keep). Once the
        choice is final, later epochs change nothing."""
        if self.stopped_at is not None:
            return
        if self.stopping == "nash" and gap <= self.threshold:
            self.best_score, self.best_epoch, self.best_weights = score, epoch, weights()
            self.nash_epoch = epoch
        elif score > self.best_score:
            self.best_score, self.best_epoch, self.best_weights = score, epoch, weights()
            self.wait = 0
        else:
            self.wait += 1
        if self.nash_epoch is not None or (self.patience is not None
                                           and self.wait >= self.patience):
            self.stopped_at = epoch

    @property
    def stop(self) -> bool:
        return self.can_choose and self.stopped_at is not None

    def words(self) -> str:
        if not self.can_choose:
            return "last epoch (validation split lacks one of the classes)"
        if self.stopping == "nash":
            return (f"nash: first epoch with |validation recall gap| <= {self.threshold} "
                    f"(epoch {self.nash_epoch})" if self.nash_epoch is not None else
                    f"nash never reached (gap <= {self.threshold}): best validation "
                    "balanced accuracy")
        return "best validation balanced accuracy"


@dataclass
class _BinaryTask:
    """The two classes eGAN separates, relabelled 1 = minority, 0 = majority."""

    minority: int
    majority: int
    keep: np.ndarray            # positions of their images in the training set
    x: np.ndarray
    y: np.ndarray
    synthetic: np.ndarray | None

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray, synthetic: np.ndarray | None,
           p: Mapping[str, Any]) -> _BinaryTask:
        minority, majority = pick_binary_classes(y, synthetic, p["minority_class"],
                                                 p["majority_class"])
        keep = np.flatnonzero((y == minority) | (y == majority))
        syn = None if synthetic is None else np.asarray(synthetic, bool)[keep]
        return cls(minority, majority, keep, x[keep], (y[keep] == minority).astype(np.int64),
                   syn)

    def test_part(self, monitor: tuple[np.ndarray, np.ndarray]
                  ) -> tuple[np.ndarray, np.ndarray]:
        y_t = np.asarray(monitor[1], np.int64)
        mask = (y_t == self.minority) | (y_t == self.majority)
        return monitor[0][mask], (y_t[mask] == self.minority).astype(np.int64)


def _require_tensorflow() -> None:
    import keras

    if keras.backend.backend() != "tensorflow":
        # its adversarial step is a tf.function with two GradientTapes
        raise DataError(f"egan trains with TensorFlow; Keras runs on "
                        f"{keras.backend.backend()!r} here (unset KERAS_BACKEND or set "
                        "it to tensorflow)")


def _empty_history(can_choose: bool, monitored: bool) -> dict[str, list[float]]:
    history: dict[str, list[float]] = {"d_loss": [], "g_loss": []}
    scores = ("balanced_accuracy", "precision", "recall", "f1", "correct_minority",
              "correct_majority")
    for split, wanted in (("val", can_choose), ("test", monitored)):
        if wanted:
            history.update({f"{split}_{k}": [] for k in scores})
    return history


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


class EGANClassifier(KerasModel):
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
    # eGAN trains its own adversarial objective: the loss-level options and the recipe of
    # KerasClassifier do not apply
    parameters: ClassVar[ParamSpec] = TRAINING.with_defaults(
        epochs=100, batch_size=64, learning_rate=1e-4, patience=20, class_weight="balanced",
    ) + ParamSpec(
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
        Param("weights_dir", None, optional(Text()),
              "a folder holding keras.applications' ImageNet '*_notop.h5' files, read instead "
              "of Keras' cache (offline machines; each missing file is named at DAG build "
              "with its URL); null: Keras' cache, downloaded on first use"),
        # seed 003's rule: the first epoch whose minority and majority validation recalls
        # differ by at most nash_threshold (20 of 1000 test images each, i.e. 0.02),
        # falling back to "best" when none does
        Param("stopping", "best", one_of("best", "nash"),
              "model choice: best validation balanced accuracy, or seed 003's Nash rule"),
        Param("nash_threshold", 0.02, Number(0, 1, hi_open=True),
              "nash: the largest gap between minority and majority validation recall"),
        # seed 003's 2 or 5 minority images leave none at 10 %: the rule would measure nothing
        Param("validation_min", 0, Int(0),
              "at least this many real images of each class in the validation part (each "
              "class keeps one to train on); a setting that still leaves a class out of it "
              "is refused at DAG build"),
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

    @classmethod
    def check_counts(cls, params: Mapping[str, Any], counts: Sequence[int], key: str,
                     setting: str) -> None:
        """Refuse, before any job, a training set whose validation part would lack the
        minority or the majority class: the epoch choice would have nothing to measure and
        would silently keep the last epoch. ``validation_fraction: 0`` asks for that."""
        p = cls.check_params(params, key)
        if p["validation_fraction"] == 0:
            return
        minority = (p["minority_class"] if p["minority_class"] is not None
                    else int(np.argmin(counts)))
        majority = (p["majority_class"] if p["majority_class"] is not None
                    else max((c for c in range(len(counts)) if c != minority),
                             key=lambda c: counts[c]))
        for role, c in (("minority", minority), ("majority", majority)):
            n = counts[c]
            if validation_size(n, n, p["validation_fraction"], p["validation_min"]) == 0:
                raise ConfigError(
                    f"{key}.validation_fraction", p["validation_fraction"],
                    f"a validation part holding the {role} class: {setting} leaves none of "
                    f"its {n} {role} training image(s) there (validation_min "
                    f"{p['validation_min']}); give validation_min: 1, or validation_fraction: "
                    "0 to keep the last epoch, or exclude the pair")

    @classmethod
    def user_files(cls, params: Mapping[str, Any], key: str) -> list[tuple[str, str, str]]:
        """``(config key, path, where to get it)`` of each weights file ``weights_dir`` must
        hold for the backbones this configuration loads with ImageNet weights."""
        from .applications import NOTOP_URLS

        p = cls.check_params(params, key)
        if p["weights_dir"] is None:
            return []
        used = {}
        for part in ("encoder", "discriminator"):
            name = p[f"{part}_backbone"] or p["backbone"]
            pre = p[f"{part}_pretrained"]
            if (p["pretrained"] if pre is None else pre) and name in NOTOP_URLS:
                used[name] = NOTOP_URLS[name]
        return [(f"{key}.weights_dir", imagenet_weights(name, p["weights_dir"]), url)
                for name, url in sorted(used.items())]

    # -- training ---------------------------------------------------------------------------
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
        _require_tensorflow()
        y = np.asarray(y, dtype=np.int64)
        check_images(x, y)
        p = self.params
        task = _BinaryTask.of(x, y, synthetic, p)
        self.minority_class_, self.majority_class_ = task.minority, task.majority
        self.classes_ = np.array([0, 1])  # 0 = majority, 1 = minority
        self.n_classes_ = 2
        runtime = self._runtime(False)
        train_idx, val_idx = validation_split(task.y, p["validation_fraction"],
                                              self.random_state, task.synthetic,
                                              p["validation_min"])
        self.train_idx_, self.val_idx_ = task.keep[train_idx], task.keep[val_idx]
        x_tr, y_tr = task.x[train_idx], task.y[train_idx]
        min_imgs, maj_imgs = x_tr[y_tr == 1], x_tr[y_tr == 0]
        weights = self._loss_weights(len(min_imgs), len(maj_imgs), task)
        nets = self._networks(tuple(x.shape[1:]))
        step = self._train_step(nets, weights)
        self.model_ = nets[2]
        monitor = (task.test_part(test_monitor)
                   if p["as_published_test_curves"] and test_monitor is not None else None)
        choice, history = self._epochs(step, min_imgs, maj_imgs,
                                       (task.x[val_idx], task.y[val_idx]), monitor)
        self.encoder_, self.generator_ = nets[0], nets[1]
        self.history_ = history
        self.report_ = self._report(runtime, nets, task, train_idx, val_idx, weights, choice)
        if monitor is not None:
            self.report_["as_published"] = _selected_on_test(history)
        return self

    def _loss_weights(self, n_min: int, n_maj: int, task: _BinaryTask) -> tuple[float, float]:
        """The weights of the real-majority and generated terms of the discriminator loss."""
        if n_min == 0 or n_maj == 0:
            raise DataError(f"eGAN needs training images of both classes; got {n_min} minority "
                            f"(class {task.minority}) and {n_maj} majority "
                            f"(class {task.majority})")
        if self.params["class_weight"] == "balanced":
            return 1.0, 1.0
        # weights of an unweighted mean over the pooled (imbalanced) images
        return 2 * n_maj / (n_maj + n_min), 2 * n_min / (n_maj + n_min)

    def _networks(self, shape: tuple[int, ...]) -> tuple[Any, Any, Any]:
        p = self.params
        return build_egan(
            shape, latent_dim=p["latent_dim"],
            encoder_backbone=p["encoder_backbone"] or p["backbone"],
            discriminator_backbone=p["discriminator_backbone"] or p["backbone"],
            pretrained=p["pretrained"], trainable_layers=p["trainable_layers"],
            encoder_pretrained=p["encoder_pretrained"],
            discriminator_pretrained=p["discriminator_pretrained"],
            image_size=p["image_size"], dropout=p["dropout"], weights_dir=p["weights_dir"],
        )

    def _train_step(self, nets: tuple[Any, Any, Any], weights: tuple[float, float]) -> Any:
        """One adversarial step (eq. 1 of the seed) as a tf.function: the discriminator
        learns real majority = 1, generated from minority codes = 0; the encoder and
        generator learn to fool it."""
        import keras
        import tensorflow as tf

        encoder, generator, disc = nets
        w_real, w_fake = weights
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

        return train_step

    def _epochs(self, step: Any, min_imgs: np.ndarray, maj_imgs: np.ndarray,
                val: tuple[np.ndarray, np.ndarray],
                monitor: tuple[np.ndarray, np.ndarray] | None
                ) -> tuple[EpochChoice, dict[str, list[float]]]:
        """Train epoch by epoch, scoring the validation part (and, recorded only, the test
        part) after each; the chosen epoch's weights are restored."""
        p, disc = self.params, self.model_
        rng = np.random.RandomState(self.random_state)
        choice = EpochChoice(p["stopping"], p["nash_threshold"], p["patience"],
                             can_choose=len(np.unique(val[1])) == 2)
        history = _empty_history(choice.can_choose, monitor is not None)
        for epoch in range(1, p["epochs"] + 1):
            d_loss, g_loss = self._one_epoch(step, min_imgs, maj_imgs, rng)
            history["d_loss"].append(d_loss)
            history["g_loss"].append(g_loss)
            line = f"epoch {epoch}: d_loss {d_loss:.4f} g_loss {g_loss:.4f}"
            if monitor is not None:  # recorded only; read by nothing below
                _binary_scores(history, "test", self._logits(monitor[0]) < 0, monitor[1])
            if choice.can_choose:
                score, gap = _binary_scores(history, "val", self._logits(val[0]) < 0, val[1])
                line += f" val_balanced_accuracy {score:.4f}"
                choice.see(epoch, score, gap, disc.get_weights)
            if p["verbose"]:
                print(line, flush=True)
            if choice.stop and monitor is None:
                break  # with test curves, training goes on to the last epoch for them only
        if choice.best_weights is not None:
            disc.set_weights(choice.best_weights)
        else:
            choice.best_epoch = len(history["d_loss"])
        return choice, history

    def _one_epoch(self, step: Any, min_imgs: np.ndarray, maj_imgs: np.ndarray,
                   rng: np.random.RandomState) -> tuple[float, float]:
        """One pass over the majority images; each batch is paired with a same-size minority
        batch for the encoder (drawn with replacement when scarce). Mean losses."""
        import tensorflow as tf

        bs, n_min, n_maj = self.params["batch_size"], len(min_imgs), len(maj_imgs)
        order = rng.permutation(n_maj)
        d_sum = g_sum = 0.0
        n_steps = math.ceil(n_maj / bs)
        for i in range(n_steps):
            idx = order[i * bs:(i + 1) * bs]
            m_idx = rng.choice(n_min, size=len(idx), replace=n_min < len(idx))
            d_l, g_l = step(tf.constant(maj_imgs[idx], tf.float32) / 255.0,
                            tf.constant(min_imgs[m_idx], tf.float32) / 255.0)
            d_sum, g_sum = d_sum + float(d_l), g_sum + float(g_l)
        return d_sum / n_steps, g_sum / n_steps

    def _report(self, runtime: dict[str, Any], nets: tuple[Any, Any, Any], task: _BinaryTask,
                train_idx: np.ndarray, val_idx: np.ndarray, weights: tuple[float, float],
                choice: EpochChoice) -> dict[str, Any]:
        from .layers import describe

        minority, majority = task.minority, task.majority
        return {
            **self._report_head(runtime, {m.name: describe(m) for m in nets}),
            "binary_task": {"minority_class": minority, "majority_class": majority,
                            "labels": {"0": f"majority (dataset class {majority})",
                                       "1": f"minority (dataset class {minority})"}},
            "n_train": len(train_idx),
            "n_val": len(val_idx),
            "train_counts": class_count_list(task.y[train_idx], 2),
            "val_counts": class_count_list(task.y[val_idx], 2),
            "loss_weights": {"real_majority": weights[0], "generated": weights[1]},
            "model_choice": choice.words(),
            "epochs_run": len(self.history_["d_loss"]),
            "best_epoch": choice.best_epoch,
            # with test curves the epochs after it only score the test set (as published)
            "choice_final_at": choice.stopped_at,
            "history": self.history_,
        }

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
