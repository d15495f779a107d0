"""A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (standard library only).

Chromium reads commands from file descriptor 3 and writes replies and events to descriptor 4, one JSON
message per NUL byte. No websocket, no port, nothing listening on the network.

``inspect_page`` loads a page in headless Chromium and reports what a reader would trip over: console
errors (``console.error``, uncaught exceptions, and the browser's own error log entries such as a
resource that failed to load or a Content-Security-Policy violation) and images that did not load.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
# Laptop-sized viewport.
VIEWPORT = (1366, 900)
_FD_FLOOR = 10

BROKEN_IMAGES_JS = """
JSON.stringify(Array.from(document.images)
  .filter(img => !(img.complete && img.naturalWidth > 0))
  .map(img => img.alt || img.currentSrc.slice(0, 80) || '(no src)'))
"""


class CDPError(RuntimeError):
    pass


@dataclass
class PageReport:
    console_errors: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    image_count: int = 0
    missing_ids: list[str] = field(default_factory=list)
    title: str = ""
    screenshot: bytes = b""

    @property
    def problems(self) -> list[str]:
        return (
            [f"console error: {e}" for e in self.console_errors]
            + [f"image did not load: {i}" for i in self.broken_images]
            + [f"missing element #{i}" for i in self.missing_ids]
        )


class Chromium:
    """Headless Chromium driven over the DevTools pipe; a context manager that always stops it."""

    def __init__(self, user_data_dir: Path, executable: Path = CHROMIUM, timeout_s: float = 60.0) -> None:
        self.executable = executable
        self.user_data_dir = user_data_dir
        self.timeout_s = timeout_s
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._buffer = b""
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Chromium:
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def attach_pipe() -> None:
            # Move both ends above the low numbers first, so placing them at 3 and 4 cannot clobber either.
            read_end = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, _FD_FLOOR)
            write_end = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, _FD_FLOOR)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        command = [
            str(self.executable),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={self.user_data_dir}",
            "--remote-debugging-pipe",
            f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
            "about:blank",
        ]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            # Chromium insists on fds 3 and 4; only a pre-exec hook can put the pipe there.
            preexec_fn=attach_pipe,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        return self

    def __exit__(self, *_: object) -> None:
        process = self._process
        if process is None:
            return
        try:
            if process.poll() is None:
                self.send("Browser.close", timeout_s=10)
        except (CDPError, OSError):
            pass
        finally:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            os.close(self._to_browser)
            os.close(self._from_browser)

    # -----------------------------------------------------------------------------------------------------

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session_id: str | None = None,
        timeout_s: float | None = None,
    ) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile go to ``events``."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str, session_id: str | None, timeout_s: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        for event in self.events:
            if event.get("method") == method and event.get("sessionId") == session_id:
                return event
        while True:
            event = self._read(deadline)
            if "method" in event:
                self.events.append(event)
                if event["method"] == method and event.get("sessionId") == session_id:
                    return event

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CDPError("timed out waiting for Chromium")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise CDPError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    # -----------------------------------------------------------------------------------------------------

    def open_page(self) -> str:
        """A new tab, attached; returns its session id with the domains the inspection needs enabled."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session_id=session)
        width, height = VIEWPORT
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session_id=session,
        )
        return session

    def evaluate(self, expression: str, session_id: str) -> Any:
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session_id=session_id
        )
        if "exceptionDetails" in result:
            raise CDPError(f"evaluation failed: {result['exceptionDetails']}")
        return result["result"].get("value")


def console_errors(events: list[dict[str, Any]], session_id: str) -> list[str]:
    """Error-level console output, uncaught exceptions and the browser's error log entries of a page."""
    errors = []
    for event in events:
        if event.get("sessionId") != session_id:
            continue
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            texts = [str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])]
            errors.append(" ".join(texts))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append(str(details.get("exception", {}).get("description") or details.get("text")))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".strip())
    return errors


def inspect_page(
    url: str,
    user_data_dir: Path,
    required_ids: tuple[str, ...] = (),
    executable: Path = CHROMIUM,
    settle_s: float = 0.5,
) -> PageReport:
    """Load ``url`` and report console errors, images that did not load, missing ids and a screenshot."""
    with Chromium(user_data_dir, executable) as browser:
        session = browser.open_page()
        browser.send("Page.navigate", {"url": url}, session_id=session)
        browser.wait_for("Page.loadEventFired", session)
        # Late errors (a script after load, a decode failure) still land in the event list.
        deadline = time.monotonic() + settle_s
        while time.monotonic() < deadline:
            browser.evaluate("1", session)
            time.sleep(0.05)
        report = PageReport()
        report.broken_images = json.loads(browser.evaluate(BROKEN_IMAGES_JS, session))
        report.image_count = int(browser.evaluate("document.images.length", session))
        report.title = str(browser.evaluate("document.title", session))
        ids_js = json.dumps(list(required_ids))
        report.missing_ids = browser.evaluate(f"{ids_js}.filter(id => !document.getElementById(id))", session)
        shot = browser.send("Page.captureScreenshot", {"format": "png"}, session_id=session)
        report.screenshot = base64.b64decode(shot["data"])
        report.console_errors = console_errors(browser.events, session)
        return report
