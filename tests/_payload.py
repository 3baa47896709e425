"""A pickle payload for the safety tests: loading a file that holds one must never run it."""

from __future__ import annotations

import os
from pathlib import Path


class Payload:
    """Unpickling this would create ``marker``: the proof that a loader ran code from a file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))
