"""The `aipo` command line: argument parsing and the one place errors become exit codes.

Every :class:`~aipo_site.errors.AipoError` is printed as ``error: ...`` on stderr and exits 2, unless
``--debug`` asks for the traceback. The commands' work lives in their own modules (check.py, export.py,
evidence.py, generate.py, scaffold.py, collect.py, ...).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path

from ..errors import AipoError, ConfigError, InputErrors
from ..pipeline import AS_OF_ENV, resolve_as_of
from .check import EXIT_BUG, EXIT_INVALID, FAIL_ON, run_check
from .formats import FORMATS, render
from .settings import Settings, read_settings, suggest_option

__all__ = ["build_parser", "main"]

EXIT_CODES = """\
exit codes:
  0  nothing at or above the --fail-on level
  1  a model status, check (KPI, segment gap, drift) or finding at or above the --fail-on level
     (--fail-on error: never; breach, the default: anything at BREACH;
      warn: anything at WARN or BREACH, including TODO markers left in charters)
  2  invalid input (a charter, the policy, a metric CSV or mkdocs.yml) or invalid usage
  3  aipo itself failed (a bug, never your input: please report it with the --debug output)
"""

AS_OF_HELP = (
    "evaluation date YYYY-MM-DD or 'today' (default: the plugin's as_of in mkdocs.yml, "
    f"else ${AS_OF_ENV}, else today)"
)


def _version() -> str:
    try:
        return metadata.version("aipo-portal")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's layout (the exit-code table)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every `aipo` command."""
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show a traceback instead of a one-line error",
    )

    loading = argparse.ArgumentParser(add_help=False)
    group = loading.add_argument_group("where the governance repository is")
    group.add_argument(
        "--config",
        "-f",
        metavar="FILE",
        help="mkdocs.yml to read the aipo plugin's settings from (default: ./mkdocs.yml, or "
        "<root>/mkdocs.yml; without one the plugin's defaults apply)",
    )
    group.add_argument(
        "--root",
        metavar="DIR",
        help="repository root the charters, policy and metrics are read from "
        "(default: the folder of mkdocs.yml)",
    )
    group.add_argument("--charters", metavar="DIR", help="charters folder, relative to the root")
    group.add_argument("--policy", metavar="FILE", help="policy file, relative to the root")
    group.add_argument("--metrics", metavar="DIR", help="metrics folder, relative to the root")
    group.add_argument("--as-of", metavar="DATE", help=AS_OF_HELP)

    parser = argparse.ArgumentParser(
        prog="aipo",
        description="Governance-as-code for ML models: check, diff, export and scaffold a "
        "governance repository, build and verify evidence packs (the portal itself is built by "
        "`mkdocs build`, or by another site engine from `aipo generate`).",
        epilog="exit codes: 0 success, 2 invalid input or usage, 3 a bug in aipo; 1 when `aipo "
        "check` finds something at or above its --fail-on level, `aipo diff` a change at or "
        "above its --fail-on level, `aipo codeowners --check` an out-of-date CODEOWNERS, or "
        "`aipo evidence verify` a pack that does not match (see each command's --help); `aipo "
        "collect` exits 2 when a source fails.",
        parents=[debug],
    )
    parser.add_argument("--version", action="version", version=f"aipo {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check",
        help="validate and evaluate every model; the CI gate",
        description="Load, validate and evaluate every charter, the policy and the metric CSVs, "
        "and report status, KPIs and findings per model.",
        epilog=EXIT_CODES,
        formatter_class=_Formatter,
        parents=[debug, loading],
    )
    check.add_argument(
        "--format",
        choices=list(FORMATS),
        default="text",
        help="text (default), json (for tools), junit (CI test views), github (workflow "
        "annotations on the pull request), markdown ($GITHUB_STEP_SUMMARY)",
    )
    check.add_argument(
        "--fail-on",
        choices=list(FAIL_ON),
        default="breach",
        help="lowest level that fails the check (default: breach)",
    )
    check.add_argument(
        "--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout"
    )
    check.set_defaults(func=cmd_check)

    diff = commands.add_parser(
        "diff",
        help="what a change does to governance, between two git revisions",
        description="Load the governance state at BASE and at HEAD (default: the working tree), "
        "evaluate both on the same date, and report what changed in governance terms.",
        epilog="exit codes:\n"
        "  0  no change at or above --fail-on (by default: nothing needs review)\n"
        "  1  at least one change at or above --fail-on (review: e.g. a loosened threshold;\n"
        "     critical: e.g. a removed control that protects people or data)\n"
        "  2  invalid input, an unknown revision, or invalid usage\n"
        "  3  aipo itself failed (a bug: please report it with the --debug output)\n",
        formatter_class=_Formatter,
        parents=[debug, loading],
    )
    diff.add_argument("base", metavar="BASE", help="base git revision, e.g. origin/main")
    diff.add_argument(
        "head", metavar="HEAD", nargs="?", help="head git revision (default: the working tree)"
    )
    diff.add_argument(
        "--format",
        choices=["markdown", "json"],
        default="markdown",
        help="markdown (default; for a pull-request comment) or json",
    )
    diff.add_argument(
        "--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout"
    )
    diff.add_argument(
        "--fail-on",
        choices=["review", "critical"],
        default="review",
        help="exit 1 when a change is at this severity or above: review (default; review or "
        "critical) or critical (critical only)",
    )
    diff.set_defaults(func=cmd_diff)

    codeowners = commands.add_parser(
        "codeowners",
        help="write CODEOWNERS from the people directory, the charters and the policy",
        description="Write a CODEOWNERS file (GitHub, GitLab): each charter and its metrics "
        "folder owned by the handle of the charter's owner; the policy, the people directory and "
        "CODEOWNERS itself by the handles of the policy's policy_owners. Paths are anchored at "
        "the root of the git work tree. People without a handle and plain names are left out "
        "with a warning.",
        epilog="exit codes:\n"
        "  0  written, or (--check) up to date\n"
        "  1  (--check) the file is missing or out of date\n"
        "  2  invalid input or invalid usage\n"
        "  3  aipo itself failed (a bug: please report it with the --debug output)\n",
        formatter_class=_Formatter,
        parents=[debug, loading],
    )
    codeowners.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        help="file to write, '-' for stdout (default: .github/CODEOWNERS at the top of the git "
        "work tree, else of the root)",
    )
    codeowners.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the file is missing or differs from what would be written",
    )
    codeowners.set_defaults(func=cmd_codeowners)

    export = commands.add_parser(
        "export",
        help="write audit evidence (JSON and CSV), CycloneDX ML-BOMs or Hugging Face model cards",
        description="Evaluate every model and write into --out, by --format:\n"
        "  evidence   (default) aipo-evidence.json: every charter as evaluated, every KPI result\n"
        "             and finding, stamped with the evaluation date and source revision; and\n"
        "             aipo-summary.csv: one row per model\n"
        "  cyclonedx  <model-id>.cdx.json per model: a CycloneDX 1.6 ML-BOM with the model card,\n"
        "             validated against CycloneDX's strict 1.6 schema\n"
        "  hf-card    <model-id>/README.md per model: a Hugging Face model card, the KPIs as\n"
        "             model-index results",
        formatter_class=_Formatter,
        parents=[debug, loading],
    )
    export.add_argument(
        "--out", metavar="DIR", default=".", help="output folder (default: current folder)"
    )
    export.add_argument(
        "--format",
        choices=("evidence", "cyclonedx", "hf-card"),
        default="evidence",
        help="what to write (default: evidence)",
    )
    export.set_defaults(func=cmd_export)

    generate = commands.add_parser(
        "generate",
        help="write the portal's pages and assets for any Markdown site engine",
        description="Write the generated pages (Markdown with their HTML inlined and the "
        "provenance stamp) and their assets, chart data, badges and schemas into DIR, for a site "
        "engine without the aipo MkDocs plugin; and aipo-nav.yml/.json (the nav, the scripts "
        "and stylesheets to include), portfolio.html (the live portfolio for a home page) and "
        "README.txt. Files aipo wrote before (listed in DIR/.aipo-manifest.json) are replaced or "
        "removed; any other file in DIR is never touched, and a generated file that would "
        "replace one is an error.",
        epilog="exit codes: 0 written, 2 invalid input, a refused folder or invalid usage, 3 a bug "
        "in aipo",
        parents=[debug, loading],
    )
    generate.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="output folder: new, or one aipo generate wrote; not inside the governance inputs",
    )
    generate.add_argument(
        "--site-path",
        metavar="PATH",
        help="where DIR goes in the site's docs folder, e.g. aipo (default: DIR's path inside "
        "mkdocs.yml's docs_dir when it is there, else DIR's name)",
    )
    generate.add_argument(
        "--directory-urls",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="links as folders (models/<id>/) or .html files (default: mkdocs.yml's "
        "use_directory_urls, .html files with Material's offline plugin)",
    )
    generate.set_defaults(func=cmd_generate)

    evidence = commands.add_parser(
        "evidence",
        help="build or verify an evidence pack for a commit and date",
        description="An evidence pack: the evaluated state (JSON and its schema), the portal, "
        "the inputs it was computed from and a manifest of SHA-256 hashes, as a folder and a zip.",
        parents=[debug],
    )
    evidence_commands = evidence.add_subparsers(dest="evidence", metavar="ACTION", required=True)
    evidence_build = evidence_commands.add_parser(
        "build",
        help="write the pack DIR and DIR.zip",
        description="Evaluate the working tree (or --rev) on --as-of and write the pack into DIR "
        "(new or empty) and DIR.zip. The same commit and date give byte-identical packs.",
        epilog="exit codes: 0 written, 2 invalid input or usage, 3 a bug in aipo",
        parents=[debug],
    )
    evidence_build.add_argument(
        "--config",
        "-f",
        metavar="FILE",
        help="mkdocs.yml of the repository (default: ./mkdocs.yml)",
    )
    evidence_build.add_argument(
        "--rev", metavar="REV", help="build for this git commit (default: the working tree)"
    )
    evidence_build.add_argument("--as-of", metavar="DATE", help=AS_OF_HELP)
    evidence_build.add_argument("--out", metavar="DIR", required=True, help="the pack folder")
    evidence_build.set_defaults(func=cmd_evidence_build)
    evidence_verify = evidence_commands.add_parser(
        "verify",
        help="check a pack's hashes and re-evaluate its inputs",
        description="Recompute every file's SHA-256 (missing and extra files too) and evaluate "
        "the pack's inputs again (no git needed), comparing with its state.json.",
        epilog="exit codes:\n  0  every hash matches and the inputs reproduce the state\n"
        "  1  a problem (one line each on stdout)\n  2  not a usable pack, or invalid usage\n"
        "  3  aipo itself failed (a bug)\n",
        formatter_class=_Formatter,
        parents=[debug],
    )
    evidence_verify.add_argument("pack", metavar="PACK", help="the pack folder or its zip")
    evidence_verify.set_defaults(func=cmd_evidence_verify)

    collect = commands.add_parser(
        "collect",
        help="aggregate the metric sources of content/sources.yaml into metrics/",
        description="Run the metric sources that charters name (content/sources.yaml: DuckDB, "
        "Spark), aggregated in the engine, into metrics/<model-id>/collected.csv (KPIs), "
        "drift/collected-bins.csv (drift) and collected.json (what was collected, for the next "
        "run). Incremental: KPIs fetch the days after the last one collected, drift re-fetches "
        "its last period; an edited charter request or source is collected again from scratch. "
        "The build never queries a source: commit these files (the workflow's scheduled job "
        "does).",
        epilog="exit codes:\n"
        "  0  every model collected\n"
        "  2  a source could not be read or queried (one line per model: the source, the "
        "charter's field,\n     what failed; nothing is written for that model, its previous "
        "files are kept), or\n     invalid input (sources file, charter) or usage\n"
        "  3  aipo itself failed (a bug: report it with the --debug output)",
        formatter_class=_Formatter,
        parents=[debug, loading],
    )
    collect.add_argument(
        "--until",
        metavar="DATE",
        help="the last day collected, YYYY-MM-DD (default: yesterday, UTC, or the evaluation "
        "date mkdocs.yml pins when that is earlier); days are collected whole",
    )
    collect.add_argument(
        "--full",
        action="store_true",
        help="collect everything again from scratch (ignore what collected.json records)",
    )
    collect.add_argument(
        "--model",
        metavar="ID",
        action="append",
        default=[],
        help="only this model (repeat for several; default: every model that names a source)",
    )
    collect.set_defaults(func=cmd_collect)

    schema = commands.add_parser(
        "schema",
        help="write the JSON Schemas of the files aipo reads",
        description="Write the JSON Schema of every file aipo reads (charter, policy, people "
        "directory, metric sources, decision and review records), for editors that complete and check YAML "
        "(yaml-language-server).",
        parents=[debug],
    )
    schema.add_argument(
        "--output", "-o", metavar="DIR", default="schema", help="folder (default: ./schema)"
    )
    schema.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the files in the folder are missing or out of date",
    )
    schema.set_defaults(func=cmd_schema)

    init = commands.add_parser(
        "init",
        help="create a new governance repository",
        description="Create a governance repository that builds at once: mkdocs.yml, a policy, "
        "an example charter with metrics, JSON Schemas, README.md and .gitignore.",
        parents=[debug],
    )
    init.add_argument(
        "directory",
        metavar="DIR",
        help="folder to create (or an empty one, or a fresh clone holding only .git)",
    )
    init.add_argument(
        "--force",
        action="store_true",
        help="add the missing files to a non-empty folder (existing files are never overwritten)",
    )
    init.add_argument("--name", help="site name (default: from the folder name)")
    init.add_argument(
        "--site-url",
        metavar="URL",
        help="the address the portal is published at, e.g. https://OWNER.github.io/REPO/ "
        "(mkdocs.yml's site_url: the 404 page is styled under that path and sitemap.xml lists "
        "every page under it). Default: asked in a terminal; otherwise the GitHub Pages address "
        "of the git remote (origin), else a commented placeholder in mkdocs.yml",
    )
    init.add_argument(
        "--as-of",
        metavar="DATE",
        help="pin the evaluation date in mkdocs.yml; the example metrics end on it (default: "
        "evaluate the day of each build, and the example metrics end today)",
    )
    init.add_argument(
        "--requirement",
        metavar="SPEC",
        help="how requirements.txt installs aipo, e.g. 'aipo-portal @ git+https://host/org/aipo"
        "@v0.1.0' (default: the way this aipo was installed when CI can repeat it, else "
        "aipo-portal==VERSION)",
    )
    init.set_defaults(func=cmd_init)

    new = commands.add_parser(
        "new",
        help="add a charter skeleton for a new model",
        description="Write <charters>/<MODEL_ID>.yaml: a skeleton that passes validation, with "
        "TODO markers that `aipo check` reports until they are filled in.",
        parents=[debug],
    )
    new.add_argument("model_id", metavar="MODEL_ID", help="lower-case slug, e.g. churn-model")
    new.add_argument("--name", help="display name (default: from the id)")
    new.add_argument("--config", "-f", metavar="FILE", help="mkdocs.yml (default: ./mkdocs.yml)")
    new.add_argument("--root", metavar="DIR", help="repository root (default: its folder)")
    new.set_defaults(func=cmd_new)

    decide = commands.add_parser(
        "decide",
        help="record a decision about a model, with the committed charter as evidence",
        description="Write a decision record (<decisions>/<date>-<model>-<subject>.yaml) whose "
        "evidence is a commit (--rev, default HEAD) and the SHA-256 of the model's charter at it. "
        "The record is validated with the repository before it is kept.",
        parents=[debug],
    )
    decide.add_argument("model_id", metavar="MODEL_ID", help="the model decided on")
    what = decide.add_mutually_exclusive_group(required=True)
    what.add_argument("--stage", help="a stage transition: the stage entered (e.g. production)")
    what.add_argument("--risk", help="a risk acceptance: the title of the charter's risk")
    what.add_argument("--exception", metavar="CODE", help="a policy exception: the finding code")
    decide.add_argument("--by", required=True, help="who decided: a people-directory key or name")
    decide.add_argument("--summary", required=True, help="what was decided and why")
    decide.add_argument("--condition", action="append", default=[], help="a condition (repeat)")
    decide.add_argument("--expires", metavar="YYYY-MM-DD", help="last day the decision holds")
    decide.add_argument("--date", metavar="YYYY-MM-DD", help="when it was decided (default: today)")
    decide.add_argument("--rejected", action="store_true", help="a no-go (default: approved)")
    decide.add_argument("--rev", default="HEAD", help="the commit evaluated (default: HEAD)")
    decide.add_argument("--config", "-f", metavar="FILE", help="mkdocs.yml (default: ./mkdocs.yml)")
    decide.add_argument("--root", metavar="DIR", help="repository root (default: its folder)")
    decide.set_defaults(func=cmd_decide)
    return parser


