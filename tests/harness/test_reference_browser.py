"""The generated HTML reference in a real browser: search for a name, follow the result, see its parameters.

Headless Chromium is driven through the DevTools protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-separated JSON), so no websocket library and no browser download is needed.
The site is opened from ``file://``: it must work offline, without a server.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hokusai_contracts.reference import build_reference

REPO = Path(__file__).resolve().parents[2]
QUERY = "register_tokenized_model"
TARGET = "hokusai.core.registry.ModelRegistry.register_tokenized_model"
TIMEOUT_S = 10.0


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser's executable; skips (or fails with HOKUSAI_REQUIRE_BROWSER=1) when there is none."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "chromium is not installed (Debian: apt-get install -y chromium)"
    if os.environ.get("HOKUSAI_REQUIRE_BROWSER") == "1":
        pytest.fail(f"HOKUSAI_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


class DevTools:
    """A headless Chromium and its DevTools protocol session over a pipe."""

    def __init__(self, executable: str, profile: Path):
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()

        # The browser reads commands on fd 3 and writes replies on fd 4: a tiny Python trampoline puts the
        # pipe ends there, then becomes the browser.
        trampoline = "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
        trampoline += "os.execv(sys.argv[3], sys.argv[3:])"
        arguments = [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--window-size=1280,900",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            [sys.executable, "-c", trampoline, str(commands_read), str(replies_write), *arguments],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(commands_read, replies_write),
        )
        os.close(commands_read)
        os.close(replies_write)
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._replies], [], [], remaining)[0]:
                raise TimeoutError("no answer from chromium's DevTools pipe")
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                raise ConnectionError("chromium closed its DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, session: bool = True, **params: Any) -> dict[str, Any]:
        """Call ``method`` and return its result (events met meanwhile are dropped)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def attach_to_page(self) -> None:
        """Attach to the browser's first page target."""
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send(
            "Target.attachToTarget", session=False, targetId=page["targetId"], flatten=True
        )["sessionId"]

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + TIMEOUT_S
        last_error = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError as exc:  # the page is navigating: its context went away
                value, last_error = None, exc
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what} ({expression}); last error: {last_error}")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element ``selector`` (scrolled into view first)."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView(); "
            "const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def close(self) -> None:
        """Stop the browser."""
        with contextlib.suppress(OSError, TimeoutError, ConnectionError, RuntimeError):
            self.send("Browser.close", session=False)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference-site")
    for name, text in build_reference(REPO / "contracts", ["html"]).items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return out


def test_search_finds_the_function_and_its_parameter_table(chromium: str, site: Path, tmp_path: Path):
    browser = DevTools(chromium, tmp_path / "profile")
    try:
        browser.attach_to_page()
        browser.send("Page.enable")
        browser.send("Runtime.enable")
        browser.send("Page.navigate", url=(site / "index.html").as_uri())
        browser.wait_for(
            "document.readyState === 'complete' && !!window.HOKUSAI_SEARCH_INDEX", "the index page"
        )

        browser.click("#search-input")
        browser.send("Input.insertText", text=QUERY)
        first = browser.wait_for(
            "(document.querySelector('#search-results a') || {}).href", "a search result for " + QUERY
        )
        assert first.endswith(f"hokusai.core.registry.html#{TARGET}"), first
        assert "result" in browser.evaluate("document.getElementById('search-status').textContent")

        browser.click("#search-results a")
        browser.wait_for(
            f"location.hash === '#{TARGET}' && document.readyState === 'complete'", "the result page"
        )
        table = browser.wait_for(
            f"""(() => {{
                const entry = document.getElementById({json.dumps(TARGET)});
                const table = entry && entry.querySelector(':scope > table.parameters');
                if (!table) return null;
                const box = entry.getBoundingClientRect();
                return {{
                    headers: [...table.querySelectorAll('thead th')].map(th => th.textContent),
                    rows: [...table.querySelectorAll('tbody tr')].map(tr => tr.cells[0].textContent),
                    caption: table.caption.textContent,
                    onScreen: box.top < innerHeight && box.bottom > 0,
                }};
            }})()""",
            "the parameter table of " + TARGET,
        )
        assert table["headers"] == ["Parameter", "Type", "Default", "Required", "Description"]
        assert {"model_uri", "model_name", "token_id"} <= set(table["rows"]), table["rows"]
        assert table["caption"] == f"Parameters of {QUERY}"
        assert table["onScreen"], "the followed link did not scroll to the entry"

        shot = browser.send("Page.captureScreenshot", format="png")["data"]
        screenshot = tmp_path / "reference-search.png"
        screenshot.write_bytes(base64.b64decode(shot))
        print(f"screenshot: {screenshot}")
        assert screenshot.stat().st_size > 10_000
    finally:
        browser.close()
