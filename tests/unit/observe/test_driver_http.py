"""Requests to the driver's web server over a kept-alive connection, against a real HTTP server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.observe.driver_http import DriverHttp


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open, as Jetty does
    # The client's address and port of each connection (a closed socket's id() can be reused).
    connections: set[tuple[str, int]] = set()

    def do_GET(self) -> None:  # noqa: N802 - the server's naming
        Handler.connections.add(self.client_address)
        if self.path == "/slow":
            time.sleep(1.0)  # the client has given up and closed by now
            self.close_connection = True
            return
        found = self.path != "/missing"
        status, body = (200, b'{"path": "%s"}' % self.path.encode()) if found else (404, b"")
        if self.path == "/moved":
            status, body = 302, b""
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "/api/elsewhere")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.path.endswith("close=1"):
            self.close_connection = True  # the server drops the connection once idle

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Handler.connections = set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_requests_share_one_connection(server: str) -> None:
    http = DriverHttp()
    assert [http.json(f"{server}/api/{n}")["path"] for n in range(5)] == [f"/api/{n}" for n in range(5)]
    assert len(Handler.connections) == 1
    http.close()


def test_a_connection_closed_by_the_server_is_reopened(server: str) -> None:
    http = DriverHttp()
    assert http.text(f"{server}/a?close=1") == '{"path": "/a?close=1"}'
    assert http.json(f"{server}/b")["path"] == "/b"
    assert len(Handler.connections) == 2
    http.close()


def test_failures_are_os_errors(server: str) -> None:
    http = DriverHttp(timeout_s=1.0)
    with pytest.raises(OSError, match="HTTP 404"):
        http.get(f"{server}/missing")
    with pytest.raises(OSError):
        http.get("http://127.0.0.1:1/nothing-listens-here")


def test_redirects_are_not_followed(server: str) -> None:
    http = DriverHttp()
    with pytest.raises(OSError, match="HTTP 302"):
        http.get(f"{server}/moved")
    http.close()


def test_a_slow_answer_times_out(server: str) -> None:
    http = DriverHttp(timeout_s=0.2)
    began = time.monotonic()
    with pytest.raises(OSError, match="timed out"):
        http.get(f"{server}/slow")
    assert time.monotonic() - began < 0.9  # not waited out, nor asked twice
    http.close()
