"""The report's attribution section: heatmaps or top-feature bars, agreement and faithfulness."""

from __future__ import annotations

import numpy as np

from ..attribution import faithfulness_plot, heatmap_grid, top_features_bars
from ..runs import Run
from . import figures

SHOWN_EXAMPLES = 6
COMPARISON_METHOD = "feature_ablation"  # model-agnostic, so every model is explained the same way


def _per_model(run: Run) -> tuple[dict[str, np.ndarray], str]:
    """One attribution per explained model for the figures: the shared model-agnostic method when computed."""
    arrays = run.attributions
    models = list(dict.fromkeys(model for model, _ in arrays))
    shared = {m: arrays[(m, COMPARISON_METHOD)] for m in models if (m, COMPARISON_METHOD) in arrays}
    if len(shared) == len(models):
        return shared, f"every model explained with {COMPARISON_METHOD}"
    curves = run.faithfulness_curves_methods()
    chosen = {m: arrays[(m, curves[m])] for m in models if m in curves}
    return chosen, "each model's own method: " + ", ".join(f"{m}: {method}" for m, method in curves.items())


def _sentence(run: Run) -> str | None:
    """Which model explains most like the teacher, and how far apart the models are."""
    table = run.agreement
    if table.empty:
        return None
    ranked = table.sort_values("spearman_mean", ascending=False)
    best, worst = ranked.iloc[0], ranked.iloc[-1]
    return (f"Explaining most like the teacher: {best.model} ({best.method}), Spearman rank correlation "
            f"{best.spearman_mean:.2f} ± {best.spearman_std:.2f} and top-{run.config['attribution']['top_k']} "
            f"agreement {best.topk_agreement_mean:.2f}; least alike: {worst.model} ({worst.method}), Spearman "
            f"{worst.spearman_mean:.2f}. Computed on {len(run.attribution_examples)} test examples.")


def attribution_section(run: Run) -> dict:
    """Everything the template needs for the attribution section (figures as data URIs, tables, sentence)."""
    from .render import _generic_table

    if not run.attributions:
        return {"available": False, "sentence": None}
    data = run.dataset
    per_model, how = _per_model(run)
    examples = run.attribution_examples
    X = run.X_test[examples]
    figs = []
    if data["image_shape"]:
        shown = np.arange(min(SHOWN_EXAMPLES, len(X)))
        targets = run.test_probs["teacher"][examples].argmax(1)
        labels = [f"teacher: {data['class_names'][t]}" for t in targets[shown]]
        fig = heatmap_grid(X, per_model, data["image_shape"], examples=shown, labels=labels)
        figs.append({"title": "Heatmaps on test examples", "uri": figures.to_data_uri(fig),
                     "caption": f"Explaining the teacher's predicted class ({how}); red raises it, blue lowers it. "
                                "One shared symmetric colour scale after per-model normalisation."})
    else:
        fig = top_features_bars(per_model, data["feature_names"], top=10)
        figs.append({"title": "Top features per model", "uri": figures.to_data_uri(fig),
                     "caption": f"Mean |attribution| over {len(X)} test examples ({how})."})
    curves = run.faithfulness_curves
    if not curves.empty:
        by_model = {f"{m} ({g.method.iloc[0]})": {k: g[k].to_numpy() for k in
                                                   ("fraction", "deletion", "insertion", "random", "random_insertion")}
                    for m, g in curves.groupby("model", sort=False)}
        for c in by_model.values():
            c["fractions"] = c.pop("fraction")
        figs.append({"title": "Deletion and insertion curves", "uri": figures.to_data_uri(faithfulness_plot(by_model)),
                     "caption": "Each model's own attributions judged on that model; dashed: random order."})
    return {
        "available": True,
        "intro": (f"Attributions explain the teacher's predicted class on {len(X)} test examples for every model, "
                  f"so all models explain the same decision. Baseline: {run.info['attribution']['baseline']}. "
                  "Gradient methods explain the target logit, perturbation methods the target probability, native "
                  "explanations the surrogate's own additive decomposition."),
        "figures": figs,
        "agreement": _generic_table(run.agreement),
        "faithfulness": _generic_table(run.faithfulness),
        "sentence": _sentence(run),
    }
