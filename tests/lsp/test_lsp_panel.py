"""What the VS Code panel asks of the server, over stdio as the panel asks it.

The panel's sliders send `params`, its readout and drag-zoom read `image.axes`, and it
asks for an image of its own size (`width`, `height`, `scale`). Each test checks what the
panel (and so its user) relies on: the values held are the ones reported in `fixed`, a
pixel of the image maps to the x the curve is drawn at, and the image has the pixels the
panel will show it at.
"""

from __future__ import annotations

import base64
import io
import math
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_lsp
from lsprotocol import types
from PIL import Image
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from derivlens.plotting.style import PALETTES
from tests.lsp.test_lsp import open_document
from tests.lsp_session import SERVER, start

pytestmark = pytest.mark.asyncio(loop_scope="module")


SOURCE = textwrap.dedent(
    """
    import torch

    def scaled(x, a=1.5, label="curve"):
        return a * x**2

    def partial_sum(x, n=3):
        return sum(x**k for k in range(n))

    # derivlens: domain=-2..3
    def bump(x, centre=1.0):
        return torch.exp(-20 * (x - centre) ** 2)

    def bowl(x, y, k=2.0):
        return x**2 + k * y**2
    """
).lstrip("\n")


def def_lines(text: str) -> dict[str, int]:
    """The 0-based line of each `def NAME(` in `text`."""
    return {
        line[4 : line.index("(")]: i
        for i, line in enumerate(text.splitlines())
        if line.startswith("def ")
    }


LINE = def_lines(SOURCE)


@pytest_lsp.fixture(config=SERVER, scope="module")
async def client(lsp_client: LanguageClient, workdir: Path) -> AsyncIterator[None]:
    await start(lsp_client, workdir, "panel")
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def uri(client: LanguageClient, workdir: Path) -> str:
    return open_document(client, workdir / "panel.py", SOURCE)


async def plot(client: LanguageClient, uri: str, function: str, **options: Any) -> dict[str, Any]:
    argument = {"uri": uri, "position": {"line": LINE[function], "character": 4}, **options}
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="derivlens.plot", arguments=[argument])
    )
    assert isinstance(result, dict), result
    return result


def png(result: dict[str, Any]) -> np.ndarray:
    """The result's image as an RGB array (rows, columns, 3), checked to be the PNG stated."""
    image = result["image"]
    assert image["format"] == "png"
    decoded = Image.open(io.BytesIO(base64.b64decode(image["data"], validate=True)))
    assert decoded.size == (image["width"], image["height"])
    return np.asarray(decoded.convert("RGB"), dtype=float)


def rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


# --- params (the sliders) -------------------------------------------------------------------


async def test_params_override_a_held_parameter_and_fixed_shows_it(client, uri):
    default = await plot(client, uri, "scaled", domain=[-1, 1], samples=5)
    assert default["fixed"] == {"a": 1.5, "label": "curve"}
    moved = await plot(client, uri, "scaled", domain=[-1, 1], samples=5, params={"a": 2.5})
    assert moved["fixed"] == {"a": 2.5, "label": "curve"}
    assert moved["x"] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert moved["f"] == pytest.approx([2.5 * x * x for x in moved["x"]])
    assert moved["derivatives"]["1"] == pytest.approx([5.0 * x for x in moved["x"]])
    # Back to no params (the panel's Reset): the default again.
    again = await plot(client, uri, "scaled", domain=[-1, 1], samples=5)
    assert again["fixed"]["a"] == 1.5 and again["f"] == default["f"]


async def test_a_whole_number_for_an_integer_default_stays_an_integer(client, uri):
    """A slider of `n=3` sends 4; the function gets int 4 (range(n) works) and `fixed` says 4."""
    result = await plot(client, uri, "partial_sum", domain=[0, 2], samples=3, params={"n": 4})
    assert result["fixed"] == {"n": 4} and type(result["fixed"]["n"]) is int
    assert result["f"] == pytest.approx([1.0, 4.0, 15.0])  # 1 + x + x² + x³


async def test_params_of_an_unknown_name_is_invalid_options_naming_params(client, uri):
    with pytest.raises(JsonRpcException) as caught:
        await plot(client, uri, "scaled", params={"b": 1.0})
    error = caught.value
    assert error.code == -32803
    assert error.data == {"kind": "invalid-options", "option": "params"}
    assert "'b'" in error.message and "a, label" in error.message


async def test_params_must_be_numbers(client, uri):
    with pytest.raises(JsonRpcException) as caught:
        await plot(client, uri, "scaled", params={"a": "big"})
    assert caught.value.code == -32803
    assert caught.value.data["kind"] == "invalid-options"


# --- image size (the panel's own box and pixel ratio) ------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "scale", "pixels"),
    [(800, 500, 2, (1600, 1000)), (613, 377, 1.25, (766, 471)), (1000, 600, 1, (1000, 600))],
    ids=["800x500@2", "fractional@1.25", "1000x600@1"],
)
async def test_the_image_has_width_times_scale_pixels(client, uri, width, height, scale, pixels):
    result = await plot(client, uri, "scaled", width=width, height=height, scale=scale)
    image = result["image"]
    assert (image["width"], image["height"]) == pixels
    assert image["scale"] == scale
    assert png(result).shape[:2] == (pixels[1], pixels[0])


