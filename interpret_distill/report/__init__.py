"""Self-contained HTML reports and the matplotlib figures they inline."""

from .render import SIZE_BUDGET_BYTES, render_index, render_report, report_sizes

__all__ = ["render_report", "render_index", "report_sizes", "SIZE_BUDGET_BYTES"]
