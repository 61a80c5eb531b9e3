"""Model pages rendered in a background process while MkDocs builds the rest of the site.

MkDocs builds a site on one core. A cold build of a large portfolio used to render every model
page on every core before MkDocs started (about 8 s of CPU at 1,000 models), then left all but
one core idle for MkDocs' own work. With :class:`BackgroundPages` the build starts with a stub
for each model page (its front matter: the title the navigation needs), and one forked process
renders the pages in the order MkDocs builds them. For each page it writes the page's files
(chart data, badges) where the caller says, writes its cache entry, and queues the page. MkDocs
needs a model page's Markdown only when it builds that page. That is after every page has been
read and converted, by which time the process is far ahead.

The output is the same as rendering every page first: the render function is the same, and so
are the pages, their blocks and their files. One process only, not one per core: the build
process is the critical path, and more workers would slow it down by competing for its core.
When the process stops early (it died, or a page failed to render), the pages it did not queue
are rendered in the build process when they are taken, so a rendering error is raised there,
with its traceback, as without the background process.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import queue
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .parallel import can_fork
from .render.blocks import SplitPage

__all__ = ["BackgroundPages"]

# How long `take` waits for the queue before it checks that the process is still running.
_POLL_SECONDS = 0.5

Render = Callable[[str], tuple[SplitPage, dict[str, str]]]
Write = Callable[[Mapping[str, str]], None]


class BackgroundPages:
    """The pages ``srcs``, rendered by ``render(src)`` (the page, split into its Markdown and
    blocks, and the files beside it) in a background process started by :meth:`start`."""

    def __init__(self, render: Render, srcs: Sequence[str]) -> None:
        self._render = render
        self.srcs = frozenset(srcs)
        self._order = list(srcs)
        self._ready: dict[str, SplitPage] = {}
        self._write: Write | None = None
        self._process: Any = None
        self._queue: Any = None

    def start(self, order: Sequence[str], write: Write) -> None:
        """Fork the process. It renders the pages in ``order`` (then any left out), calls
        ``write`` with each page's files and queues the page. Without fork, nothing starts and
        each page is rendered when it is taken."""
        if self._process is not None:
            raise RuntimeError("the background process is already running")
        first = dict.fromkeys(src for src in order if src in self.srcs)
        self._order = [*first, *(s for s in self._order if s not in first)]
        self._write = write
        if not can_fork():
            return
        context = multiprocessing.get_context("fork")
        self._queue = context.Queue()
        self._process = context.Process(target=self._serve, name="aipo-pages", daemon=True)
        self._process.start()

    def render_all(self) -> dict[str, tuple[SplitPage, dict[str, str]]]:
        """Every page and its files, rendered here (instead of :meth:`start`)."""
        if self._process is not None:
            raise RuntimeError("the background process is running")
        return {src: self._render(src) for src in self._order}

    def _serve(self) -> None:
        # A forked copy of the build: the collector would only copy its pages (copy-on-write).
        gc.disable()
        assert self._write is not None
        for src in self._order:
            try:
                page, files = self._render(src)
                self._write(files)
            except BaseException:
                return  # the build process renders this page again and raises the error
            self._queue.put((src, page))

    def take(self, src: str) -> SplitPage:
        """The page ``src``: from the process (waiting for it), or rendered here when the
        process was not started or stopped before it."""
        if src not in self.srcs:
            raise KeyError(src)
        ready = self._ready.pop(src, None)
        if ready is not None:
            return ready
        while self._process is not None:
            try:
                key, page = self._queue.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not self._process.is_alive():
                    self._drain()
                    self._stop()
                    break
                continue
            if key == src:
                return page
            self._ready[key] = page
        ready = self._ready.pop(src, None)
        if ready is not None:
            return ready
        page, files = self._render(src)
        if self._write is not None:
            self._write(files)
        return page

    def _drain(self) -> None:
        """Keep what the process queued before it stopped."""
        while True:
            try:
                key, page = self._queue.get(timeout=0.1)
            except queue.Empty:
                return
            self._ready[key] = page

    def close(self, *, wait: bool) -> None:
        """Stop the process: ``wait`` for it to finish the pages it has left (their cache
        entries), or end it now (the build failed)."""
        if self._process is None:
            return
        if wait:
            # It cannot exit while its queue holds pages nobody took (MkDocs skips unmodified
            # pages with --dirty), so those are read and dropped.
            while self._process.is_alive():
                with contextlib.suppress(queue.Empty):
                    self._queue.get(timeout=_POLL_SECONDS)
        self._stop()

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process.is_alive():
            process.terminate()
        process.join()
        self._queue.close()
        self._queue = None