# --- shared helpers -------------------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        key: getattr(args, key, None) for key in ("charters", "policy", "metrics", "as_of")
    }
    settings = read_settings(args.config, args.root, overrides)
    where = settings.config_file.name if settings.config_file else "mkdocs.yml"
    for name in settings.unknown_options:
        _warn(f"{where}: plugins.aipo: unknown option '{name}'{suggest_option(name)}; ignored")
    if settings.config_file is not None and not settings.plugin_found:
        _warn(f"{where} does not list the 'aipo' plugin; using its default paths")
    return settings


def _as_of(args: argparse.Namespace, settings: Settings) -> dt.date:
    flag = getattr(args, "as_of", None)
    try:
        return resolve_as_of(flag if flag is not None else settings.as_of)
    except ConfigError as e:
        if flag is not None:
            raise ConfigError(
                f"--as-of: expected a date YYYY-MM-DD or 'today', found {flag!r}"
            ) from None
        if settings.as_of not in (None, "") and settings.config_file is not None:
            raise ConfigError(f"{settings.config_file.name}: plugins.aipo.{e}") from None
        raise


@contextlib.contextmanager
def _hint_without_config(settings: Settings) -> Iterator[None]:
    """Without a mkdocs.yml, a missing folder most likely means the wrong working folder."""
    try:
        yield
    except ConfigError as e:
        if settings.config_file is not None:
            raise
        raise ConfigError(
            f"{e} — no mkdocs.yml found in {settings.root}; run aipo in the governance "
            "repository or pass --config / --root"
        ) from None


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _emit(text: str, output: str | None) -> None:
    if output in (None, "-"):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(output)  # type: ignore[arg-type]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    except OSError as e:
        raise ConfigError(f"--output: cannot write '{output}': {e.strerror or e}") from None


