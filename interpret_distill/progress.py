"""Progress bars that can be turned off and stay quiet when output is not a terminal.

A bar redrawn into a log file or a CI transcript leaves a line of escape codes per update (``make report > log``
filled it with ``[A``); tqdm's ``disable=None`` turns a bar off unless its stream is a terminal.
"""

from __future__ import annotations

from tqdm.auto import tqdm


def progress_bar(iterable=None, *, enabled: bool, **kwargs) -> tqdm:
    """A tqdm bar shown only when ``enabled`` and writing to a terminal.

    Args:
        iterable: what to iterate over (or ``None`` with ``total=`` for a bar updated by hand).
        enabled: the run's ``progress`` setting (``--no-progress`` turns it off).
        **kwargs: passed on to tqdm (``desc``, ``total``, ``unit``, ``leave``).

    Returns:
        The bar (a no-op one when disabled).

    Example:
        >>> list(progress_bar(range(3), enabled=False))
        [0, 1, 2]
    """
    return tqdm(iterable, disable=None if enabled else True, **kwargs)
