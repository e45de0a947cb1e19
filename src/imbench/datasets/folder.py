"""A user's own images: one sub-folder per class.

Layouts accepted under ``path``::

    path/<class>/<image>                      test split made here (seeded, stratified)
    path/train/<class>/<image>, path/test/<class>/<image>     split given by the user

Class names are the sorted sub-folder names; files are read in sorted order, so the same
folder always gives the same arrays.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ..params import Param, ParamSpec, Text, optional
from .base import SPLIT, Dataset, DatasetSpec, stratified_split

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
TEST_FRACTION = 0.2
SPLIT_SEED = 0

Listing = dict[str, list[tuple[Path, int]]]


def _root(source: str | os.PathLike[str] | None, options: Mapping[str, Any]) -> Path:
    path = options.get("path")
    if path is not None and source is not None and Path(path) != Path(source):
        raise ConfigError("path", path, f"the same directory as source ({source}), or only one")
    path = path if path is not None else source
    if path is None:
        raise ConfigError("path", None, "a directory with one sub-folder of images per class")
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"folder dataset: {root} does not exist or is not a directory")
    return root


def _visible_dirs(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))


def _images(directory: Path) -> list[Path]:
    return sorted(
        p for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
    )


def scan(root: Path) -> tuple[tuple[str, ...], Listing]:
    """Class names and the ``(file, label)`` list of each split (``"all"`` if unsplit)."""
    split_layout = (root / "train").is_dir() and (root / "test").is_dir()
    tops = {"train": root / "train", "test": root / "test"} if split_layout else {"all": root}
    class_names = tuple(d.name for d in _visible_dirs(tops.get("train", root)))
    if len(class_names) < 2:
        raise DataError(
            f"folder dataset {tops.get('train', root)}: found {len(class_names)} class "
            f"sub-folder(s) {list(class_names)}; need at least 2 (one sub-folder per class)"
        )
    listing: Listing = {}
    for split, top in tops.items():
        names = tuple(d.name for d in _visible_dirs(top))
        if names != class_names:
            raise DataError(
                f"folder dataset: class sub-folders of {top} {list(names)} differ from those "
                f"of {tops['train']} {list(class_names)}"
            )
        listing[split] = []
        for label, name in enumerate(class_names):
            files = _images(top / name)
            if not files:
                raise DataError(
                    f"folder dataset: {top / name} holds no image "
                    f"(suffixes {sorted(IMAGE_SUFFIXES)})"
                )
            listing[split].extend((f, label) for f in files)
    return class_names, listing


def _read(file: Path, changes: dict[str, list[Path]] | None = None) -> np.ndarray:
    """The image as uint8 HWC (C 1 or 3); what had to change is added to ``changes``."""
    import skimage.io
    import skimage.util

    try:
        image = skimage.io.imread(file)
    except Exception as exc:  # imageio raises many types; any means "unreadable"
        # the reader's own message can mislead ("install imageio[pyav]" for a cut PNG)
        raise DataError(f"folder dataset: cannot read image {file}: corrupt, truncated or "
                        f"not the {file.suffix} image its name says ({type(exc).__name__})"
                        ) from exc
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 2, 3, 4):
        raise DataError(f"folder dataset: image {file} has unsupported shape {image.shape}")
    changed = []
    if image.shape[-1] in (2, 4):
        # Drop the alpha channel: the project stores grayscale or RGB only.
        image = image[..., :-1]
        changed.append("alpha channel dropped")
    if image.dtype != np.uint8:
        # 16-bit PNGs, float TIFFs: rescale to the project's uint8.
        changed.append(f"{image.dtype} pixels rescaled to uint8")
        image = skimage.util.img_as_ubyte(image)
    if changes is not None:
        for what in changed:
            changes.setdefault(what, []).append(file)
    return np.ascontiguousarray(image)


def _notes(changes: dict[str, list[Path]]) -> tuple[str, ...]:
    return tuple(f"{what}: {len(files)} image(s), e.g. {files[0]}"
                 for what, files in sorted(changes.items()))


def _stack(files: list[tuple[Path, int]], reference: list[Any],
           changes: dict[str, list[Path]] | None = None) -> tuple[np.ndarray, np.ndarray]:
    images = []
    for file, _ in files:
        image = _read(file, changes)
        if not reference:
            reference.extend([image.shape, file])
        elif image.shape != reference[0]:
            raise DataError(
                f"folder dataset: image {file} has shape {image.shape}, but {reference[1]} has "
                f"{reference[0]}; all images must share one shape (H, W, C) - resize or convert "
                f"them first"
            )
        images.append(image)
    return np.stack(images), np.array([label for _, label in files], dtype=np.int64)


def folder_images(path: str | os.PathLike[str], shape: tuple[int, ...]) -> np.ndarray:
    """Every image under ``path`` (recursively, hidden files skipped, in path order) as uint8
    NHWC of ``shape``: a second image domain (CycleGAN's ``source_folder``)."""
    root = Path(path).expanduser()
    files = sorted(p for p in root.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(root).parts)
                   and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"source folder {root} holds no image (suffixes "
                        f"{sorted(IMAGE_SUFFIXES)})")
    images = []
    for file in files:
        image = _read(file)
        if image.shape != tuple(shape):
            raise DataError(f"source folder image {file} has shape {image.shape}; the "
                            f"dataset's images are {tuple(shape)} (H, W, C): resize or "
                            "convert them first")
        images.append(image)
    return np.stack(images)