# --- commands -------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    """`aipo check`."""
    settings = _settings(args)
    as_of = _as_of(args, settings)
    with _hint_without_config(settings):
        run = run_check(settings, as_of, args.fail_on)
    if run.errors and args.format == "text":
        InputErrors.raise_if_any(run.errors)
    _emit(render(run, args.format, settings.root), args.output)
    if run.errors:
        # The report carries the errors for tools; stderr carries them for people.
        _print_error(InputErrors(run.errors) if len(run.errors) > 1 else run.errors[0])
        return EXIT_INVALID
    return run.exit_code


def cmd_diff(args: argparse.Namespace) -> int:
    """`aipo diff` (the comparison itself lives in aipo_site.diff)."""
    from ..diff import run_diff

    settings = _settings(args)
    as_of = _as_of(args, settings)
    from ..diff.model import Severity

    fail_on = Severity[args.fail_on.upper()]
    text, code = run_diff(
        settings.root, settings.layout, args.base, args.head, as_of, args.format, fail_on
    )
    _emit(text, args.output)
    return code


def cmd_codeowners(args: argparse.Namespace) -> int:
    """`aipo codeowners`."""
    from .codeowners import run_codeowners

    settings = _settings(args)
    with _hint_without_config(settings):
        return run_codeowners(settings, args.output, args.check, _warn)


