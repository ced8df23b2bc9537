"""Posting to a webhook URL: connect and total timeouts, a response size limit, the SSRF guard per connection."""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from platform_notifications.channels.webhook.ssrf import UnsafeURL, check_address, check_url
from platform_notifications.config.settings import get_setting


class _Guarded:
    def connect(self):  # type: ignore[no-untyped-def]
        super().connect()  # type: ignore[misc]
        # The address the socket really reached: a name re-resolved between check and connect is caught here.
        try:
            check_address(self.host, self.sock.getpeername()[0])  # type: ignore[attr-defined]
        except UnsafeURL:
            self.close()  # type: ignore[attr-defined]
            raise


class GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().init_poolmanager(*args, **kwargs)
        http = type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": GuardedHTTPConnection})
        https = type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": GuardedHTTPSConnection})
        self.poolmanager.pool_classes_by_scheme = {"http": http, "https": https}


def guarded_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the guard must see the real peer
    adapter = GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass(frozen=True)
class Response:
    status: int | None  # None: no HTTP answer (timeout, refused, unsafe)
    body: bytes = b""
    error: str = ""

    @property
    def retryable(self) -> bool:
        """Timeouts, connection errors, 429 and 5xx are retried; every other 4xx and a refused URL are not."""
        if self.status is None:
            return not self.error.startswith("refused:")
        return self.status == 429 or self.status >= 500


def post_bounds() -> tuple[float, float, int]:
    """(connect timeout, total timeout, response size limit) from the settings; read once per send batch."""
    return (
        float(get_setting("NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT")),
        float(get_setting("NOTIFICATIONS_WEBHOOK_TOTAL_TIMEOUT")),
        int(get_setting("NOTIFICATIONS_WEBHOOK_MAX_RESPONSE_BYTES")),
    )


def post(
    session: requests.Session,
    url: str,
    body: bytes,
    headers: dict[str, str],
    checked: set[str] | None = None,
    bounds: tuple[float, float, int] | None = None,
) -> Response:
    """POST ``body``; never raises. The response is read up to the size limit within the total timeout.

    ``checked``: URLs already resolved and checked in this batch (the connection itself is checked every time).
    ``bounds``: ``post_bounds()`` read by the caller once for many posts.
    """
    connect, total, limit = bounds or post_bounds()
    deadline = time.monotonic() + total
    try:
        if checked is None or url not in checked:
            check_url(url)
            if checked is not None:
                checked.add(url)
        with session.post(
            url, data=body, headers=headers, timeout=(connect, total), stream=True, allow_redirects=False
        ) as answer:
            received = bytearray()
            for piece in answer.iter_content(8192):
                received += piece
                if len(received) > limit:
                    return Response(answer.status_code, bytes(received[:limit]), f"response over {limit} bytes")
                if time.monotonic() > deadline:
                    return Response(None, b"", f"timeout: no complete answer within {total}s")
            return Response(answer.status_code, bytes(received))
    except UnsafeURL as error:
        return Response(None, b"", f"refused: {error}")
    except requests.RequestException as error:
        return Response(None, b"", f"{type(error).__name__}: {error}")
