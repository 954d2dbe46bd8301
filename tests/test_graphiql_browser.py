"""GraphiQL in a real (headless) browser against `ventanilla demo`, fully offline.

Starts the demo app, opens /graphql in Debian's Chromium through Selenium, runs
a query from the GraphiQL editor and checks the answer shows up, and that the
browser loaded nothing from anywhere but the app itself.

Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian's `chromium` and
`chromium-driver`). Without them the test is skipped, except under CI (the CI
variable is set), where it fails instead: CI must not go green by skipping it.

VENTANILLA_TEST_BROWSER_CMD replaces the command that starts the app, e.g. to
try the test against a stand-in server. It is split like a shell command, and
`{python}`, `{port}` and `{db}` in it are filled in.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DEFAULT_CMD = "{python} -m ventanilla demo --db {db} --port {port} --customers 5"
APP_START_TIMEOUT = 60  # the first run creates and fills the demo database
BROWSER_TIMEOUT = 30

QUERY = "{ portal { name languages } }"
EXPECTED = ('"portal"', '"languages"')  # in the response pane once the query ran
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
EXECUTE_BUTTON = ".graphiql-execute-button"
# The response pane is a read-only CodeMirror; its full text is in the
# instance (the DOM only holds the lines on screen).
READ_RESPONSE_JS = """
const pane = document.querySelector('.graphiql-response .CodeMirror, .result-window .CodeMirror');
if (pane && pane.CodeMirror) return pane.CodeMirror.getValue();
const box = document.querySelector('.graphiql-response, .result-window');
return box ? box.textContent : '';
"""


# Skips that start with this are repeated at the end of the run (tests/conftest.py).
MISSING_TOOL = "needs a program this machine lacks: "


@pytest.fixture
def browser_binaries() -> None:
    """Skip (or, under CI, fail) before anything starts when Chromium is missing."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    reason = f"{MISSING_TOOL}{', '.join(missing)} missing: apt-get install chromium chromium-driver"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser test must run, not skip)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_command(port: int, db: Path) -> list[str]:
    template = os.environ.get("VENTANILLA_TEST_BROWSER_CMD") or DEFAULT_CMD
    return [
        part.format(python=sys.executable, port=port, db=db) for part in shlex.split(template)
    ]


def wait_until_answering(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + APP_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the app exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError:
            return  # it answers, if not with 200; the browser part will tell us more
        except OSError:
            pass  # not listening yet
        time.sleep(0.5)
    pytest.fail(f"{url} did not answer in {APP_START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def app_url(browser_binaries, tmp_path):
    """Start the app on a free port; yield its base URL; always stop it."""
    port = free_port()
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        # Its own process group, so stopping it also stops anything it spawned.
        proc = subprocess.Popen(
            app_command(port, tmp_path / "demo.db"),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(f"{base}/graphql", proc, log)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture
def browser(browser_binaries, tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        # Keep Chromium's own traffic (updates, sync, field trials) out of the way.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(arg)
    # Every request the page makes, as DevTools Network events.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    # An explicit driver path: Selenium Manager then downloads nothing.
    service = Service(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver, page_prefix: str) -> list[str]:
    """URLs our page asked for so far, from the DevTools log and Resource Timing.

    The DevTools log also holds the requests of Chromium's own pages (its new
    tab page loads chrome:// resources in the background), so only requests
    made on behalf of a document under `page_prefix` count.
    """
    urls = [driver.current_url]
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent" and params.get(
            "documentURL", ""
        ).startswith(page_prefix):
            urls.append(params["request"]["url"])
    urls += driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name);"
    )
    # data: URLs (the inline icon, GraphiQL's fonts) are not loaded from anywhere.
    return [url for url in urls if not url.startswith("data:")]


def debug_info(driver, page_prefix: str) -> str:
    try:
        console = [entry["message"] for entry in driver.get_log("browser")]
        return f"requests: {requested_urls(driver, page_prefix)}\nconsole: {console}"
    except Exception as exc:  # only for the failure message; never hide the real failure
        return f"(no debug info: {exc})"


def test_graphiql_runs_a_query_offline(app_url, browser):
    browser.get(f"{app_url}/graphql")
    wait = WebDriverWait(browser, BROWSER_TIMEOUT)
    try:
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, QUERY_EDITOR)))
    except TimeoutException:
        pytest.fail(f"the GraphiQL editor never appeared\n{debug_info(browser, app_url)}")

    # Typing into CodeMirror fights its autocompletion and bracket closing;
    # setting the value on the CodeMirror 5 instance is reliable.
    browser.execute_script(
        "document.querySelector(arguments[0]).CodeMirror.setValue(arguments[1]);",
        QUERY_EDITOR,
        QUERY,
    )
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, EXECUTE_BUTTON))).click()
    try:
        wait.until(
            lambda d: all(word in d.execute_script(READ_RESPONSE_JS) for word in EXPECTED)
        )
    except TimeoutException:
        response = browser.execute_script(READ_RESPONSE_JS)
        pytest.fail(f"no portal in the response: {response!r}\n{debug_info(browser, app_url)}")

    urls = requested_urls(browser, app_url)
    # The vendored assets must show up, or the request capture itself is broken.
    assert f"{app_url}/static/graphiql/graphiql.min.js" in urls, urls
    external = [url for url in urls if not url.startswith(f"{app_url}/")]
    assert not external, f"the page loaded resources from outside the app: {external}"
