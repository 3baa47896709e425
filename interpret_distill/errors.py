"""Errors that mean "the user's input is wrong": the CLI prints them as one line, without a traceback."""

from __future__ import annotations


class UserInputError(Exception):
    """Bad input from the user: the message names the problem and the fix."""


class ConfigError(UserInputError):
    """The experiment config is invalid."""


class DataError(UserInputError):
    """The data file or dataset cannot be used as given."""


class ModelFileError(UserInputError):
    """A teacher checkpoint or model file cannot be loaded safely."""


class RunFileError(UserInputError):
    """A file of a saved run directory is missing or unreadable (edited, truncated, half-copied)."""


class TeacherError(UserInputError):
    """The user's teacher cannot be used with this data (wrong output width, fails on the inputs, ...)."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first non-empty line of an exception's message (its type name when it has none), shortened.

    Example:
        >>> first_line(ValueError("bad value\\nmore detail"))
        'bad value'
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
