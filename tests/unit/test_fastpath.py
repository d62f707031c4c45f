"""The fast text path checks itself: on only for a tested matplotlib release whose
reference figure it draws exactly as plain Agg does; off (plain Agg) otherwise."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.figure
import pytest

from derivlens import model
from derivlens.plotting import canvas, fastpath, render, stage, textcache
from derivlens.plotting.usual import usual_shapes
from derivlens.sandbox.doctor import drawing

ROOT = Path(__file__).resolve().parents[2]
HOVER = model.Render(size="hover")
PANEL = model.Render(size="panel", width=500, height=300, scale=1)


@pytest.fixture
def decided_again(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Whatever a test changes, the next ones get the real fast path, decided anew."""
    yield
    monkeypatch.undo()
    assert fastpath.decide().on


def drawn(look: model.Render) -> bytes:
    """The usual f with four derivatives as `look`, on a figure of its own."""
    with stage.without_stages():
        return render(usual_shapes()[0][0], look).data


def plain(look: model.Render) -> bytes:
    """The same, as matplotlib alone draws it (no text caches, no private names)."""
    with stage.suspended():
        return render(usual_shapes()[0][0], look).data


def shift_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every glyph laid out one pixel further right."""
    laid = canvas.Renderer._glyphs

    def shifted(self: Any, *args: Any) -> list[tuple[Any, int, float, float]]:
        return [(face, glyph, x + 1.0, y) for face, glyph, x, y in laid(self, *args)]

    monkeypatch.setattr(canvas.Renderer, "_glyphs", shifted)


def raise_ascent(monkeypatch: pytest.MonkeyPatch) -> None:
    """A font's ascent one pixel taller (texts placed by their top move down)."""
    metrics = canvas._height_metrics

    def taller(prop: Any, dpi: float) -> Any:
        ascent, descent, gap = metrics(prop, dpi)
        return ascent + 1.0, descent, gap

    monkeypatch.setattr(canvas, "_height_metrics", taller)


def darken_glyphs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each glyph's bitmap a little darker (rasterized with other settings)."""
    rendered = canvas._render

    def darker(*args: Any) -> Any:
        buffer, left, top = rendered(*args)
        return buffer // 2 + 1, left, top

    monkeypatch.setattr(canvas, "_render", darker)


@pytest.mark.parametrize("change", [shift_layout, raise_ascent, darken_glyphs])
def test_a_fast_path_that_draws_differently_is_turned_off(
    change: Callable[[pytest.MonkeyPatch], None],
    monkeypatch: pytest.MonkeyPatch,
    decided_again: None,
) -> None:
    """A release whose internals keep their names but draw otherwise (here: one piece
    of the fast path changed) fails the reference figure: plain Agg draws every image."""
    change(monkeypatch)
    status = fastpath.decide()
    assert not status.on and not canvas.FAST
    assert "its reference figure differs from plain Agg's" in status.reason
    assert re.search(r"\d+ pixels, the first at x=\d+, y=\d+", status.reason)
    assert textcache.cache_sizes() == dict.fromkeys(textcache.cache_sizes(), 0)
    for look in (HOVER, PANEL):
        assert drawn(look) == plain(look)
    # The change does show: the same image drawn with the fast path forced on differs.
    monkeypatch.setattr(canvas, "FAST", True)
    assert drawn(HOVER) != plain(HOVER)


def test_an_untested_matplotlib_release_turns_it_off(
    monkeypatch: pytest.MonkeyPatch, decided_again: None
) -> None:
    """A patch release with every private name still there is not trusted either: its
    reference figure is not even drawn."""

    def never() -> None:
        raise AssertionError("the reference figure was drawn")

    tested = fastpath.TESTED_MATPLOTLIB[0]
    major, minor, patch = (int(v) for v in tested.split("."))
    for version in (f"{major}.{minor}.{patch + 1}", f"{major}.{minor + 1}.0", f"{tested}.post1"):
        monkeypatch.setattr(matplotlib, "__version__", version)
        monkeypatch.setattr(fastpath, "_difference", never)
        status = fastpath.decide()
        assert status == fastpath.Status(
            False, f"matplotlib {version} is not a release it was tested on ({tested})"
        )
        assert not canvas.FAST
        assert drawn(HOVER) == plain(HOVER)


def test_a_missing_private_name_turns_it_off(
    monkeypatch: pytest.MonkeyPatch, decided_again: None
) -> None:
    """(Only while deciding: matplotlib itself needs the name to make a figure.)"""
    with monkeypatch.context() as without:
        without.delattr(matplotlib.figure, "_stale_figure_callback")
        status = fastpath.decide()
    assert not status.on
    assert status.reason.endswith("lacks figure._stale_figure_callback")
    assert drawn(HOVER) == plain(HOVER)


def test_on_with_the_pinned_release() -> None:
    """Here (constraints.txt's pin) the fast path is on, so the pixel comparisons of
    test_plotting.py compare it with plain Agg."""
    pins = (ROOT / "constraints.txt").read_text()
    pinned = re.search(r"^matplotlib==(\S+)$", pins, re.M)
    assert pinned is not None
    assert pinned[1] in fastpath.TESTED_MATPLOTLIB
    assert matplotlib.__version__ == pinned[1]
    status = fastpath.status()
    assert status.on and canvas.FAST
    assert status.describe() == (
        f"fast path on: matplotlib {pinned[1]}, "
        "its reference figure drawn exactly as plain Agg draws it"
    )


def test_the_worker_decides_during_its_warm_up() -> None:
    """`runner.warm_up` (before the worker forks any child) leaves the decision made."""
    code = (
        "from derivlens import runner\n"
        "from derivlens.plotting import canvas, fastpath\n"
        "assert fastpath._status is None and not canvas.FAST\n"
        "runner.warm_up()\n"
        "print(fastpath._status.on, canvas.FAST)\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'server'}{os.pathsep}{ROOT}"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True"]


def test_doctor_says_how_text_is_drawn() -> None:
    assert drawing() == fastpath.status().describe()
