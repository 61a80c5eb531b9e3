"""BackgroundPages: pages rendered by a forked process, taken in any order, the same as
rendered here; a failing page or a dying process falls back to this process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aipo_site.background import BackgroundPages
from aipo_site.render.blocks import SplitPage

SRCS = [f"models/m{i}.md" for i in range(12)]


def page_of(src: str) -> SplitPage:
    return SplitPage(f"# {src}\n", {"0x0": f"<p>{src}</p>"}, {"0x1": "<svg/>" * 5000})


def files_of(src: str) -> dict[str, str]:
    stem = src.removesuffix(".md")
    return {f"{stem}/kpis.csv": f"date,value\n{src}\n"}


def writer(folder: Path):
    def write(files):
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    return write


def render_logged(log: Path, fail: str | None = None, die: str | None = None):
    """render(src), appending "pid src" to ``log``; raises at ``fail``, and the forked process
    exits at ``die`` (in the parent it renders)."""
    parent = os.getpid()

    def render(src: str):
        if src == die and os.getpid() != parent:
            os._exit(3)
        with log.open("a") as f:
            f.write(f"{os.getpid()} {src}\n")
        if src == fail:
            raise ValueError(f"cannot render {src}")
        return page_of(src), files_of(src)

    return render


def renders(log: Path) -> list[tuple[bool, str]]:
    """(rendered in this process, src) for each render, in order."""
    rows = [line.split(" ", 1) for line in log.read_text().splitlines()]
    return [(int(pid) == os.getpid(), src) for pid, src in rows]


def test_pages_come_from_the_process_in_any_order(tmp_path):
    log = tmp_path / "log"
    pages = BackgroundPages(render_logged(log), SRCS)
    pages.start(list(reversed(SRCS)), writer(tmp_path / "site"))
    for src in [SRCS[3], SRCS[0], *SRCS[4:], SRCS[1], SRCS[2]]:
        assert pages.take(src) == page_of(src)
    pages.close(wait=True)
    assert [here for here, _ in renders(log)] == [False] * len(SRCS)
    # In the order given to start.
    assert [src for _, src in renders(log)] == list(reversed(SRCS))
    for src in SRCS:
        [(name, text)] = files_of(src).items()
        assert (tmp_path / "site" / name).read_text() == text


def test_pages_left_out_of_the_order_come_last(tmp_path):
    log = tmp_path / "log"
    pages = BackgroundPages(render_logged(log), SRCS)
    pages.start([SRCS[5], "index.md", SRCS[2]], writer(tmp_path / "site"))
    assert [pages.take(src) for src in SRCS] == [page_of(src) for src in SRCS]
    pages.close(wait=True)
    expected = [SRCS[5], SRCS[2], *(s for s in SRCS if s not in (SRCS[5], SRCS[2]))]
    assert [src for _, src in renders(log)] == expected


def test_a_failing_page_raises_here_and_the_others_still_come(tmp_path):
    log = tmp_path / "log"
    pages = BackgroundPages(render_logged(log, fail=SRCS[4]), SRCS)
    pages.start(SRCS, writer(tmp_path / "site"))
    for src in SRCS[:4]:
        assert pages.take(src) == page_of(src)
    with pytest.raises(ValueError, match=r"cannot render models/m4\.md"):
        pages.take(SRCS[4])
    assert pages.take(SRCS[7]) == page_of(SRCS[7])
    pages.close(wait=True)
    rows = renders(log)
    assert (True, SRCS[4]) in rows and (False, SRCS[4]) in rows
    assert (True, SRCS[7]) in rows  # the process stopped at the failure
    assert (tmp_path / "site" / "models/m7/kpis.csv").is_file()


def test_when_the_process_dies_the_rest_is_rendered_here(tmp_path):
    log = tmp_path / "log"
    pages = BackgroundPages(render_logged(log, die=SRCS[6]), SRCS)
    pages.start(SRCS, writer(tmp_path / "site"))
    assert [pages.take(src) for src in reversed(SRCS)] == [page_of(s) for s in reversed(SRCS)]
    pages.close(wait=True)
    rows = renders(log)
    there = {src for here, src in rows if not here}
    assert SRCS[0] in there and there <= set(SRCS[:6])
    # What it had rendered but not yet sent when it died is rendered again here.
    here = {src for here, src in rows if here}
    assert set(SRCS[6:]) <= here and here | there == set(SRCS)
    assert all((tmp_path / "site" / f"models/m{i}/kpis.csv").is_file() for i in range(12))


def test_close_does_not_wait_for_pages_nobody_took(tmp_path):
    """With --dirty MkDocs skips unmodified pages: closing reads and drops what is queued."""
    log = tmp_path / "log"
    pages = BackgroundPages(render_logged(log), SRCS)
    pages.start(SRCS, writer(tmp_path / "site"))
    assert pages.take(SRCS[0]) == page_of(SRCS[0])
    pages.close(wait=True)
    assert len(renders(log)) == len(SRCS)  # every cache entry (here: log line) was written
    pages.close(wait=True)  # closing twice is harmless


def test_close_without_waiting_ends_the_process(tmp_path):
    import time

    def slow(src: str):
        time.sleep(30)
        return page_of(src), {}

    pages = BackgroundPages(slow, SRCS)
    pages.start(SRCS, writer(tmp_path / "site"))
    process = pages._process
    started = time.monotonic()
    pages.close(wait=False)
    assert not process.is_alive()
    assert time.monotonic() - started < 20


def test_without_start_pages_are_rendered_when_taken(tmp_path):
    log = tmp_path / "log"
    pages = BackgroundPages(render_logged(log), SRCS)
    assert pages.take(SRCS[2]) == page_of(SRCS[2])
    assert renders(log) == [(True, SRCS[2])]
    assert pages.render_all() == {src: (page_of(src), files_of(src)) for src in SRCS}
    with pytest.raises(KeyError):
        pages.take("index.md")
