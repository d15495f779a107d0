"""GET requests to the driver's web server over one kept-alive connection.

A collector asks the same server every poll; keeping the connection spares the driver (and the
harness) a TCP handshake and a new Jetty connection per request. A connection the server closed
while idle is reopened once; any other failure is an ``OSError`` for the collector to count.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

TIMEOUT_S = 5.0


# What a kept connection the server closed while it was idle fails with.
CLOSED_WHILE_IDLE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class DriverHttp:
    def __init__(self, timeout_s: float = TIMEOUT_S) -> None:
        self._timeout_s = timeout_s
        self._connections: dict[str, http.client.HTTPConnection] = {}

    def get(self, url: str) -> bytes:
        try:
            try:
                return self._get_once(url)
            except CLOSED_WHILE_IDLE:
                return self._get_once(url)  # on a new connection
        except http.client.HTTPException as exc:
            raise OSError(f"GET {url}: {exc!r}") from exc

    def _get_once(self, url: str) -> bytes:
        parts = urlsplit(url)
        connection = self._connections.get(parts.netloc)
        if connection is None:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self._timeout_s)
            self._connections[parts.netloc] = connection
        try:
            connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
            response = connection.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError):
            connection.close()
            del self._connections[parts.netloc]
            raise
        if response.status != 200:
            raise OSError(f"GET {url}: HTTP {response.status} {response.reason}")
        return body

    def json(self, url: str) -> Any:
        return json.loads(self.get(url))

    def text(self, url: str) -> str:
        return self.get(url).decode("utf-8", errors="replace")

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()
