"""Reading the aipo plugin's settings from mkdocs.yml without MkDocs (aipo_site/cli/settings.py)."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from aipo_site.cli.settings import (
    PLUGIN_DEFAULTS,
    Opaque,
    load_mkdocs_yaml,
    read_settings,
)
from aipo_site.errors import ConfigError, InputError
from aipo_site.model.inputs import Layout


def write(folder: Path, text: str, name: str = "mkdocs.yml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def mkdocs_load(path: Path) -> dict:
    """The same file read by MkDocs' own loader (tests may import mkdocs; the CLI may not)."""
    from mkdocs.utils.yaml import yaml_load

    with path.open("rb") as handle:
        return yaml_load(handle)


def test_defaults_mirror_the_plugin_config():
    # The CLI must not import mkdocs; the tests may, to keep the two lists in step.
    from aipo_site.mkdocs_plugin.config import AipoConfig

    plugin_defaults = {name: option.default for name, option in AipoConfig._schema}
    assert plugin_defaults == PLUGIN_DEFAULTS


def test_demo_settings(repo_root, monkeypatch):
    monkeypatch.delenv("AIPO_AS_OF", raising=False)
    settings = read_settings(repo_root / "mkdocs.yml")
    assert settings.plugin_found
    assert settings.root == repo_root
    assert settings.layout == Layout("content/models", "content/policy.yaml", "metrics")
    # !ENV [AIPO_AS_OF, "2026-11-20"]: the default is an ordinary (quoted) YAML string
    assert settings.as_of == "2026-11-20"


def test_env_tag_like_mkdocs(tmp_path, monkeypatch):
    path = write(
        tmp_path,
        """\
        a: !ENV [FIRST, SECOND, "fallback"]
        b: !ENV SINGLE
        c: !ENV [UNSET_ONE]
        d: !ENV [UNSET_ONE, 2026-01-02]
        e: !ENV TYPED
        f: !ENV [TYPED_BOOL, false]
        """,
    )
    for name in ("FIRST", "SECOND", "SINGLE", "UNSET_ONE", "TYPED", "TYPED_BOOL"):
        monkeypatch.delenv(name, raising=False)
    data = load_mkdocs_yaml(path)
    assert data == {
        "a": "fallback",
        "b": None,
        "c": None,
        "d": dt.date(2026, 1, 2),
        "e": None,
        "f": False,
    }
    assert data == mkdocs_load(path)

    monkeypatch.setenv("SECOND", "from-second")
    monkeypatch.setenv("SINGLE", "x")
    monkeypatch.setenv("TYPED", "2026-03-04")
    monkeypatch.setenv("TYPED_BOOL", "true")
    data = load_mkdocs_yaml(path)
    assert data["a"] == "from-second"
    assert data["b"] == "x"
    # as in yaml_env_tag, the variable's text is typed by YAML's implicit resolvers
    assert data["e"] == dt.date(2026, 3, 4)
    assert data["f"] is True
    assert data == mkdocs_load(path)

    monkeypatch.setenv("FIRST", "from-first")
    assert load_mkdocs_yaml(path)["a"] == "from-first"
    assert load_mkdocs_yaml(path) == mkdocs_load(path)


def test_other_tags_are_opaque_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    path = write(
        tmp_path,
        f"""\
        markdown_extensions:
          - pymdownx.emoji:
              emoji_index: !!python/name:material.extensions.emoji.twemoji
              emoji_generator: !!python/name:no_such_module.to_svg
          - pymdownx.snippets:
              base_path: !relative $config_dir
          - toc:
              slugify: !!python/object/apply:os.system ["touch {marker}"]
        hooks: !relative
        other: !custom {{a: 1}}
        plugins:
          - search
          - aipo
        """,
    )
    data = load_mkdocs_yaml(path)
    emoji = data["markdown_extensions"][0]["pymdownx.emoji"]
    assert emoji["emoji_index"] == Opaque(
        "tag:yaml.org,2002:python/name:material.extensions.emoji.twemoji", ""
    )
    assert isinstance(emoji["emoji_generator"], Opaque)
    assert data["markdown_extensions"][1]["pymdownx.snippets"]["base_path"] == Opaque(
        "!relative", "$config_dir"
    )
    assert isinstance(data["markdown_extensions"][2]["toc"]["slugify"], Opaque)
    assert data["other"] == Opaque("!custom", {"a": 1})
    assert not marker.exists(), "a python/object tag must never be executed"
    settings = read_settings(path)
    assert settings.plugin_found
    assert settings.options == PLUGIN_DEFAULTS


@pytest.mark.parametrize(
    "plugins",
    [
        "plugins: [search, aipo]",
        "plugins:\n  - search\n  - aipo: {}",
        "plugins:\n  - aipo:\n",
        "plugins:\n  search: {}\n  aipo: {}",
    ],
)
def test_plugin_entry_shapes(tmp_path, plugins):
    settings = read_settings(write(tmp_path, f"site_name: x\n{plugins}\n"))
    assert settings.plugin_found
    assert settings.layout == Layout()


