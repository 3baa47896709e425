"""The package's exceptions (interpret_distill.errors)."""

from interpret_distill.errors import ConfigError, DataError, ModelFileError, RunFileError, TeacherError, UserInputError


def test_user_input_errors_share_one_base_class():
    assert issubclass(DataError, UserInputError)


def test_every_user_facing_error_is_a_user_input_error():
    for error in (ConfigError, DataError, ModelFileError, RunFileError, TeacherError):
        assert issubclass(error, UserInputError), error
