"""imbench: a reproducible benchmark for class-imbalanced image classification.

Data conventions shared by every module:

* images are ``numpy.uint8`` arrays shaped ``(N, H, W, C)`` with ``C`` in ``{1, 3}``;
* labels are ``numpy.int64`` arrays shaped ``(N,)`` with values ``0 .. n_classes - 1``;
* stages exchange files (``.npz``, ``.json``, ``.csv``, ``.png``), never framework objects.
"""

__version__ = "0.1.0"
