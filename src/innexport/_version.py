"""The one source of innexport's version (read by pyproject.toml and by ``innexport.__version__``)."""

__version__ = "0.2.0"
