"""One exception hierarchy, so callers can catch what they mean."""


class NarrascopeError(Exception):
    """Base class of every error narrascope raises on purpose."""


class InputError(NarrascopeError):
    """An input could not be read or analysed. ``source`` names it."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class FetchError(InputError):
    """A URL or feed could not be fetched (network, refused address, size cap, ...)."""


class ModelError(NarrascopeError):
    """A shipped model is missing, corrupt or of the wrong version."""


class StoreError(NarrascopeError):
    """The DuckDB store could not be opened or written."""


class ConfigError(NarrascopeError):
    """A pipeline configuration names an unknown stage or an invalid option."""
