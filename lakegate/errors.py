"""Errors a user can act on, each with the exit code the command line returns (SPEC §11)."""


class LakegateError(Exception):
    """A failure that is reported as one line on stderr, never as a traceback."""

    exit_code = 1


class BadArgument(LakegateError, ValueError):
    """A command-line value or identifier is not acceptable."""

    exit_code = 2


class Refused(LakegateError):
    """The operation is not allowed in the current state (gate failed, no _SUCCESS)."""

    exit_code = 3


class Conflict(LakegateError):
    """A concurrent change won; the caller may retry."""

    exit_code = 4


class SchemaError(LakegateError):
    """A bronze file does not have the expected header: the run fails before writing."""

    error_type = "SCHEMA_ERROR"


class CircuitBreakerTripped(LakegateError):
    """Too many rows failed with one error type within the breaker window."""


class EnvironmentProblem(LakegateError):
    """The machine lacks something the command needs (e.g. Java 17)."""