async def test_a_size_outside_the_bounds_is_clamped_not_refused(client, uri):
    result = await plot(client, uri, "scaled", width=50, height=20, scale=1)
    assert (result["image"]["width"], result["image"]["height"]) == (240, 150)


async def test_a_pixel_ratio_above_four_is_drawn_at_four(client, uri):
    result = await plot(client, uri, "scaled", width=400, height=300, scale=9)
    assert result["image"]["scale"] == 4 and result["image"]["width"] == 1600


# --- image.axes (the readout and drag-zoom) ---------------------------------------------------


async def test_axes_boxes_lie_inside_the_image_with_the_domain_as_x_limits(client, uri):
    result = await plot(client, uri, "scaled", order=2, width=700, height=520, scale=2)
    image = result["image"]
    assert [a["name"] for a in image["axes"]] == ["f", "f′", "f″"]
    for axes in image["axes"]:
        left, top, width, height = axes["box"]
        assert left >= 0 and left + width <= image["width"]
        assert top >= 0 and top + height <= image["height"]
        assert axes["xlim"] == result["domain"] == [-5.0, 5.0]
        lo, hi = axes["ylim"]
        assert lo < hi
    # Rows stacked top to bottom, each y range holding its series.
    tops = [a["box"][1] for a in image["axes"]]
    assert tops == sorted(tops)
    series = [result["f"], result["derivatives"]["1"], result["derivatives"]["2"]]
    for axes, values in zip(image["axes"], series, strict=True):
        assert axes["ylim"][0] <= min(values) and max(values) <= axes["ylim"][1]


async def test_surface_axes_have_both_domains(client, uri):
    result = await plot(client, uri, "bowl", domain=[-1, 2], ydomain=[-3, 1], samples=21)
    names = [a["name"] for a in result["image"]["axes"]]
    assert names == ["f", "∂f/∂x", "∂f/∂y"]
    for axes in result["image"]["axes"]:
        assert axes["xlim"] == [-1.0, 2.0] and axes["ylim"] == [-3.0, 1.0]


@pytest.mark.parametrize("scale", [1, 2])
async def test_a_pixel_maps_to_the_x_the_curve_is_drawn_at(client, uri, scale):
    """The peak of exp(-20 (x - 1)²) is drawn in the pixel column that `axes` maps to x = 1,
    and at the row it maps f = 1 to: within one pixel, as the readout needs."""
    result = await plot(client, uri, "bump", width=800, height=480, scale=scale)
    image = png(result)
    f_box = next(a for a in result["image"]["axes"] if a["name"] == "f")
    left, top, width, height = f_box["box"]
    (x0, x1), (y0, y1) = f_box["xlim"], f_box["ylim"]
    assert (x0, x1) == (-2.0, 3.0)
    # How much of the curve's colour each pixel inside the box has (0 background .. 1 curve).
    inside = image[
        math.ceil(top) : math.floor(top + height), math.ceil(left) : math.floor(left + width)
    ]
    palette = PALETTES["light"]
    curve, background = rgb(palette.curves[0]), rgb(palette.background)
    towards = ((inside - background) @ (curve - background)) / np.sum((curve - background) ** 2)
    distance = np.linalg.norm(
        inside - (background + towards[..., None] * (curve - background)), axis=-1
    )
    weight = np.where((distance < 40) & (towards > 0.5), towards, 0.0)
    rows, columns = np.nonzero(weight)
    top_row = rows.min()
    peak_columns = columns[rows <= top_row + 1]
    peak_px = math.ceil(left) + peak_columns.mean() + 0.5
    expected_px = left + (1.0 - x0) / (x1 - x0) * width
    assert abs(peak_px - expected_px) <= 1.0, (peak_px, expected_px)
    # The curve's centre line at the peak column: where f = 1 maps.
    column = round(expected_px - math.ceil(left) - 0.5)
    col = weight[:, column]
    centre_px = math.ceil(top) + (col * (np.arange(col.size) + 0.5)).sum() / col.sum()
    expected_y = top + (y1 - 1.0) / (y1 - y0) * height
    assert abs(centre_px - expected_y) <= 1.0 * scale, (centre_px, expected_y)
    # And the mapping the readout uses lands on a sample: x of the peak column is within
    # one pixel's worth of x = 1.
    x_at_peak = x0 + (peak_px - left) / width * (x1 - x0)
    assert abs(x_at_peak - 1.0) <= (x1 - x0) / width


@pytest.mark.parametrize(("width", "height"), [(1000, 600), (589, 589), (480, 520)])
async def test_a_surface_shows_both_partials_in_a_wide_or_a_narrow_tall_panel(
    client, uri, width, height
):
    """Beside f when the panel is wide, under it when it is narrow but tall: never lost."""
    result = await plot(client, uri, "bowl", width=width, height=height, scale=1)
    image = result["image"]
    boxes = {a["name"]: a["box"] for a in image["axes"]}
    assert list(boxes) == ["f", "∂f/∂x", "∂f/∂y"]
    for left, top, w, h in boxes.values():
        assert left >= 0 and top >= 0 and left + w <= image["width"] and top + h <= image["height"]
        assert w >= 100 and h >= 80
    # No two maps overlap.
    rects = list(boxes.values())
    for i, (l1, t1, w1, h1) in enumerate(rects):
        for l2, t2, w2, h2 in rects[i + 1 :]:
            assert l1 + w1 <= l2 or l2 + w2 <= l1 or t1 + h1 <= t2 or t2 + h2 <= t1
