"""Connection limits of `lockstep serve`: how long a client may take, and one that goes away.

- ``HEADER_TIMEOUT``: a connection must send a request's complete headers within this many
  seconds of opening (or of its first byte after a previous answer), else it is closed. uvicorn
  itself only times out idle keep-alive connections (``KEEP_ALIVE_TIMEOUT``).
- ``BODY_TIMEOUT``: the whole body must arrive within this many seconds of the headers, else 408.
- A client that disconnects before its body is complete is answered nothing, counted as status
  499 ("client closed request") in the metrics, and prints no traceback.
"""

from __future__ import annotations

import asyncio
from typing import Any

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
KEEP_ALIVE_TIMEOUT = 5
CLIENT_CLOSED = 499


class BodyTimeout(Exception):
    """The request body did not arrive in time."""


class BodyDeadline:
    """ASGI middleware: ``receive`` of an HTTP request raises BodyTimeout after ``seconds``."""

    def __init__(self, app: Any, seconds: float = BODY_TIMEOUT) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        deadline = asyncio.get_running_loop().time() + self.seconds
        done = False

        async def timed() -> dict:
            nonlocal done
            if done:  # the body is in: waiting for a disconnect has no deadline
                return await receive()
            try:  # a timer, not wait_for's task per call (which cost a third of a request)
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError as exc:
                raise BodyTimeout from exc
            done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed, send)


def install(app: Any, body_timeout: float) -> None:
    """Add the body deadline and the answers for a late or vanished client to a FastAPI app."""
    from fastapi.responses import JSONResponse, Response
    from starlette.requests import ClientDisconnect

    app.add_middleware(BodyDeadline, seconds=body_timeout)

    async def closed(request: Any, exc: Exception) -> Any:
        return Response(status_code=CLIENT_CLOSED)  # nobody reads it; the metrics count it

    async def late(request: Any, exc: Exception) -> Any:
        detail = f"request body not received within {body_timeout:g} s"
        return JSONResponse({"detail": detail, "errors": []}, status_code=408)

    app.add_exception_handler(ClientDisconnect, closed)
    app.add_exception_handler(BodyTimeout, late)


def protocol(header_timeout: float) -> type:
    """uvicorn's HTTP protocol class, closing connections whose headers take too long."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    class HeaderDeadline(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
        _header_timer: Any = None
        _waiting_after: Any = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            between = self.cycle is None or self.cycle.response_complete
            if between and (self._header_timer is None or self._waiting_after is not self.cycle):
                self._arm()
            super().data_received(data)

        def _arm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            after = self._waiting_after = self.cycle

            def expire() -> None:
                self._header_timer = None
                if self.cycle is after and not self.transport.is_closing():
                    self.transport.close()  # no new request's headers arrived in time

            self._header_timer = self.loop.call_later(header_timeout, expire)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            super().connection_lost(exc)

    return HeaderDeadline