def load_folder(
    spec: DatasetSpec,
    *,
    cache_dir: str | os.PathLike[str],
    source: str | os.PathLike[str] | None = None,
    offline: bool = False,
    **options: Any,
) -> Dataset:
    """Read every image under ``path`` (or ``source``) with scikit-image.

    Grayscale stays one channel; an alpha channel is dropped and other depths are rescaled
    to uint8, each said in the dataset's ``notes``. Without ``train/`` and ``test/``
    sub-folders the test set is a stratified split of ``test_fraction`` (default 0.2) seeded
    by ``split_seed`` (default 0).
    """
    test_fraction = FOLDER.option(options, "test_fraction")
    split_seed = FOLDER.option(options, "split_seed")
    class_names, listing = scan(_root(source, options))
    reference: list[Any] = []
    changes: dict[str, list[Path]] = {}
    if "all" in listing:
        x, y = _stack(listing["all"], reference, changes)
        train, test = stratified_split(y, test_fraction, split_seed)
        return Dataset(x[train], y[train], x[test], y[test], class_names=class_names,
                       notes=_notes(changes))
    x_train, y_train = _stack(listing["train"], reference, changes)
    x_test, y_test = _stack(listing["test"], reference, changes)
    return Dataset(x_train, y_train, x_test, y_test, class_names=class_names,
                   notes=_notes(changes))


def _train_counts(options: Mapping[str, Any]) -> tuple[int, ...] | None:
    """Counted from file names when ``path`` is given (no image is read); else None."""
    if options.get("path") is None and options.get("source") is None:
        return None
    class_names, listing = scan(_root(options.get("source"), options))
    if "all" in listing:
        y = np.array([label for _, label in listing["all"]], dtype=np.int64)
        train, _ = stratified_split(
            y,
            FOLDER.option(options, "test_fraction"),
            FOLDER.option(options, "split_seed"),
        )
        y = y[train]
    else:
        y = np.array([label for _, label in listing["train"]], dtype=np.int64)
    return tuple(int(c) for c in np.bincount(y, minlength=len(class_names)))


FOLDER = DatasetSpec(
    name="folder",
    class_names=(),
    image_shape=None,
    # Unknown content: flipping could change a label, so augmenters must not assume it.
    flip_safe=False,
    parameters=ParamSpec(
        Param("path", None, optional(Text()),
              "the folder with one sub-folder of images per class (or train/ and test/ "
              "sub-folders holding those)"),
        Param("source", None, optional(Text()), "the same as path"),
    ) + SPLIT.with_defaults(test_fraction=TEST_FRACTION, split_seed=SPLIT_SEED),
    loader="imbench.datasets.folder:load_folder",
    counts_fn=_train_counts,
)
