"""The report's ensemble section: each member's accuracy beside the ensemble's, and every model's fidelity to each."""

from __future__ import annotations

from ..runs import Run
from .tables import table


def ensemble_section(run: Run) -> dict:
    """The members table and what each member is, for a run whose teacher is an ensemble.

    Args:
        run: a loaded run.

    Returns:
        ``{"available": False}`` for a single teacher; otherwise ``available``, ``combine``, ``members`` (one line
        per member: its name, kind and where it came from) and ``table`` (:func:`~.tables.table` of
        :attr:`~interpret_distill.runs.Run.members`).

    Example:
        >>> ensemble_section(load_run("reports/ensemble"))["combine"]  # doctest: +SKIP
        'probabilities'
    """
    members = run.members
    if members.empty:
        return {"available": False}
    info = run.info["teacher"]
    names = [m["name"] for m in info["members"]]
    columns = [("model", "model", None), ("role", "role", None), ("accuracy", "test accuracy", "{:.3f}"),
               ("fidelity", "test fidelity to the ensemble", "{:.3f}"),
               *((f"fidelity_{name}", f"test fidelity to {name}", "{:.3f}") for name in names)]
    return {"available": True, "combine": info["combine"], "table": table(members, columns),
            "members": [f"{m['name']}: {m['kind']} ({m['source']}, {m['n_params']:,} parameters)"
                        for m in info["members"]]}
