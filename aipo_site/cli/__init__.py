"""The `aipo` command line (the only package that parses arguments).

Commands: ``check`` (the CI gate), ``export`` (audit evidence), ``schema``, ``init`` and ``new``
(scaffolding). See ``aipo --help``.
"""

from .main import main

__all__ = ["main"]