def test_no_aipo_plugin_uses_defaults(tmp_path):
    settings = read_settings(write(tmp_path, "site_name: x\nplugins: [search]\n"))
    assert not settings.plugin_found
    assert settings.layout == Layout()


def test_no_config_file_uses_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = read_settings()
    assert settings.config_file is None
    assert settings.root == tmp_path.resolve()
    assert settings.layout == Layout()


def test_mkdocs_yaml_spelling_is_found(tmp_path):
    write(tmp_path, "plugins:\n  - aipo: {metrics: data}\n", name="mkdocs.yaml")
    settings = read_settings(root=tmp_path)
    assert settings.layout.metrics == "data"


def test_paths_are_relative_to_the_config_folder(tmp_path):
    config = write(
        tmp_path / "docs-site",
        """\
        plugins:
          - aipo:
              charters: ../governance/models
              policy: ../governance/policy.yaml
              metrics: ../data/metrics
        """,
    )
    # root defaults to the folder of mkdocs.yml: paths stay as written (normalised)
    settings = read_settings(config)
    assert settings.root == (tmp_path / "docs-site").resolve()
    assert settings.layout.charters == "../governance/models"
    # with another root, they are re-expressed relative to it
    settings = read_settings(config, root=tmp_path)
    assert settings.root == tmp_path.resolve()
    assert settings.layout == Layout(
        "governance/models",
        "governance/policy.yaml",
        "data/metrics",
        "docs-site/content/people.yaml",  # a default is relative to mkdocs.yml's folder too
        decisions="docs-site/content/decisions",
        reviews="docs-site/content/reviews",
        incidents="docs-site/content/incidents",
        sources="docs-site/content/sources.yaml",
    )


def test_flags_override_the_config(tmp_path):
    config = write(tmp_path, "plugins:\n  - aipo: {charters: a, as_of: '2026-01-01'}\n")
    settings = read_settings(config, overrides={"charters": "b", "as_of": "2026-02-02"})
    assert settings.layout.charters == "b"
    assert settings.as_of == "2026-02-02"
    settings = read_settings(config, overrides={"charters": None, "as_of": None})
    assert settings.layout.charters == "a"
    assert settings.as_of == "2026-01-01"


def test_inherit_is_deep_merged(tmp_path):
    write(
        tmp_path,
        """\
        site_name: base
        theme: {name: material, font: false}
        plugins:
          - aipo: {charters: base/models}
        """,
        name="base.yml",
    )
    config = write(
        tmp_path,
        """\
        INHERIT: base.yml
        theme: {features: [navigation.sections]}
        """,
    )
    data = load_mkdocs_yaml(config)
    assert data["theme"] == {"name": "material", "font": False, "features": ["navigation.sections"]}
    assert read_settings(config).layout.charters == "base/models"


def test_missing_inherited_file(tmp_path):
    config = write(tmp_path, "INHERIT: nowhere.yml\n")
    with pytest.raises(ConfigError, match=r"nowhere\.yml"):
        read_settings(config)


def test_invalid_yaml_names_file_and_line(tmp_path):
    config = write(tmp_path, "site_name: x\nplugins:\n  - aipo: {charters: [unclosed\n")
    with pytest.raises(InputError) as info:
        read_settings(config)
    assert info.value.path.endswith("mkdocs.yml")
    assert info.value.line is not None
    assert "invalid YAML" in info.value.message


@pytest.mark.parametrize(
    ("options", "field", "expected"),
    [
        ("{charters: 5}", "plugins.aipo.charters", "expected text"),
        ("{charters: true}", "plugins.aipo.charters", "expected text"),
        ("{reference: 'yes'}", "plugins.aipo.reference", "expected bool"),
        ("{nav_group_by: team}", "plugins.aipo.nav_group_by", "expected one of"),
        ("{as_of: [2026]}", "plugins.aipo.as_of", "expected text or date"),
        ("[charters]", "plugins.aipo", "expected a mapping"),
    ],
)
def test_bad_option_types(tmp_path, options, field, expected):
    config = write(tmp_path, f"plugins:\n  - aipo: {options}\n")
    with pytest.raises(InputError) as info:
        read_settings(config)
    assert info.value.field == field
    assert expected in info.value.message


def test_unknown_options_are_reported(tmp_path):
    config = write(tmp_path, "plugins:\n  - aipo: {chartres: x}\n")
    settings = read_settings(config)
    assert settings.unknown_options == ("chartres",)
    assert settings.layout.charters == "content/models"


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_settings(tmp_path / "nope.yml")
    with pytest.raises(ConfigError, match="not a folder"):
        read_settings(root=tmp_path / "nope")
