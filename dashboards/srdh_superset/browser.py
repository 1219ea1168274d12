"""Render every dashboard in headless Chromium and fail on any chart error.

Drives Debian's ``chromium`` through ``chromedriver`` with Selenium (both from apt;
Selenium is already in the BI environment as a Superset dependency, and with an
explicit driver path it downloads nothing). Logs in through the login form, opens
each dashboard, waits for every chart to finish, and reports:

* chart-data responses (from Chrome's performance log) that are not HTTP 200;
* error alerts rendered inside the dashboard;
* charts still loading at the deadline.

Saves one PNG per dashboard.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1600,1200"]
ERROR_SELECTORS = ('[data-test="chart-container"] .ant-alert-error, '
                   '.dashboard-component-chart-holder .ant-alert-error, '
                   '.dashboard-component-chart-holder [role="alert"], '
                   '.dashboard-component-chart-holder .alert-danger, '
                   '[data-test="chart-container"] [data-test="error-message"]')


def _driver(chromium: str, chromedriver: str, profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=opts)


def _login(drv, url: str, username: str, password: str, timeout: float,
           attempts: int = 3) -> None:
    """Log in through the form, retrying: on a loaded machine the React login page can
    re-render after the inputs were filled, dropping the typed values (seen in CI)."""
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    per_try = max(timeout / attempts, 20)
    for attempt in range(1, attempts + 1):
        try:
            drv.get(f"{url}/login/")
            wait = WebDriverWait(drv, per_try)
            wait.until(ec.element_to_be_clickable(
                (By.CSS_SELECTOR, 'input#password, input[name="password"]')))
            for css, value in (('input#username, input[name="username"]', username),
                               ('input#password, input[name="password"]', password)):
                box = drv.find_element(By.CSS_SELECTOR, css)
                box.clear()
                box.send_keys(value)
                if box.get_attribute("value") != value:
                    raise TimeoutException("the login form re-rendered while typing")
            box.send_keys(Keys.ENTER)
            wait.until(lambda d: "/login" not in d.current_url)
            return
        except (TimeoutException, WebDriverException):
            if attempt == attempts:
                alerts = [e.text for e in drv.find_elements(By.CSS_SELECTOR, '[role="alert"]')]
                raise RuntimeError(
                    f"could not log in to {url} as {username} after {attempts} tries "
                    f"(still at {drv.current_url}; alerts: {alerts or 'none'})") from None
            time.sleep(2)


def _chart_responses(drv) -> list[dict[str, Any]]:
    out = []
    for entry in drv.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") != "Network.responseReceived":
            continue
        resp = msg["params"]["response"]
        if re.search(r"/api/v1/chart/data|/superset/explore_json", resp["url"]):
            out.append({"url": resp["url"], "status": resp["status"]})
    return out


def render_dashboards(url: str, username: str, password: str, out_dir: Path, *,
                      chromium: str = "/usr/bin/chromium",
                      chromedriver: str = "/usr/bin/chromedriver",
                      timeout: float = 90) -> dict[str, Any]:
    import requests
    from selenium.webdriver.common.by import By

    url = url.rstrip("/")
    out_dir.mkdir(parents=True, exist_ok=True)
    api = requests.Session()
    tok = api.post(f"{url}/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db"}, timeout=30)
    tok.raise_for_status()
    api.headers["Authorization"] = f"Bearer {tok.json()['access_token']}"
    dashboards = api.get(f"{url}/api/v1/dashboard/", params={"q": "(page_size:100)"},
                         timeout=30).json()["result"]

    report: dict[str, Any] = {"dashboards": []}
    with tempfile.TemporaryDirectory(prefix="srdh-chromium-") as profile:
        drv = _driver(chromium, chromedriver, profile)
        try:
            _login(drv, url, username, password, timeout)
            for d in sorted(dashboards, key=lambda d: d["id"]):
                charts = api.get(f"{url}/api/v1/dashboard/{d['id']}/charts",
                                 timeout=30).json()["result"]
                drv.get_log("performance")  # drop earlier events
                drv.get(f"{url}/superset/dashboard/{d['id']}/?standalone=1")
                deadline = time.monotonic() + timeout
                holders = loading = []
                while time.monotonic() < deadline:
                    holders = drv.find_elements(By.CSS_SELECTOR,
                                                ".dashboard-component-chart-holder")
                    loading = drv.find_elements(
                        By.CSS_SELECTOR, ".dashboard-component-chart-holder .loading, "
                        ".dashboard-component-chart-holder [data-test='loading-indicator']")
                    if len(holders) >= len(charts) and not loading:
                        break
                    time.sleep(0.5)
                time.sleep(1.5)  # let the last charts paint
                responses = _chart_responses(drv)
                errors = [e.text.strip() or "error alert"
                          for e in drv.find_elements(By.CSS_SELECTOR, ERROR_SELECTORS)]
                errors += [f"chart data HTTP {r['status']}: {r['url']}"
                           for r in responses if r["status"] != 200]
                if len(holders) < len(charts):
                    errors.append(f"{len(holders)} chart holders for {len(charts)} charts")
                if loading:
                    errors.append(f"{len(loading)} charts still loading after {timeout}s")
                if len([r for r in responses if r["status"] == 200]) < len(charts):
                    errors.append(f"only {len(responses)} chart-data responses for "
                                  f"{len(charts)} charts")
                slug = d.get("slug") or f"dashboard-{d['id']}"
                shot = out_dir / f"superset-{slug}.png"
                height = drv.execute_script(
                    "return Math.max(document.body.scrollHeight, 900)")
                drv.set_window_size(1600, min(int(height) + 100, 3000))
                drv.save_screenshot(str(shot))
                drv.set_window_size(1600, 1200)
                report["dashboards"].append({
                    "id": d["id"], "title": d["dashboard_title"], "charts": len(charts),
                    "chart_data_responses": len(responses), "errors": errors,
                    "screenshot": str(shot)})
        finally:
            drv.quit()
    return report
