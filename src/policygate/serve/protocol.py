"""The HTTP/1.1 connection ``policygate serve`` runs on: uvicorn's h11 protocol with
a deadline for each request's head and a bound on the connections waiting for one.

uvicorn by itself waits for a request's head for ever (a client that connects and
sends nothing, or a header a byte at a time, keeps its connection), and counts every
open connection against ``--concurrency``: so a few idle sockets, from anyone who
can reach the port and without the token, had every other client answered ``503``.
Here, as Go's ``http.Server.ReadHeaderTimeout`` does for OPA's server:

- a request's head must be complete within ``--read-timeout`` seconds of the
  connection opening or of the previous answer; a connection that sent part of one
  gets ``408`` and is closed, an idle one is closed;
- waiting connections are no longer counted against the requests being answered,
  and at most ``--concurrency`` of them are kept: one more closes the one that has
  waited longest, if a second or more (as nginx drops idle keep-alive connections
  when it runs out of them), so waiting sockets never lock out a client that sends
  its request, nor use descriptors without bound;
- a client that does not read its answers (their bytes stay above the write
  buffer's high-water mark for ``--read-timeout`` seconds) is reset and what was
  left to write dropped: waiting to write, its requests held their slots for ever;
- a request uvicorn cannot parse (a bad ``Content-Length``, a bad chunk size, two
  ``Host`` headers, an oversized head) is ``400`` with a JSON body, as every other
  answer of the service.

The requests being answered are bounded by :class:`~policygate.serve.app.DecisionService`
(``--concurrency``), their bodies by its ``--read-timeout``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from dataclasses import dataclass
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


@dataclass(frozen=True)
class ConnectionLimits:
    read_timeout: float = 30.0
    """Seconds a connection has to send a complete request head."""
    waiting: int = 64
    """Connections that may wait for a request head at once."""


GRACE = 1.0
"""Seconds a waiting connection is safe from being closed to make room."""

LIMITS = ConnectionLimits()
"""This process's limits: set by :func:`configure` when its app is built (a worker
process builds its own), read by every connection."""


def configure(limits: ConnectionLimits) -> None:
    global LIMITS
    LIMITS = limits


PROTOCOL_ERROR = ("the request is not valid HTTP/1.1: a malformed request line or header, "
                  "a bad Content-Length or chunk size, a repeated Host, or a head over "
                  "the size limit")  # fmt: skip


def raw_answer(status: int, reason: str, message: str, code: str | None = None) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection, its body ``{"error": ...}``."""
    body: dict[str, Any] = {"error": message}
    if code is not None:
        body["code"] = code
    data = (json.dumps(body, indent=2) + "\n").encode("utf-8")
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json; charset=utf-8\r\n"
            f"content-length: {len(data)}\r\nconnection: close\r\n\r\n")  # fmt: skip
    return head.encode("ascii") + data


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-head deadline and a bound on waiting
    connections (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting_since: float | None = None  # waiting for a request head since
        self.head_bytes = 0  # bytes of the awaited head received so far
        self.head_deadline: asyncio.TimerHandle | None = None
        self.seen_cycle: object = None
        self.write_deadline: asyncio.TimerHandle | None = None  # the client reads again by

    # ------------------------------------------------------------------ waiting

    def _wait_for_head(self) -> None:
        self._stop_waiting()
        self.waiting_since = self.loop.time()
        self.head_bytes = 0
        self.head_deadline = self.loop.call_later(LIMITS.read_timeout, self._head_too_slow)

    def _stop_waiting(self) -> None:
        self.waiting_since = None
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_too_slow(self) -> None:
        self.head_deadline = None
        if self.waiting_since is not None:
            self._drop(f"the request's head did not arrive within {LIMITS.read_timeout:g} "
                       "seconds (--read-timeout)")  # fmt: skip

    def _drop(self, why: str) -> None:
        """Close this waiting connection; one that sent part of a head is told why.

        A client that does not read its answers leaves them in the write buffer, and
        closing waits for that to be written: such a connection is cut instead (a
        closed one that never went away held its answer, megabytes, for ever)."""
        self._stop_waiting()
        if self.transport.get_write_buffer_size():
            self._reset()
        elif self.transport.is_closing():
            return
        elif self.head_bytes and self.conn.their_state is h11.IDLE:  # not an old body's tail
            self.transport.write(raw_answer(408, "Request Timeout", why, code="request-timeout"))
            self.transport.close()
        else:
            self.transport.close()

    def _reset(self) -> None:
        """Cut the connection, dropping what is left to write of its answers (in the
        transport and the kernel: a reset, not a close that waits to send them)."""
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def _not_reading(self) -> None:
        self.write_deadline = None
        self._reset()

    def _make_room(self) -> None:
        """Past the bound of waiting connections, close those that waited longest
        (never this one, nor one that has waited less than :data:`GRACE` seconds: a
        connection accepted with others may not have had its head read yet)."""
        others = [c for c in self.connections if c is not self
                  and isinstance(c, GuardedH11Protocol)
                  and c.waiting_since is not None]  # fmt: skip
        settled = self.loop.time() - min(GRACE, LIMITS.read_timeout)
        while len(others) >= LIMITS.waiting:
            oldest = min(others, key=lambda c: c.waiting_since or 0.0)
            if (oldest.waiting_since or 0.0) > settled:
                return  # all of them have only just connected
            others.remove(oldest)
            oldest._drop(f"more than {LIMITS.waiting} connections were waiting for a "
                         "request (--concurrency); this one had waited longest")  # fmt: skip

    # ------------------------------------------------------------------ uvicorn's hooks

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_head()
        self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        if self.write_deadline is not None:
            self.write_deadline.cancel()
            self.write_deadline = None
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        """The answers written are not being read: the client has ``--read-timeout``
        seconds to take them down to the low-water mark, or the connection is reset
        (it held its request's slot, waiting to write, for as long as it read nothing)."""
        super().pause_writing()
        if self.write_deadline is None:
            self.write_deadline = self.loop.call_later(LIMITS.read_timeout, self._not_reading)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.write_deadline is not None:
            self.write_deadline.cancel()
            self.write_deadline = None

    def data_received(self, data: bytes) -> None:
        if self.waiting_since is not None:
            self.head_bytes += len(data)
        super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and self.cycle is not self.seen_cycle:
            self.seen_cycle = self.cycle  # a request's head came: it is being answered
            self._stop_waiting()

    def on_response_complete(self) -> None:
        answered = self.cycle
        super().on_response_complete()  # may start a pipelined request
        if self.cycle is answered and not self.transport.is_closing():
            self._wait_for_head()
            self._make_room()

    def send_400_response(self, msg: str) -> None:
        self._stop_waiting()
        self.transport.write(raw_answer(400, "Bad Request", PROTOCOL_ERROR, "request-invalid"))
        self.transport.close()
