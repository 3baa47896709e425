"""Errors that mean "the user's input is wrong": the CLI prints them as one line, without a traceback."""


class UserInputError(Exception):
    """Bad input from the user: the message names the problem and the fix."""


class ConfigError(UserInputError):
    """The experiment config is invalid."""


class DataError(UserInputError):
    """The data file or dataset cannot be used as given."""


class ModelFileError(UserInputError):
    """A teacher checkpoint or model file cannot be loaded safely."""