def cmd_generate(args: argparse.Namespace) -> int:
    """`aipo generate` (the work lives in generate.py)."""
    from .generate import README, generate

    settings = _settings(args)
    as_of = _as_of(args, settings)
    out = Path(args.out)
    with _hint_without_config(settings):
        done = generate(
            settings,
            as_of,
            out,
            site_path=args.site_path,
            directory_urls=args.directory_urls,
            warn=_warn,
        )
    print(
        f"generated {len(done.written) + len(done.unchanged)} files in {out} "
        f"({len(done.written)} written, {len(done.unchanged)} unchanged, "
        f"{len(done.removed)} removed); wiring: {out / README}"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """`aipo export`."""
    from .export import export

    settings = _settings(args)
    as_of = _as_of(args, settings)
    with _hint_without_config(settings):
        written = export(settings, as_of, Path(args.out), args.format)
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_evidence_build(args: argparse.Namespace) -> int:
    """`aipo evidence build`."""
    from .evidence import build_pack

    config = Path(args.config) if args.config else Path("mkdocs.yml")
    if not config.is_file():
        raise ConfigError(f"config file '{config}' does not exist")
    result = build_pack(
        config.resolve(),
        Path(args.out).absolute(),
        rev=args.rev,
        as_of=lambda settings: _as_of(args, settings),
        version=_version(),
    )
    where = result.commit or "no git commit"
    dirty = " (working tree with uncommitted changes)" if result.dirty else ""
    print(f"wrote {args.out} and {args.out}.zip: {where}{dirty}, as of {result.as_of}")
    return 0


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    """`aipo evidence verify`."""
    from .evidence import verify_pack

    problems = verify_pack(Path(args.pack))
    for line in problems:
        print(line)
    if not problems:
        print(f"{args.pack}: every hash matches and the inputs reproduce the state")
    return 1 if problems else 0


def cmd_collect(args: argparse.Namespace) -> int:
    """`aipo collect` (the work lives in collect.py and aipo_site.collect)."""
    from .collect import default_until, run_collect

    settings = _settings(args)
    until = _date_flag("until", args.until) or default_until(settings)
    with _hint_without_config(settings):
        code, _ = run_collect(settings, until, full=args.full, models=args.model)
    return code


def cmd_schema(args: argparse.Namespace) -> int:
    """`aipo schema`."""
    from .scaffold import check_schemas, write_schemas

    folder = Path(args.output)
    if args.check:
        stale = check_schemas(folder)
        for name in stale:
            print(f"{folder / name} is missing or out of date; run `aipo schema --output {folder}`")
        return 1 if stale else 0
    for path in write_schemas(folder):
        print(f"wrote {path}")
    return 0


def _interactive() -> bool:
    """Whether a person is at the terminal (both stdin and stdout are one) to answer a question."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _ask_site_url(default: str | None) -> str | None:
    """Ask for the portal's address until the answer is valid; Enter (or end of input) keeps
    ``default`` (None: decide later)."""
    from .scaffold import SITE_URL_EXAMPLE, normalise_site_url

    hint = f"[{default}]" if default else "[Enter: set it later in mkdocs.yml]"
    while True:
        try:
            answer = input(
                f"Address the portal will be published at (site_url), e.g. {SITE_URL_EXAMPLE} "
                f"{hint}: "
            )
        except EOFError:
            print()
            return default
        if not answer.strip():
            return default
        try:
            return normalise_site_url(answer)
        except ConfigError as e:
            print(f"  {e}")


def _init_site_url(args: argparse.Namespace, folder: Path) -> tuple[str | None, str]:
    """The site_url for the new mkdocs.yml and the line that says where it came from."""
    from .scaffold import SITE_URL_EXAMPLE, remote_site_url

    if args.site_url is not None:
        return args.site_url, f"site_url: {args.site_url}"
    remote = remote_site_url(folder)
    if _interactive():
        site_url = _ask_site_url(remote[0] if remote else None)
        if site_url is not None:
            return site_url, f"site_url: {site_url}"
    elif remote is not None:
        return remote[0], (
            f"site_url: {remote[0]} (the GitHub Pages address of the git remote '{remote[1]}'; "
            "edit it in mkdocs.yml if the portal is published elsewhere)"
        )
    return None, (
        "Note: mkdocs.yml has no site_url yet (a TODO marks the place): set it to the address the "
        f"portal is published at, e.g. {SITE_URL_EXAMPLE}, or its 404 page is unstyled under a "
        "sub-path and sitemap.xml lists no pages."
    )


def cmd_init(args: argparse.Namespace) -> int:
    """`aipo init`."""
    from .scaffold import (
        aipo_requirement,
        check_target,
        init_repository,
        is_local_requirement,
        normalise_site_url,
    )

    try:
        as_of = resolve_as_of(args.as_of or "today", environ={})
    except ConfigError:
        raise ConfigError(
            f"--as-of: expected a date YYYY-MM-DD or 'today', found {args.as_of!r}"
        ) from None
    if args.site_url is not None:
        try:
            args.site_url = normalise_site_url(args.site_url)
        except ConfigError as e:
            raise ConfigError(f"--site-url: {e}") from None
    folder = Path(args.directory)
    requirement = args.requirement or aipo_requirement()
    if any(ch in requirement for ch in "\n\r"):
        raise ConfigError("--requirement: expected one requirement line")
    pinned = args.as_of is not None and args.as_of != "today"
    # Refuse a folder before asking anything; an existing mkdocs.yml (--force) is kept, so its
    # site_url is the user's already.
    check_target(folder, force=args.force)
    config = folder / "mkdocs.yml"
    keeps_config = config.exists() or config.is_symlink()
    site_url, site_url_line = (None, "") if keeps_config else _init_site_url(args, folder)
    result = init_repository(
        folder,
        as_of=as_of,
        site_name=args.name,
        force=args.force,
        requirement=requirement,
        pinned=pinned,
        site_url=site_url,
    )
    for rel in result.written:
        print(f"created {folder / rel}")
    for rel in result.kept:
        print(f"kept existing {folder / rel}")
    if keeps_config and args.site_url is not None:
        site_url_line = (
            f"Note: the existing {config} was kept, so --site-url is not in it: set site_url there."
        )
    if site_url_line:
        print(site_url_line)
    print(
        f"\nNext: cd {folder} && aipo check && mkdocs serve\n"
        + (
            f"The evaluation date is pinned to {as_of.isoformat()} in mkdocs.yml."
            if pinned
            else "Every build evaluates the day it runs ($AIPO_AS_OF, else today); the "
            "workflow publishes every day."
        )
    )
    if not args.requirement and is_local_requirement():
        print(
            f"\nNote: this aipo was installed from a local folder or file, so requirements.txt "
            f"asks for {requirement}. Until that release is on the package index, CI cannot "
            "install it: run `aipo init` with --requirement 'aipo-portal @ git+<URL of your "
            "aipo repository>@<tag>' or edit requirements.txt."
        )
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    """`aipo new`."""
    from .scaffold import new_charter

    settings = _settings(args)
    since = _as_of(args, settings)
    path = new_charter(settings, args.model_id, name=args.name, since=since)
    rel = f"{settings.layout.charters}/{path.name}"
    print(f"created {rel}")
    print(
        f"Fill in the TODO markers (`aipo check --fail-on warn` lists them); KPI data goes in "
        f"{settings.layout.metrics}/{args.model_id}/*.csv."
    )
    return 0


def _date_flag(name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--{name}: expected a date YYYY-MM-DD, found {value!r}") from None


def cmd_decide(args: argparse.Namespace) -> int:
    """`aipo decide`."""
    from ..model.decisions import DecisionKind
    from .decide import decision_record, write_decision

    settings = _settings(args)
    if args.stage is not None:
        kind, subject = DecisionKind.stage_transition, args.stage
    elif args.risk is not None:
        kind, subject = DecisionKind.risk_acceptance, args.risk
    else:
        kind, subject = DecisionKind.policy_exception, args.exception
    rel, text, warnings = decision_record(
        settings,
        args.model_id,
        kind=kind,
        subject=subject,
        decided_by=args.by,
        summary=args.summary,
        date=_date_flag("date", args.date) or dt.date.today(),
        rev=args.rev,
        rejected=args.rejected,
        conditions=args.condition,
        expires=_date_flag("expires", args.expires),
    )
    for warning in warnings:
        _warn(warning)
    write_decision(settings, rel, text)
    print(f"created {rel}")
    print("Commit it with the pull request that the decision approves.")
    return 0


# --- driver ---------------------------------------------------------------------------------------


def _print_error(error: BaseException) -> None:
    print(f"error: {error}", file=sys.stderr)


def _robust_streams() -> None:
    """Never fail on a character the terminal's encoding cannot show."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run `aipo` with ``argv`` (default: sys.argv[1:]); return the exit code."""
    _robust_streams()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version and usage errors (exit 2)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_INVALID)
    try:
        return int(args.func(args))
    except AipoError as e:
        if getattr(args, "debug", False):  # --debug is SUPPRESSed unless given
            raise
        _print_error(e)
        return EXIT_INVALID
    except BrokenPipeError:  # `aipo check | head`: stop quietly, as the Python docs advise
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        # A bug, not the user's input: never exit 1, which a CI gate reads as "a model is in
        # BREACH", nor 2, which says "fix your files".
        if getattr(args, "debug", False):
            raise
        print(
            f"error: internal error in aipo ({type(e).__name__}: {e}); this is a bug, not a "
            "problem in your files: run again with --debug and report the traceback",
            file=sys.stderr,
        )
        return EXIT_BUG
