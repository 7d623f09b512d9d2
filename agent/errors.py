"""Errors of the agent layer. Each message is one line a person can act on; the CLI prints
it and exits with status 2, never a traceback."""

from __future__ import annotations


class AgentError(Exception):
    """A problem with the run's configuration or its inputs."""


class ModelError(AgentError):
    """The model endpoint could not give an answer."""


class MissingKeyError(ModelError):
    pass


class AuthError(ModelError):
    pass


class UnreachableError(ModelError):
    pass


class UnknownModelError(ModelError):
    pass


class ContextLengthError(ModelError):
    """The conversation no longer fits the model's context window."""


class RequestRejectedError(ModelError):
    pass


class RetriesExhaustedError(ModelError):
    pass


class ReplayError(ModelError):
    """A transcript that cannot be replayed."""


class ReplayExhausted(ReplayError):
    """The transcript has no answer left: the replayed trajectory ends here."""
