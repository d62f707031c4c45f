"""`derivlens.sweep` over stdio, as the panel asks it when a slider drag starts: one
sandbox job, arrays per swept value, no image (docs/protocol.md, "Slider sweeps")."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp_session import session

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOURCE = textwrap.dedent(
    """
    import torch

    def scaled(x, a=1.5):
        return a * x**2

    def bowl(x, y, k=2.0):
        return x**2 + k * y**2

    def shifted(x, c=0.0):
        if x > c:
            return torch.sin(x - c)
        return torch.zeros(())
    """
).lstrip("\n")
LINE = {
    line[4 : line.index("(")]: i for i, line in enumerate(SOURCE.splitlines()) if line[:4] == "def "
}


client = session("sweep")


@pytest.fixture(scope="module")
def uri(client: LanguageClient, workdir: Path) -> str:
    path = workdir / "sweep.py"
    path.write_text(SOURCE)
    item = types.TextDocumentItem(uri=path.as_uri(), language_id="python", version=1, text=SOURCE)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    return path.as_uri()


async def sweep(client: LanguageClient, uri: str, function: str, **argument: Any) -> Any:
    argument = {"uri": uri, "position": {"line": LINE[function], "character": 4}, **argument}
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="derivlens.sweep", arguments=[argument])
    )


async def test_the_sweep_of_a_x2_holds_a_x2_and_2ax_for_each_value(client, uri):
    values = [0.25 * k for k in range(13)]  # 0 .. 3
    result = await sweep(
        client, uri, "scaled", domain=[-1, 2], samples=31, sweep={"param": "a", "values": values}
    )
    xs = [-1.0 + 0.1 * i for i in range(31)]
    assert result["x"] == pytest.approx(xs)
    assert result["values"] == values and result["param"] == "a"
    assert "image" not in result and result["order"] == 1
    for a, f, d1 in zip(values, result["f"], result["derivatives"]["1"], strict=True):
        assert f == pytest.approx([a * x * x for x in xs], abs=1e-12)
        assert d1 == pytest.approx([2 * a * x for x in xs], abs=1e-12)
    print(f"sweep of 13 values × 31 samples: {result['elapsed_ms']} ms")


async def test_a_panel_sized_sweep_of_64_values_comes_back_in_one_job(client, uri):
    """The panel's own request: 64 values across the slider's range, 401 samples, order 2."""
    values = [3.0 * k / 63 for k in range(64)]
    result = await sweep(client, uri, "scaled", order=2, sweep={"param": "a", "values": values})
    assert len(result["f"]) == 64 and len(result["x"]) == 401
    x = result["x"][100]
    assert result["derivatives"]["2"][63][100] == pytest.approx(6.0)
    assert result["f"][21][100] == pytest.approx(values[21] * x * x)
    print(f"sweep of 64 values × 401 samples, order 2: {result['elapsed_ms']} ms")


async def test_a_function_with_control_flow_is_swept_point_by_point(client, uri):
    values = [-0.5, 0.0, 0.5]
    result = await sweep(
        client, uri, "shifted", domain=[-1, 1], samples=21, sweep={"param": "c", "values": values}
    )
    import math

    for c, f in zip(values, result["f"], strict=True):
        xs = result["x"]
        assert f == pytest.approx([math.sin(x - c) if x > c else 0.0 for x in xs], abs=1e-12)


@pytest.mark.parametrize(
    ("function", "argument", "message"),
    [
        ("scaled", {"sweep": {"param": "a", "values": [1]}}, "give 2 to 128 values of a, got 1"),
        ("scaled", {"sweep": {"param": "b", "values": [1, 2]}}, "no held parameter 'b'"),
        ("bowl", {"sweep": {"param": "k", "values": [1, 2]}}, "only a function of one variable"),
        ("scaled", {}, "derivlens.sweep takes one argument"),
    ],
)
async def test_a_bad_sweep_is_invalid_options(client, uri, function, argument, message):
    with pytest.raises(JsonRpcException) as caught:
        await sweep(client, uri, function, **argument)
    assert caught.value.code == -32803
    assert caught.value.data["kind"] == "invalid-options"
    assert message in caught.value.message


async def test_a_sweep_too_slow_for_a_drag_stops_early_as_a_timeout(client, uri):
    """Point by point at 401 samples, 64 values would take seconds: the child stops after
    the first values, and the panel falls back to re-plotting per position."""
    values = [k / 63 for k in range(64)]
    with pytest.raises(JsonRpcException) as caught:
        await sweep(client, uri, "shifted", samples=401, sweep={"param": "c", "values": values})
    assert caught.value.data["kind"] == "timeout"
    assert "a sweep of c over 64 values would take about" in caught.value.message
    assert "derivlens.timeoutSeconds" not in caught.value.message
