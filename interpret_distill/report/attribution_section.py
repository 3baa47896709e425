"""The report's attribution section: heatmaps or top-feature bars, agreement and faithfulness."""

from __future__ import annotations

import numpy as np

from ..attribution import faithfulness_plot, heatmap_grid, top_features_bars
from ..runs import Run
from . import figures
from .tables import generic_table

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


def group_attributions(per_model: dict[str, np.ndarray], feature_groups, group_names: list[str]
                       ) -> dict[str, np.ndarray]:
    """Per-model attributions folded from encoded columns back to the original columns.

    With a ``feature_mask`` every column of a group (the one-hot columns of a categorical feature) already carries
    the whole group's attribution, so the group keeps that shared value; columns that differ (attributions computed
    without the mask) are summed.

    Args:
        per_model: model name → ``(n, d)`` attributions over the encoded columns.
        feature_groups: ``(d,)`` group id (index into ``group_names``) of each column.
        group_names: the original column names.

    Returns:
        model name → ``(n, len(group_names))`` attributions.

    Example:
        >>> a = np.array([[1.0, 2.0, 2.0]])
        >>> group_attributions({"m": a}, [0, 1, 1], ["age", "city"])["m"].tolist()
        [[1.0, 2.0]]
    """
    groups = np.asarray(feature_groups)
    out = {}
    for name, values in per_model.items():
        values = np.asarray(values, dtype=np.float64)
        folded = np.zeros((values.shape[0], len(group_names)))
        for g in range(len(group_names)):
            block = values[:, groups == g]
            if block.shape[1] == 0:
                continue
            shared = np.allclose(block, block[:, :1], rtol=1e-6, atol=1e-12)
            folded[:, g] = block[:, 0] if shared else block.sum(axis=1)
        out[name] = folded
    return out


def _patch_note(run: Run) -> str:
    """How the image attributions were grouped into patches, for the heatmaps' caption ("" when they were not)."""
    patch = run.info.get("attribution", {}).get("perturbation_patch")  # absent from runs saved before patches
    if not patch:
        return ""
    return (f" Perturbation methods perturbed {patch}x{patch}-pixel patches (their cost grows with patches, not "
            "pixels): every pixel of a patch shows the patch's attribution, the patch map upsampled onto the image. "
            "Gradient methods stay per pixel; a surrogate fitted on patch features spreads each patch's native "
            "attribution equally over its pixels.")


def _sentence(run: Run) -> str | None:
    """Which model explains most like the teacher, and how far apart the models are."""
    table = run.agreement
    if table.empty:
        return None
    ranked = table.sort_values("spearman_mean", ascending=False)
    best, worst = ranked.iloc[0], ranked.iloc[-1]
    # three decimals, as in the agreement table below
    return (f"Explaining most like the teacher: {best.model} ({best.method}), Spearman rank correlation "
            f"{best.spearman_mean:.3f} ± {best.spearman_std:.3f} and top-{run.config['attribution']['top_k']} "
            f"agreement {best.topk_agreement_mean:.3f}; least alike: {worst.model} ({worst.method}), Spearman "
            f"{worst.spearman_mean:.3f}. Computed on {len(run.attribution_examples)} test examples (each mean "
            "over those where the metric is defined).")


def attribution_section(run: Run) -> dict:
    """Everything the template needs for the attribution section (figures as data URIs, tables, sentence).

    Figures: heatmaps of the first 6 explained examples (image data) or the top features per model (tables, one-hot
    columns summed per original column), plus deletion / insertion curves when the run has them.

    Args:
        run: a loaded run (:func:`interpret_distill.load_run`).

    Returns:
        ``{"available": False, "sentence": None}`` when the run computed no attributions; otherwise
        ``available``, ``intro``, ``figures`` (list of ``{"title", "uri", "caption"}``), ``agreement`` and
        ``faithfulness`` (rendered tables) and ``sentence`` (or None without agreement rows).

    Example:
        >>> section = attribution_section(load_run("reports/digits"))  # doctest: +SKIP
        >>> [figure["title"] for figure in section["figures"]]  # doctest: +SKIP
        ['Heatmaps on test examples', 'Deletion and insertion curves']
    """
    if not run.attributions:
        return {"available": False, "sentence": None}
    data = run.dataset
    per_model, how = _per_model(run)
    examples = run.attribution_examples
    X = run.attribution_inputs
    figs = []
    if data["image_shape"]:
        shown = np.arange(min(SHOWN_EXAMPLES, len(X)))
        targets = run.test_probs["teacher"][examples].argmax(1)
        labels = [figures.plot_text(f"teacher: {data['class_names'][t]}") for t in targets[shown]]
        fig = heatmap_grid(X, per_model, data["image_shape"], examples=shown, labels=labels)
        figs.append({"title": "Heatmaps on test examples", "uri": figures.to_data_uri(fig),
                     "caption": f"Explaining the teacher's predicted class ({how}); red raises it, blue lowers it. "
                                "Each map is scaled to its own maximum |attribution| (colour scale ±1), so "
                                f"patterns and signs compare across maps, magnitudes do not.{_patch_note(run)}"})
    else:
        names, grouped = data["feature_names"], ""
        if data.get("feature_groups") is not None and data.get("group_names"):
            # one bar per original column: one-hot columns of a categorical feature share one attribution
            per_model = group_attributions(per_model, data["feature_groups"], data["group_names"])
            names = data["group_names"]
            grouped = " One-hot columns of a categorical feature are shown as one bar for the original column."
        fig = top_features_bars(per_model, [figures.plot_text(n) for n in names], top=min(10, len(names)))
        figs.append({"title": "Top features per model", "uri": figures.to_data_uri(fig),
                     "caption": f"Mean |attribution| over {len(X)} test examples ({how}).{grouped}"})
    curves = run.faithfulness_curves
    if not curves.empty:
        by_model = {f"{m} ({g.method.iloc[0]})": {k: g[k].to_numpy() for k in
                                                   ("fraction", "deletion", "insertion", "random", "random_insertion")}
                    for m, g in curves.groupby("model", sort=False)}
        for c in by_model.values():
            c["fractions"] = c.pop("fraction")
        figs.append({"title": "Deletion and insertion curves", "uri": figures.to_data_uri(faithfulness_plot(by_model)),
                     "caption": "Each model's own attributions judged on that model; dashed: random order."})
    explained = ("Attributions explain each model's predicted value (the single output)" if run.task == "regression"
                 else "Attributions explain the teacher's predicted class")
    outputs = ("Every method explains the predicted value" if run.task == "regression" else
               "Gradient methods explain the target logit, perturbation methods the target probability")
    return {
        "available": True,
        "intro": (f"{explained} on {len(X)} test examples for every model, "
                  f"so all models explain the same decision. Baseline: {run.info['attribution']['baseline']}. "
                  f"{outputs}, native "
                  "explanations the surrogate's own additive decomposition. Agreement means skip the examples "
                  "where a metric is undefined (an all-zero teacher attribution has no top features, a constant one no "
                  "rank correlation); each metric's n column counts the examples averaged."),
        "figures": figs,
        "agreement": generic_table(run.agreement),
        # raw infidelity is in squared output units, often 1e-5 for confident models: fixed decimals would show 0.000
        "faithfulness": generic_table(run.faithfulness,
                                       formats={"infidelity": "{:.2e}", "relative_infidelity": "{:.2%}"}),
        "sentence": _sentence(run),
    }
