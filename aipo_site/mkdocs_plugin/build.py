"""Build a portal at a given evaluation date: ``python -m aipo_site.mkdocs_plugin.build``.

`aipo evidence build` needs the portal of one evaluation date whatever ``as_of`` mkdocs.yml pins,
and the CLI does not import MkDocs; so it runs this module in a child process (MkDocs keeps
global state, e.g. its logging and the plugins' ``on_startup`` caches). It does what
``mkdocs build --strict`` does, with the aipo plugin's ``as_of`` replaced.
"""

from __future__ import annotations

import argparse
import sys

from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import MkDocsException

__all__ = ["build_at"]


def build_at(config_file: str, site_dir: str, as_of: str) -> None:
    """``mkdocs build --strict`` of ``config_file`` into ``site_dir``, evaluated on ``as_of``."""
    config = load_config(config_file, site_dir=site_dir, strict=True)
    plugins = [p for name, p in config.plugins.items() if name.split("/")[-1] == "aipo"]
    if not plugins:
        raise MkDocsException(f"{config_file}: the aipo plugin is not configured")
    for plugin in plugins:
        plugin.config.as_of = as_of
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config)
    finally:
        config.plugins.on_shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aipo_site.mkdocs_plugin.build")
    parser.add_argument("--config", required=True)
    parser.add_argument("--site-dir", required=True)
    parser.add_argument("--as-of", required=True)
    args = parser.parse_args(argv)
    try:
        build_at(args.config, args.site_dir, args.as_of)
    except MkDocsException as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
