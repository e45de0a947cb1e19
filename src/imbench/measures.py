"""The vocabulary of generator quality: every measure quality.json holds, once — its key,
label, definition and which way is better — read by quality.json (its ``definitions`` and
``class_means``), the generators' epoch choice, the quality table and the quality figure.

Light (no torch): the DAG build reads it through the generators' parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

#: pairs of generated images compared for diversity
MAX_PAIRS = 1000
#: generated images searched for their nearest real image (memorisation)
MAX_MEMORISATION_IMAGES = 200
#: real images (nearest in pixel L2) among which the nearest in SSIM is sought
NEAREST_CANDIDATES = 16
#: SSIM to the nearest real image from which a generated image counts as a near copy
NEAR_COPY_SSIM = 0.95
#: KID: subsets averaged over
KID_SUBSETS = 100
#: k of the k-NN balls of precision / recall (Kynkäänniemi et al. 2019) and density /
#: coverage (Naeem et al. 2020); 5 is Naeem et al.'s recommendation
PRDC_K = 5


@dataclass(frozen=True)
class Measure:
    """One measure of generated images.

    ``key``: its name in quality.json; ``label``: its name in tables and figures;
    ``summary``: one line of what it shows; ``definition``: how it is computed (quality.json's
    ``definitions``); ``better``: ``"lower"``, ``"higher"`` or None; ``selection``: its name as
    an epoch-choice measure (``selection:``), if it is one; ``feature_space``: computed in a
    feature space (so also in Inception-v3's, where given); ``table`` / ``figure``: shown in
    the quality table / against the classifier's gain; ``class_mean``: averaged over the
    classes in quality.json's ``class_means``.
    """

    key: str
    label: str
    summary: str
    definition: str
    better: str | None
    selection: str | None = None
    feature_space: bool = False
    table: bool = True
    figure: bool = False
    class_mean: bool = True

    @property
    def caption(self) -> str:
        """``label: summary (lower = better)``, for a table's legend."""
        way = f"; {self.better} = better" if self.better else ""
        return f"{self.label}: {self.summary}{way}"

    @property
    def axis(self) -> str:
        """A figure axis label: the label, then which way is better."""
        return f"{self.label}\n({self.better} = better)" if self.better else self.label


MEASURES: tuple[Measure, ...] = (
    Measure("diversity_ssim", "Diversity (SSIM)",
            "mean pairwise SSIM among added images (seed 001 Table 4)",
            f"mean SSIM over up to {MAX_PAIRS} random pairs of generated images of the class "
            "(lower = more diverse)", "lower", figure=True),
    Measure("reference_accuracy", "Discriminability",
            "accuracy of the reference CNN on added images (seed 001 Table 5)",
            "GAN-test (Shmelkov et al. 2018): accuracy of the reference classifier on the "
            "generated images of the class (discriminability, seed 001 Table 5)", "higher",
            figure=True),
    Measure("kid_mean", "KID",
            "kernel inception distance, the same feature space (unbiased at small n)",
            f"kernel inception distance (torchmetrics; cubic polynomial kernel), mean over "
            f"{KID_SUBSETS} subsets of kid_subset_size images each (min(1000, n_real, "
            "n_fake)); kid_std their std", "lower", selection="kid", feature_space=True,
            figure=True),
    Measure("fid", "FID",
            "Fréchet distance between real and added images of the class in the reference "
            "classifier's feature space",
            "Fréchet distance (torchmetrics FrechetInceptionDistance with the feature "
            "extractor below) between the real and the generated images of the class; "
            "biased upwards for small n, so compare at equal n", "lower", selection="fid",
            feature_space=True),
    Measure("precision", "Precision",
            f"fraction of added images inside the real images' k-NN manifold (prdc, "
            f"k = {PRDC_K}; fidelity)",
            f"improved precision (Kynkäänniemi et al. 2019; prdc, k = {PRDC_K}): fraction of "
            "generated images inside the real k-NN manifold", "higher",
            selection="precision", feature_space=True, figure=True),
    Measure("recall", "Recall",
            f"fraction of real images inside the added images' manifold (prdc, k = {PRDC_K}; "
            "variety)",
            f"improved recall (Kynkäänniemi et al. 2019; prdc, k = {PRDC_K}): fraction of real "
            "images inside the generated k-NN manifold", "higher", selection="recall",
            feature_space=True, figure=True),
    Measure("density", "Density",
            f"how many real k-NN balls hold each added image (prdc, k = {PRDC_K})",
            f"density (Naeem et al. 2020; prdc, k = {PRDC_K})", "higher", selection="density",
            feature_space=True, table=False),
    Measure("coverage", "Coverage",
            f"fraction of real images whose k-NN ball holds an added image (prdc, "
            f"k = {PRDC_K})",
            f"coverage (Naeem et al. 2020; prdc, k = {PRDC_K})", "higher",
            selection="coverage", feature_space=True, table=False),
    Measure("near_copy_fraction", "Memorisation",
            f"fraction of added images with SSIM ≥ {NEAR_COPY_SSIM} to their nearest real "
            "training image",
            f"fraction of the generated images searched (memorisation_ssim_mean) whose "
            f"nearest-real SSIM is >= {NEAR_COPY_SSIM}", "lower"),
)

BY_KEY = {m.key: m for m in MEASURES}
#: the epoch choice's measures, by their ``selection`` names (``last``: no score)
SELECTION_METRICS = tuple(m.selection for m in MEASURES if m.selection)
#: epoch-choice measures where more is better: their score is the negated value
HIGHER_IS_BETTER = frozenset(m.selection for m in MEASURES
                             if m.selection and m.better == "higher")
#: measured in a feature space (the reference classifier's, and Inception-v3's when given)
FEATURE_MEASURES = tuple(m.key for m in MEASURES if m.feature_space)
#: averaged over the classes in quality.json
CLASS_MEANS = tuple(m.key for m in MEASURES if m.class_mean)
