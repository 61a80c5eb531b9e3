"""The dependency direction of the package, guarded by walking every module's imports.

model <- load, evaluate, render (never each other: evaluation reads the loaded inputs as
      aipo_site.model.inputs types, and old charter versions through its CharterHistory interface)
      <- pipeline <- diff, cli, mkdocs_plugin. Only mkdocs_plugin imports mkdocs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "aipo_site"

# For each layer, the aipo layers it must not import.
FORBIDDEN = {
    "model": {"load", "evaluate", "render", "pipeline", "diff", "cli", "mkdocs_plugin"},
    "load": {"evaluate", "render", "pipeline", "diff", "cli", "mkdocs_plugin"},
    "evaluate": {"load", "render", "pipeline", "diff", "cli", "mkdocs_plugin"},
    "render": {"load", "evaluate", "pipeline", "diff", "cli", "mkdocs_plugin"},
    "pipeline": {"diff", "cli", "mkdocs_plugin"},
    # The build cache's keys and storage; the cached, parallel build over the pipeline.
    "cache": {"evaluate", "render", "pipeline", "incremental", "diff", "cli", "mkdocs_plugin"},
    "incremental": {"diff", "cli", "mkdocs_plugin"},
    "diff": {"cli", "mkdocs_plugin"},
    "cli": {"mkdocs_plugin"},
}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 else rel.stem


def imported(path: Path) -> set[str]:
    """Absolute module names imported by ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ["aipo_site", *path.relative_to(PACKAGE).parent.parts]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                names.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                names.add(node.module)
    return names


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_plugin_imports_mkdocs(path):
    if layer_of(path) == "mkdocs_plugin":
        return
    offenders = {n for n in imported(path) if n == "mkdocs" or n.startswith("mkdocs.")}
    assert not offenders, f"{path.name} imports {offenders}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layers_point_one_way(path):
    layer = layer_of(path)
    banned = FORBIDDEN.get(layer, set())
    for name in imported(path):
        parts = name.split(".")
        if parts[0] == "aipo_site" and len(parts) > 1:
            assert parts[1] not in banned, f"{path.relative_to(PACKAGE)} ({layer}) imports {name}"


def test_the_guard_sees_imports():
    # a guard that saw nothing could never fail
    plugin = PACKAGE / "mkdocs_plugin" / "plugin.py"
    assert "mkdocs.plugins" in imported(plugin)
    assert "aipo_site.pipeline" in imported(plugin)


def test_public_api_is_curated_and_importable():
    import aipo_site

    assert sorted(aipo_site.__all__) == aipo_site.__all__
    for name in aipo_site.__all__:
        assert hasattr(aipo_site, name), name
    # the version is declared once in pyproject.toml and mirrored here
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text()
    assert f'version = "{aipo_site.__version__}"' in pyproject


def test_importing_the_package_does_not_import_mkdocs():
    import subprocess
    import sys

    code = "import sys, aipo_site; print('mkdocs' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
