"""The repository boundary: what WorkingTree (and GitRevision) refuse to read, and how those
refusals reach a user of `aipo check` (exit 2, one `error:` line, never a traceback or a hang)."""

from __future__ import annotations

import errno
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GitRepo

from aipo_site.cli import main
from aipo_site.errors import InputError, InputErrors
from aipo_site.load.git import GitRevision
from aipo_site.load.repository import Layout, load_repository
from aipo_site.load.source import WorkingTree
from aipo_site.load.yamlfile import read_yaml
from tests.conftest import MINI_CHARTER

SECRET = "TOP-SECRET-OUTSIDE-CONTENT"

DRIFT = """drift:
  samples: drift/samples.csv
  reference: {start: 2026-05-05, end: 2026-07-31}
  features:
    - {name: amount}
"""


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail (instead of hanging the suite) when a test blocks for 10 s, e.g. opening a FIFO."""

    def on_alarm(signum: int, frame: object) -> None:
        raise TimeoutError("blocked for 10 s: a loader opened something it should not have")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder next to the repository, holding a file whose content must never be printed."""
    folder = tmp_path / "outside"
    (folder / "m1").mkdir(parents=True)
    (folder / "secret.csv").write_text(f"date,metric,value\n{SECRET}\n")
    (folder / "m1" / "kpis.csv").write_text(f"date,metric,value\n{SECRET}\n")
    return folder


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path os.open is called with while the test runs."""
    seen: list[str] = []
    real = os.open

    def spy(path, flags, *args, **kwargs):
        seen.append(os.fspath(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    return seen


def refused(tree: WorkingTree, path: str) -> InputError:
    with pytest.raises(InputError) as info:
        tree.read_bytes(path)
    return info.value


# --- links ------------------------------------------------------------------------------------


def test_a_link_to_a_file_outside_is_refused_and_never_opened(tmp_path, outside, opened):
    root = tmp_path / "repo"
    (root / "metrics" / "m1").mkdir(parents=True)
    (root / "metrics" / "m1" / "kpis.csv").symlink_to(outside / "secret.csv")
    tree = WorkingTree(root)
    err = refused(tree, "metrics/m1/kpis.csv")
    assert str(err) == (
        "metrics/m1/kpis.csv: is a symbolic link to a location outside the repository; aipo "
        "reads only files inside it"
    )
    with pytest.raises(InputError, match="outside the repository"):
        tree.list_files("metrics")
    assert SECRET not in str(err) and str(outside) not in str(err)
    assert not any(p.startswith(str(outside)) for p in opened)


def test_a_link_to_a_folder_outside_is_refused_at_any_level(tmp_path, outside):
    root = tmp_path / "repo"
    (root / "metrics").mkdir(parents=True)
    (root / "metrics" / "m1").symlink_to(outside / "m1", target_is_directory=True)
    tree = WorkingTree(root)
    err = refused(tree, "metrics/m1/kpis.csv")
    assert err.path == "metrics/m1" and "outside the repository" in err.message
    with pytest.raises(InputError) as info:
        tree.list_files("metrics")
    assert info.value.path == "metrics/m1"
    with pytest.raises(InputError):
        tree.is_dir("metrics/m1")


def test_the_configured_metrics_folder_itself_may_not_leave(mini_repo, outside):
    root = mini_repo()
    (root / "metrics" / "m1" / "kpis.csv").unlink()
    (root / "metrics" / "m1").rmdir()
    (root / "metrics").rmdir()
    (root / "metrics").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InputError) as info:
        load_repository(WorkingTree(root))
    assert str(info.value) == (
        "metrics: is a symbolic link to a location outside the repository; aipo reads only "
        "files inside it"
    )
    assert SECRET not in str(info.value)


def test_the_configured_charters_folder_itself_may_not_leave(mini_repo, tmp_path):
    root = mini_repo()
    elsewhere = tmp_path / "elsewhere"
    (root / "content" / "models").rename(elsewhere)
    (root / "content" / "models").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(InputError) as info:
        load_repository(WorkingTree(root))
    assert info.value.path == "content/models" and "outside the repository" in str(info.value)


def test_a_policy_link_leaving_the_repository_is_refused(mini_repo, outside):
    root = mini_repo()
    (root / "content" / "policy.yaml").unlink()
    (root / "content" / "policy.yaml").symlink_to(outside / "secret.csv")
    with pytest.raises(InputError) as info:
        load_repository(WorkingTree(root))
    assert info.value.path == "content/policy.yaml" and SECRET not in str(info.value)


def test_links_inside_the_repository_are_followed_and_cycles_listed_once(mini_repo):
    root = mini_repo()
    metrics = root / "metrics"
    (metrics / "shared").mkdir()
    (metrics / "shared" / "kpis.csv").write_text((metrics / "m1" / "kpis.csv").read_text())
    (metrics / "m1" / "kpis.csv").unlink()
    (metrics / "m1" / "kpis.csv").symlink_to("../shared/kpis.csv")
    (metrics / "m1" / "again").symlink_to(metrics / "m1", target_is_directory=True)  # a cycle
    tree = WorkingTree(root)
    assert tree.list_files("metrics/m1") == ["metrics/m1/kpis.csv"]
    repo = load_repository(tree)
    assert len(repo.models[0].metrics) == 30


def test_a_broken_link_and_a_link_loop(tmp_path):
    root = tmp_path / "repo"
    (root / "metrics").mkdir(parents=True)
    (root / "metrics" / "gone.csv").symlink_to("nothing-here.csv")
    (root / "metrics" / "loop.csv").symlink_to("loop.csv")
    tree = WorkingTree(root)
    assert str(refused(tree, "metrics/gone.csv")) == "metrics/gone.csv: is a broken symbolic link"
    assert (
        str(refused(tree, "metrics/loop.csv")) == "metrics/loop.csv: is a symbolic link that loops"
    )
    with pytest.raises(InputError, match="broken symbolic link"):
        tree.list_files("metrics")


def test_paths_leaving_the_root_by_name_are_refused(tmp_path):
    tree = WorkingTree(tmp_path)
    for path in ("../x.csv", "metrics/../../x.csv", "/etc/passwd"):
        assert refused(tree, path).message == "is outside the repository"


# --- special files, folders, unreadable files, sizes -----------------------------------------


def test_a_fifo_is_refused_without_being_opened(tmp_path, deadline, opened):
    (tmp_path / "metrics").mkdir()
    os.mkfifo(tmp_path / "metrics" / "kpis.csv")
    tree = WorkingTree(tmp_path)
    assert tree.list_files("metrics") == ["metrics/kpis.csv"]  # listed: reading is the error
    err = refused(tree, "metrics/kpis.csv")
    assert str(err) == "metrics/kpis.csv: is a named pipe (FIFO), not a regular file"
    assert opened == []
    assert not tree.is_file("metrics/kpis.csv")


def test_a_fifo_swapped_in_after_the_check_is_caught_on_the_descriptor(
    tmp_path, monkeypatch, deadline
):
    # stat says "regular file", then the FIFO is what gets opened (O_NONBLOCK: no hang).
    (tmp_path / "real.csv").write_text("x")
    os.mkfifo(tmp_path / "pipe.csv")
    real_stat = os.stat

    def fake_stat(path, *args, **kwargs):
        if os.fspath(path).endswith("pipe.csv"):
            return real_stat(tmp_path / "real.csv")
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", fake_stat)
    err = refused(WorkingTree(tmp_path), "pipe.csv")
    assert err.message == "is a named pipe (FIFO), not a regular file"


def test_a_socket_is_refused(tmp_path):
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "s.csv"))
        assert refused(WorkingTree(tmp_path), "s.csv").message == "is a socket, not a regular file"


def test_a_character_device_is_refused(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "null.csv").symlink_to("/dev/null")  # outside the root: refused as such
    assert "outside the repository" in refused(WorkingTree(tmp_path), "m/null.csv").message
    tree = WorkingTree("/dev")
    assert refused(tree, "null").message == "is a character device, not a regular file"


def test_a_folder_where_a_file_is_expected(tmp_path):
    (tmp_path / "samples.csv").mkdir()
    assert refused(WorkingTree(tmp_path), "samples.csv").message == "is a folder, not a file"


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "cannot be read: permission denied"),
        (OSError(errno.EIO, "Input/output error"), "cannot be read: input/output error"),
    ],
)
def test_an_unreadable_file_is_one_line(tmp_path, monkeypatch, error, message):
    # Tests run as root, for whom chmod 000 changes nothing: the open call fails instead.
    (tmp_path / "a.csv").write_text("x")
    real = os.open

    def failing(path, flags, *args, **kwargs):
        if os.fspath(path).endswith("a.csv"):
            raise error
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", failing)
    assert str(refused(WorkingTree(tmp_path), "a.csv")) == f"a.csv: {message}"


def test_the_size_cap_is_checked_before_reading(tmp_path, monkeypatch):
    (tmp_path / "big.csv").write_bytes(b"x" * 11)
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: pytest.fail("read before the size check"))
    with pytest.raises(InputError) as info:
        WorkingTree(tmp_path).read_bytes("big.csv", limit=10)
    assert str(info.value) == "big.csv: is 11 bytes; the limit is 10"


class _Reads:
    """os.fdopen whose handle records the sizes asked of read(), after the file grew by
    ``grow`` bytes (between fstat and reading)."""

    def __init__(self, path: Path, grow: bytes) -> None:
        self.asked: list[int] = []
        self.path, self.grow, self.real = path, grow, os.fdopen

    def __call__(self, fd: int, *args, **kwargs):
        with self.path.open("ab") as f:
            f.write(self.grow)
        handle = self.real(fd, *args, **kwargs)
        read, asked = handle.read, self.asked

        class Handle:
            def __enter__(self):
                handle.__enter__()
                return self

            def __exit__(self, *exc):
                return handle.__exit__(*exc)

            def read(self, size=-1):
                asked.append(size)
                return read(size)

        return Handle()


@pytest.mark.parametrize(
    ("grow", "limit", "expected"),
    [
        (b"", 200_000_000, b"x" * 10),  # read what fstat gave, not a 200 MB buffer
        (b"y" * 5, 200_000_000, b"x" * 10 + b"y" * 5),  # grew meanwhile: read to the end
        (b"y" * 5, 12, None),  # grew past the limit meanwhile: refused
        (b"y" * 2, 12, b"x" * 10 + b"yy"),  # grew to exactly the limit
    ],
)
def test_a_file_is_read_by_its_size_and_growth_is_caught(
    tmp_path, monkeypatch, grow, limit, expected
):
    path = tmp_path / "m.csv"
    path.write_bytes(b"x" * 10)
    reads = _Reads(path, grow)
    monkeypatch.setattr(os, "fdopen", reads)
    if expected is None:
        with pytest.raises(InputError, match="is more than 12 bytes; the limit is 12"):
            WorkingTree(tmp_path).read_bytes("m.csv", limit=limit)
    else:
        assert WorkingTree(tmp_path).read_bytes("m.csv", limit=limit) == expected
    assert reads.asked[0] == 11 and all(size <= limit + 1 for size in reads.asked)


def test_a_file_swapped_for_an_outside_one_while_opening_is_refused(tmp_path, outside, monkeypatch):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "a.csv").write_text("inside")
    real = os.open

    def swapped(path, flags, *args, **kwargs):
        if os.fspath(path).endswith("a.csv"):
            return real(outside / "secret.csv", flags, *args, **kwargs)
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", swapped)
    err = refused(WorkingTree(root), "a.csv")
    assert err.message == "changed while it was being read; run aipo again"


def test_a_missing_file_stays_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        WorkingTree(tmp_path).read_bytes("nope.csv")
    with pytest.raises(FileNotFoundError):
        WorkingTree(tmp_path).read_bytes("nope/deeper.csv")
    (tmp_path / "ok.csv").write_bytes(b"data")
    assert WorkingTree(tmp_path).read_bytes("ok.csv", limit=4) == b"data"


# --- file names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown", "what"),
    [
        ("a\x1bb.csv", "a\\x1bb.csv", "the character U+001B (ESC)"),
        ("a\u202eb.csv", "a\\u202eb.csv", "the character U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("a\nb.csv", "a\\nb.csv", "the character U+000A (LF)"),
        ("a\x7f.csv", "a\\x7f.csv", "the character U+007F (DEL)"),
    ],
)
def test_file_names_with_forbidden_characters_are_named_escaped(tmp_path, name, shown, what):
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / name).write_text("x")
    with pytest.raises(InputError) as info:
        WorkingTree(tmp_path).list_files("metrics")
    assert str(info.value) == f"metrics/{shown}: the file name contains {what}; rename it"


def test_file_names_that_are_not_utf8(tmp_path):
    (tmp_path / "metrics").mkdir()
    Path(os.fsdecode(os.fsencode(tmp_path / "metrics") + b"/caf\xe9.csv")).write_text("x")
    with pytest.raises(InputError) as info:
        WorkingTree(tmp_path).list_files("metrics")
    assert str(info.value) == (
        "metrics/caf\\xe9.csv: the file name contains bytes that are not UTF-8; rename it"
    )


def test_hidden_files_are_skipped_even_when_odd(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / ".a\x1b").write_text("x")
    (tmp_path / "m" / "ok.csv").write_text("x")
    assert WorkingTree(tmp_path).list_files("m") == ["m/ok.csv"]


# --- git revisions ------------------------------------------------------------------------------


def test_a_git_revision_applies_the_same_name_rule_and_size_cap(tmp_path, git_env):
    repo = GitRepo.init(tmp_path / "g")
    repo.write("metrics/m1/a\x1b.csv", "x\n")
    repo.write("metrics/m1/big.csv", "y" * 50)
    repo.write("metrics/m1/ok.csv", "ok\n")
    repo.commit("files")
    with GitRevision(repo.path, "HEAD") as rev:
        with pytest.raises(InputError) as info:
            rev.list_files("metrics")
        assert str(info.value) == (
            "metrics/m1/a\\x1b.csv: the file name contains the character U+001B (ESC); rename it"
        )
        with pytest.raises(InputError, match=r"^metrics/m1/big.csv: is 50 bytes; the limit is 10$"):
            rev.read_bytes("metrics/m1/big.csv", limit=10)
        assert rev.read_bytes("metrics/m1/ok.csv") == b"ok\n"  # the batch reader goes on


# --- through `aipo check` ---------------------------------------------------------------------


def check(root: Path, capsys) -> tuple[int, str, str]:
    code = main(["check", "--config", str(root / "mkdocs.yml")])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(code: int, err: str) -> str:
    """The exit code is 2 and stderr is exactly one `error: ...` line; return that line."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def drift_repo(mini_repo) -> Path:
    charter = MINI_CHARTER.format(id="m1", name="Model one") + DRIFT
    root = mini_repo(charters={"m1": charter})
    (root / "metrics" / "m1" / "drift").mkdir()
    return root


