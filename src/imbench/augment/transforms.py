"""``transforms``: classic image augmentation, modelled on Keras' ``ImageDataGenerator`` as
used by the reference study, implemented with scikit-image so the CPU path needs no Keras."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..errors import ConfigError
from ..params import BOOL, Choice, Number, Pair, Param, ParamSpec, one_of
from .base import Augmenter

#: Keras ``fill_mode`` -> ``skimage.transform.warp`` ``mode`` (Keras uses scipy.ndimage
#: names; scipy's "reflect" (d c b a | a b c d) is numpy's "symmetric")
FILL_MODES = {"nearest": "edge", "constant": "constant", "reflect": "symmetric", "wrap": "wrap"}


class TransformAugmenter(Augmenter):
    """Each new image is a uniformly drawn real image of the class, put through one random
    affine warp (rotation, shift, shear, zoom, optional horizontal flip, about the image
    centre) and then, with probability ``blur_probability``, a Gaussian blur.

    Params (Keras semantics unless said):

    * ``rotation_range`` degrees, angle ~ U(-r, r);
    * ``width_shift_range`` / ``height_shift_range``: fractions of width/height;
    * ``shear_range`` in DEGREES, as in Keras >= 2 (Keras 1 used radians; 0.1 rad would be
      5.7 degrees, a much stronger shear than the reference configuration meant);
    * ``zoom_range`` z: independent x and y scales ~ U(1 - z, 1 + z);
    * ``horizontal_flip``: ``"auto"`` flips (p = 0.5) only when ``flip_safe`` is True; the
      workflow sets ``flip_safe`` from the dataset spec (digits are not flip-invariant), and
      ``True`` with ``flip_safe=False`` is a ConfigError;
    * ``blur_sigma`` ``(lo, hi)``: sigma ~ U(lo, hi) in pixels, applied per channel;
    * ``fill_mode`` / ``cval``: how pixels from outside the image are filled;
    * ``zca_whitening`` / ``zca_epsilon``: see below.

    ZCA whitening: Keras whitens every image the generator yields. Here the classifier sees
    raw pixels and the test set must stay untouched, so whitening the training originals
    would put train and test in different spaces. Instead, when enabled, ZCA is fitted on the
    class's real images (pixels / 255, flattened, centred on the class mean, ``epsilon``
    added to the covariance eigenvalues) and applied only to the new images; each whitened
    image is then mapped back to the intensity mean and standard deviation of the image it
    was whitened from and rounded/clipped to uint8. The new images so keep the originals'
    brightness and contrast while carrying the whitening's edge emphasis. Directions the
    class's images do not span (fewer images than pixels) get the ``1/sqrt(epsilon)`` gain,
    as in Keras.
    """

    name: ClassVar[str] = "transforms"
    synthesises: ClassVar[bool] = True
    single_image: ClassVar[bool] = True
    parameters: ClassVar[ParamSpec] = ParamSpec(
        Param("rotation_range", 10.0, Number(0, 180, unit="degrees"),
              "rotation angle ~ U(-r, r), in degrees"),
        Param("width_shift_range", 0.1, Number(0, 1, hi_open=True),
              "horizontal shift ~ U(-s, s), a fraction of the width"),
        Param("height_shift_range", 0.1, Number(0, 1, hi_open=True),
              "vertical shift ~ U(-s, s), a fraction of the height"),
        Param("shear_range", 0.1, Number(0, 89, unit="degrees"),
              "shear angle ~ U(-s, s), in degrees (Keras >= 2; Keras 1 read radians)"),
        Param("zoom_range", 0.1, Number(0, 1, hi_open=True),
              "independent x and y scales ~ U(1 - z, 1 + z)"),
        Param("horizontal_flip", "auto", one_of(True, False, "auto"),
              "flip with p = 0.5; 'auto' flips only datasets that are flip-invariant"),
        Param("flip_safe", False, BOOL,
              "whether flips keep the label (set by the workflow from the dataset)"),
        Param("blur_sigma", (0.0, 1.0), Pair(Number(0)),
              "Gaussian blur sigma ~ U(lo, hi), in pixels, per channel"),
        Param("blur_probability", 0.5, Number(0, 1), "probability that an image is blurred"),
        Param("zca_whitening", False, BOOL,
              "ZCA-whiten the new images, fitted on the class's real images"),
        Param("zca_epsilon", 1e-6, Number(0, lo_open=True),
              "added to the covariance eigenvalues before ZCA"),
        Param("fill_mode", "nearest", Choice(tuple(sorted(FILL_MODES))),
              "how pixels from outside the image are filled (Keras' names)"),
        Param("cval", 0.0, Number(), "the fill value of fill_mode 'constant'"),
    )

    @classmethod
    def check_params(cls, params: Mapping[str, Any] | None = None, key: str = "params"
                     ) -> dict[str, Any]:
        """As ``Augmenter.check_params``; the ``horizontal_flip=True`` / dataset conflict is
        checked only when ``flip_safe`` is among ``params``, because config validation runs
        before the workflow adds ``flip_safe`` from the dataset spec. ``fit_resample`` always
        checks it (an absent ``flip_safe`` counts as False there)."""
        params = dict(params or {})
        resolved = super().check_params(params, key)
        if params.get("horizontal_flip") is True and params.get("flip_safe", True) is False:
            raise ConfigError(
                f"{key}.horizontal_flip", True,
                "False or 'auto' for a dataset that is not flip-invariant (flip_safe=False)",
            )
        return resolved

    def _generate(
        self, x: np.ndarray, y: np.ndarray, cls: int, n: int, rng: np.random.RandomState
    ) -> np.ndarray:
        p = self.params_
        x_cls = x[y == cls]
        sources = rng.randint(0, len(x_cls), size=n)
        flip = p["horizontal_flip"] is True or (p["horizontal_flip"] == "auto" and p["flip_safe"])
        out = np.empty((n, *x.shape[1:]), dtype=np.float64)
        for i, s in enumerate(sources):
            out[i] = self._augment_one(x_cls[s].astype(np.float64), rng, flip)
        if p["zca_whitening"]:
            out = _zca_keep_intensity(x_cls, out, float(p["zca_epsilon"]))
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)

    def _augment_one(
        self, img: np.ndarray, rng: np.random.RandomState, flip_allowed: bool
    ) -> np.ndarray:
        from skimage.filters import gaussian
        from skimage.transform import AffineTransform, warp

        p = self.params_
        h, w = img.shape[:2]
        # every draw happens whatever the params, so switching one transform off does not
        # reshuffle the random numbers the others get
        theta = np.deg2rad(rng.uniform(-p["rotation_range"], p["rotation_range"]))
        tx = rng.uniform(-p["width_shift_range"], p["width_shift_range"]) * w
        ty = rng.uniform(-p["height_shift_range"], p["height_shift_range"]) * h
        shear = np.deg2rad(rng.uniform(-p["shear_range"], p["shear_range"]))
        zx, zy = rng.uniform(1 - p["zoom_range"], 1 + p["zoom_range"], size=2)
        flip = rng.rand() < 0.5
        blur = rng.rand() < p["blur_probability"]
        sigma = rng.uniform(*p["blur_sigma"])

        # forward map: move the centre to the origin, flip/zoom, shear, rotate, move back
        # and shift; composing by hand keeps it one warp (one interpolation, less blur)
        cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
        to_origin = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]], dtype=np.float64)
        scale = np.diag([zx * (-1.0 if flip and flip_allowed else 1.0), zy, 1.0])
        shear_m = np.array([[1, np.tan(shear), 0], [0, 1, 0], [0, 0, 1]], dtype=np.float64)
        c, s = np.cos(theta), np.sin(theta)
        rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=np.float64)
        back = np.array([[1, 0, cx + tx], [0, 1, cy + ty], [0, 0, 1]], dtype=np.float64)
        matrix = back @ rot @ shear_m @ scale @ to_origin
        out = warp(
            img, AffineTransform(matrix=matrix).inverse, order=1,
            mode=FILL_MODES[p["fill_mode"]], cval=float(p["cval"]), preserve_range=True,
        )
        if blur and sigma > 0:
            out = gaussian(out, sigma=sigma, channel_axis=-1, preserve_range=True)
        return out


def _zca_keep_intensity(x_fit: np.ndarray, imgs: np.ndarray, eps: float) -> np.ndarray:
    """Whiten ``imgs`` (float, 0..255) with ZCA fitted on ``x_fit`` (uint8), then restore each
    image's own mean and standard deviation."""
    whiten = _fit_zca(x_fit.reshape(len(x_fit), -1).astype(np.float64) / 255.0, eps)
    flat = imgs.reshape(len(imgs), -1)
    z = whiten(flat / 255.0)
    z_mean, z_std = z.mean(axis=1, keepdims=True), z.std(axis=1, keepdims=True)
    mean, std = flat.mean(axis=1, keepdims=True), flat.std(axis=1, keepdims=True)
    # a flat whitened image carries no structure to rescale: fall back to the plain mean
    unit = np.divide(z - z_mean, z_std, out=np.zeros_like(z), where=z_std > 1e-12)
    return (unit * std + mean).reshape(imgs.shape)


def _fit_zca(flat: np.ndarray, eps: float) -> Callable[[np.ndarray], np.ndarray]:
    """ZCA ``W = U diag(1/sqrt(lambda + eps)) U^T`` of the covariance of ``flat`` (n, d).

    Computed from the thin SVD of the centred data (n x d) rather than the d x d covariance,
    since minority classes often have fewer images than pixels; the unspanned complement has
    eigenvalue 0 and so gain ``1/sqrt(eps)``.
    """
    mean = flat.mean(axis=0)
    _, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
    gain = 1.0 / np.sqrt(s**2 / len(flat) + eps)
    rest = 1.0 / np.sqrt(eps)

    def apply(a: np.ndarray) -> np.ndarray:
        c = a - mean
        proj = c @ vt.T
        return (proj * gain) @ vt + (c - proj @ vt) * rest

    return apply
