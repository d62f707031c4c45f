"""The text sparkline that hovers show to clients without images."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivlens.sparkline import BLOCKS, _resample, buckets, sparkline


def test_monotone_increasing_rises_from_lowest_to_highest_block() -> None:
    line = sparkline([x * x * x for x in range(200)], width=30)
    assert len(line) == 30
    levels = [BLOCKS.index(c) for c in line]
    assert levels == sorted(levels)
    assert line[0] == "▁"
    assert line[-1] == "█"


def test_decreasing_falls() -> None:
    line = sparkline([-float(i) for i in range(100)], width=20)
    assert line[0] == "█"
    assert line[-1] == "▁"


def test_width_is_honoured_for_long_and_short_inputs() -> None:
    assert len(sparkline([math.sin(i / 10) for i in range(401)], width=40)) == 40
    assert len(sparkline([math.sin(i / 10) for i in range(401)])) == 40
    assert len(sparkline([1.0, 2.0, 3.0], width=12)) == 12
    assert sparkline([1.0, 2.0], width=0) == ""


def test_none_and_non_finite_become_spaces() -> None:
    values: list[float | None] = [float(i) for i in range(40)]
    values[10:20] = [None] * 10
    values[30] = math.nan
    values[31] = math.inf
    line = sparkline(values, width=40)
    assert line[10:20] == " " * 10
    assert line[30:32] == "  "
    assert line[0] == "▁"
    assert line[-1] == "█"


def test_constant_is_a_flat_line() -> None:
    assert sparkline([3.5] * 50, width=10) == "▄" * 10
    # Rounding noise around a constant is still flat.
    assert sparkline([24.0, 24.000000000000004, 23.999999999999996] * 5, width=15) == "▄" * 15


def test_empty_and_all_none_give_empty_string() -> None:
    assert sparkline([]) == ""
    assert sparkline([None, None, None]) == ""
    assert sparkline([math.nan] * 10) == ""


def test_oscillation_keeps_its_peaks() -> None:
    # sin(20x) sampled 401 times: averaging buckets would flatten it.
    line = sparkline([math.sin(20 * (i / 40 - 5)) for i in range(401)], width=40)
    assert "█" in line
    assert "▁" in line


def test_huge_values_do_not_overflow() -> None:
    line = sparkline([-1.7e308, 0.0, 1.7e308], width=3)
    assert line == "▁▄█" or line == "▁▅█"


def test_only_block_characters_and_spaces() -> None:
    line = sparkline([math.tan(i / 7) for i in range(300)], width=50)
    assert set(line) <= set(BLOCKS) | {" "}


def _resample_by_scan(values: list[float | None], width: int) -> list[float | None]:
    """The farthest sample from the last column picked, found by comparing every one."""
    columns: list[float | None] = []
    for cells in buckets(len(values), width):
        bucket = [v for v in values[cells] if v is not None]
        picked = [c for c in columns if c is not None]
        if not bucket:
            columns.append(None)
        elif not picked:
            columns.append(bucket[0])
        else:
            columns.append(max(bucket, key=lambda v, last=picked[-1]: abs(v - last)))
    return columns


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.floats(-1e6, 1e6), st.sampled_from([0.0, -0.0, 1.0])), max_size=120
    ),
    st.integers(1, 60),
)
def test_columns_pick_the_sample_farthest_from_the_last(
    values: list[float | None], width: int
) -> None:
    assert _resample(values, width) == _resample_by_scan(values, width)


@pytest.mark.parametrize(("n", "width"), [(1, 5), (5, 5), (7, 3), (401, 32), (3, 40)])
def test_buckets_cover_every_sample_in_order(n: int, width: int) -> None:
    cells = list(buckets(n, width))
    assert len(cells) == width
    assert all(c.stop > c.start for c in cells)
    covered = [i for c in cells for i in range(c.start, min(c.stop, n))]
    assert sorted(set(covered)) == list(range(n))  # none left out, in order
    assert covered == sorted(covered)