def test_cli_permission_denied(drift_repo, monkeypatch, capsys):
    (drift_repo / "metrics" / "m1" / "drift" / "samples.csv").write_text("date,amount\n")
    real = os.open

    def failing(path, flags, *args, **kwargs):
        if os.fspath(path).endswith("samples.csv"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", failing)
    line = one_error_line(*check(drift_repo, capsys)[::2])
    assert line == "error: metrics/m1/drift/samples.csv: cannot be read: permission denied"


def test_cli_drift_path_that_is_a_folder(drift_repo, capsys):
    (drift_repo / "metrics" / "m1" / "drift" / "samples.csv").mkdir()
    line = one_error_line(*check(drift_repo, capsys)[::2])
    assert line == "error: metrics/m1/drift/samples.csv: is a folder, not a file"


def test_cli_named_pipe_as_drift_input_does_not_hang(drift_repo, capsys, deadline):
    os.mkfifo(drift_repo / "metrics" / "m1" / "drift" / "samples.csv")
    line = one_error_line(*check(drift_repo, capsys)[::2])
    assert line == "error: metrics/m1/drift/samples.csv: is a named pipe (FIFO), not a regular file"


def test_cli_link_to_a_file_outside(drift_repo, outside, capsys):
    (drift_repo / "metrics" / "m1" / "drift" / "samples.csv").symlink_to(outside / "secret.csv")
    code, out, err = check(drift_repo, capsys)
    line = one_error_line(code, err)
    assert line == (
        "error: metrics/m1/drift/samples.csv: is a symbolic link to a location outside the "
        "repository; aipo reads only files inside it"
    )
    assert SECRET not in out + err and str(outside) not in out + err


def test_cli_broken_link(drift_repo, capsys):
    (drift_repo / "metrics" / "m1" / "drift" / "samples.csv").symlink_to("gone.csv")
    line = one_error_line(*check(drift_repo, capsys)[::2])
    assert line == "error: metrics/m1/drift/samples.csv: is a broken symbolic link"


def test_cli_control_character_in_a_charter(mini_repo, capsys):
    charter = MINI_CHARTER.format(id="m1", name='"Model\\0one"')
    line = one_error_line(*check(mini_repo(charters={"m1": charter}), capsys)[::2])
    assert line == (
        "error: content/models/m1.yaml:2:7: name: contains the control character U+0000 (NUL); "
        "remove it"
    )


def test_cli_control_character_in_a_metric_csv(mini_repo, capsys):
    root = mini_repo(metrics={"m1/kpis.csv": "date,metric,value\n2026-11-20,recall,0.9\x1b\n"})
    line = one_error_line(*check(root, capsys)[::2])
    assert line == (
        "error: metrics/m1/kpis.csv:2: contains the control character U+001B (ESC); remove it"
    )


def test_cli_several_boundary_problems_are_all_listed(drift_repo, outside, capsys):
    (drift_repo / "metrics" / "m1" / "drift" / "samples.csv").symlink_to(outside / "secret.csv")
    (drift_repo / "metrics" / "m1" / "bad\x1b.csv").write_text("x")
    with pytest.raises(InputErrors) as info:
        load_repository(WorkingTree(drift_repo), Layout())
    paths = sorted(e.path for e in info.value.errors)
    assert paths == ["metrics/m1/bad\\x1b.csv", "metrics/m1/drift/samples.csv"]
    code, _, err = check(drift_repo, capsys)
    assert code == 2 and "Traceback" not in err and SECRET not in err


BINS_DRIFT = "drift:\n  bins: drift/bins.csv\n  features:\n    - {name: age}\n"
BINS_HEAD = "feature,bin,reference_count,current_count\n"


@pytest.mark.parametrize(
    ("drift", "files", "expected"),
    [
        (
            "",
            {"m1/kpis.csv": "date,metric,value\r2026-11-20,recall,0.9\r"},
            "metrics/m1/kpis.csv:1: uses CR-only line endings; save it with LF or CRLF line endings",
        ),
        (
            "",
            {
                "m1/kpis.csv": 'date,metric,value,segment\n2026-11-19,recall,0.9,"a\n\nb"\n'
                "2026-11-20,recall,high,\n"
            },
            "metrics/m1/kpis.csv:5: value: expected a finite number, found 'high'",
        ),
        (
            BINS_DRIFT,
            {"m1/drift/bins.csv": BINS_HEAD + "age,young,1,1\nage,old,99999999999999999999,1\n"},
            "metrics/m1/drift/bins.csv:3: reference_count: count too large, found "
            "'99999999999999999999'; the limit is 1,000,000,000,000,000 (10^15)",
        ),
        (
            BINS_DRIFT.replace("{name: age}", "{name: agee}"),
            {"m1/drift/bins.csv": BINS_HEAD + "age,young,1,1\nage,old,1,1\n"},
            "metrics/m1/drift/bins.csv: declared feature 'agee' (charter drift.features[0]) has no "
            "rows in this file; did you mean 'age'?",
        ),
        (
            DRIFT.replace("{name: amount}", "{name: amout}"),
            {"m1/drift/samples.csv": "date,amount\n2026-06-01,1\n"},
            "metrics/m1/drift/samples.csv:1: declared feature 'amout' (charter drift.features[0]) "
            "is not a column; did you mean 'amount'?",
        ),
    ],
    ids=["cr-only-csv", "line-after-quoted-blank-lines", "bins-overflow", "bins-feature", "column"],
)
def test_cli_every_loader_refusal_exits_2_with_one_line(mini_repo, capsys, drift, files, expected):
    charter = MINI_CHARTER.format(id="m1", name="Model one") + drift
    root = mini_repo(
        charters={"m1": charter},
        metrics={"m1/kpis.csv": "date,metric,value\n2026-11-20,recall,0.9\n", **files},
    )
    assert one_error_line(*check(root, capsys)[::2]) == f"error: {expected}"


def test_cli_forbidden_character_in_a_yaml_key(mini_repo, capsys):
    charter = MINI_CHARTER.format(id="m1", name="Model one") + '"no\\u202Ete": x\n'
    line = one_error_line(*check(mini_repo(charters={"m1": charter}), capsys)[::2])
    assert line.startswith("error: content/models/m1.yaml:22:1: 'no\\u202ete': contains the ")
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in line


def test_a_nul_in_a_configured_path_is_an_error_not_a_crash(tmp_path):
    # os.lstat raises ValueError for an embedded NUL; a folder option could hold one ("\0").
    with pytest.raises(InputError) as info:
        WorkingTree(tmp_path).is_dir("content/mo\x00dels")
    assert str(info.value) == (
        "content/mo\\x00dels: the file name contains the character U+0000 (NUL); rename it"
    )
    with pytest.raises(InputError, match="is not a valid file name"):
        read_yaml(tmp_path / "a\x00b.yaml")
