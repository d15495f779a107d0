"""GET requests to the driver's web server over one kept-alive connection (urllib3's pool).

A collector asks the same server every poll; keeping the connection spares the driver (and the
harness) a TCP handshake and a new Jetty connection per request. The pool reopens a connection the
server closed while idle; if the server closes it just as a request goes out, that request is sent
once more on a new one. Redirects are not followed (an answer other than 200 is a failure), and any
failure is an ``OSError`` for the collector to count.
"""

from __future__ import annotations

import json
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, ProtocolError

TIMEOUT_S = 5.0


class DriverHttp:
    def __init__(self, timeout_s: float = TIMEOUT_S) -> None:
        # One kept connection per server; no retries of its own (the one retry is below, explicit).
        self._pool = urllib3.PoolManager(
            num_pools=4, maxsize=1, timeout=urllib3.Timeout(connect=timeout_s, read=timeout_s), retries=False
        )

    def get(self, url: str) -> bytes:
        try:
            try:
                response = self._get_once(url)
            except ProtocolError:  # a kept connection the server closed as the request went out
                response = self._get_once(url)  # on a new connection
        except HTTPError as exc:
            raise OSError(f"GET {url}: {exc!r}") from exc
        if response.status != 200:
            raise OSError(f"GET {url}: HTTP {response.status} {response.reason}")
        return response.data

    def _get_once(self, url: str) -> urllib3.BaseHTTPResponse:
        return self._pool.request("GET", url, redirect=False)

    def json(self, url: str) -> Any:
        return json.loads(self.get(url))

    def text(self, url: str) -> str:
        return self.get(url).decode("utf-8", errors="replace")

    def close(self) -> None:
        self._pool.clear()
