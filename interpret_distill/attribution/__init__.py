"""Attributions of teacher, students and surrogates, and how well they agree and how faithful they are.

Modules: ``forward`` (any model → tensor function), ``methods`` (Captum methods behind one ``attribute``),
``native`` (exact surrogate decompositions), ``agreement`` (vs the teacher), ``faithfulness`` (deletion /
insertion / infidelity) and ``plots``.
"""

from .agreement import METRICS, agreement, agreement_table, cosine, sign_agreement, spearman, topk_agreement
from .faithfulness import (curve_area, deletion_curve, faithfulness_curves, faithfulness_table, infidelity_score,
                           insertion_curve, random_curve)
from .forward import as_forward, is_differentiable
from .methods import (METHODS, MethodSpec, applicable_methods, attribute, attribute_many, patch_feature_mask,
                      resolve_baseline)
from .native import native_attribution, native_kind
from .plots import faithfulness_plot, heatmap_grid, top_features_bars

__all__ = [
    "METHODS", "METRICS", "MethodSpec", "agreement", "agreement_table", "applicable_methods", "as_forward",
    "attribute", "attribute_many", "cosine", "curve_area", "deletion_curve", "faithfulness_curves",
    "faithfulness_plot", "faithfulness_table", "heatmap_grid", "infidelity_score", "insertion_curve",
    "is_differentiable", "native_attribution", "native_kind", "patch_feature_mask", "random_curve",
    "resolve_baseline", "sign_agreement", "spearman", "top_features_bars", "topk_agreement",
]
