"""pygls keeps the future of every handler it runs in `_request_futures`, and only a
request's answer takes it out: each notification (`didOpen`, `didChange`, `didClose`:
pygls runs its own handler as a generator) and each step of a generator handler leave
theirs behind, ~1 KB each, so a long session grew the server by ~3 KB a hover
(`bench/bench_soak.py`). Here a future is forgotten once done, whatever it served.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pygls.protocol import LanguageServerProtocol


class ForgetsFinishedFutures(LanguageServerProtocol):
    """A protocol whose handler futures leave `_request_futures` once done."""

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Callable[..., Any],
        callback: Callable[[Future[Any]], None],
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda done: self._forget(msg_id, done))

    def _forget(self, msg_id: Any, done: Any) -> None:
        if self._request_futures.get(msg_id) is done:
            del self._request_futures[msg_id]

    def pending_futures(self) -> int:
        """How many handler futures pygls holds (the requests in flight, once fixed)."""
        return len(self._request_futures)
