"""Start and stop Superset (gunicorn) for one SRDH home, on 127.0.0.1 only.

gunicorn runs in its own session/process group, so ``stop`` ends the master and
all its workers with one signal to the group. Its pid is in
``<home>/superset/superset.pid``, its log in ``<home>/logs/superset.log``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .bootstrap import superset_env
from .home import SupersetHome

HOST = "127.0.0.1"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid(home: SupersetHome) -> int | None:
    try:
        pid = int(home.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid) else None


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(home_dir: str | None = None, port: int | None = None, timeout: float = 180,
          workers: int | None = None) -> str:
    """Start Superset if not running; wait for /health; print URL and login. Returns URL."""
    home = SupersetHome.at(home_dir).ensure()
    port = int(port or os.environ.get("SRDH_SUPERSET_PORT") or 8088)
    url = f"http://{HOST}:{port}"
    pid = _pid(home)
    if pid:
        running = home.url_file.read_text().strip() if home.url_file.exists() else url
        if healthy(running):
            _print_login(home, running)
            return running
        stop(home_dir)

    env = superset_env(home)
    env["SRDH_SUPERSET_PORT"] = str(port)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    workers = int(workers or os.environ.get("SRDH_SUPERSET_WORKERS") or 2)
    cmd = [str(gunicorn), "--bind", f"{HOST}:{port}", "--workers", str(workers),
           "--worker-class", "gthread", "--threads", "8", "--timeout", "120",
           "--graceful-timeout", "10", "--limit-request-line", "0",
           "--limit-request-field_size", "0", "--pid", str(home.pid_file),
           "superset.app:create_app()"]
    log = open(home.log_file, "ab")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            cwd=str(home.superset_dir))
    home.pid_file.write_text(f"{proc.pid}\n")
    home.url_file.write_text(url + "\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Superset exited with {proc.returncode}; see {home.log_file}:\n"
                               + _tail(home.log_file))
        if healthy(url):
            _print_login(home, url)
            return url
        time.sleep(0.5)
    stop(home_dir)
    raise TimeoutError(f"Superset not healthy at {url} after {timeout}s; see {home.log_file}:\n"
                       + _tail(home.log_file))


def stop(home_dir: str | None = None, timeout: float = 20) -> bool:
    """Stop the Superset process group of this home. True if one was running."""
    home = SupersetHome.at(home_dir)
    pid = _pid(home)
    if pid is None:
        home.pid_file.unlink(missing_ok=True)
        print("Superset is not running")
        return False
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        pgid = None
    # gunicorn rewrites the pid file with its master pid; both lead the same group.
    target = pgid if pgid and pgid != os.getpgrp() else None
    _signal(target, pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid) or (target and _group_alive(target)):
        _signal(target, pid, signal.SIGKILL)
    home.pid_file.unlink(missing_ok=True)
    print(f"Superset stopped (pid {pid})")
    return True


def status(home_dir: str | None = None) -> bool:
    home = SupersetHome.at(home_dir)
    pid = _pid(home)
    url = home.url_file.read_text().strip() if home.url_file.exists() else None
    ok = bool(pid and url and healthy(url))
    print(f"Superset {'running at ' + url if ok else 'not running'}"
          + (f" (pid {pid})" if pid else ""))
    return ok


def _signal(pgid: int | None, pid: int, sig: int) -> None:
    try:
        if pgid:
            os.killpg(pgid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _print_login(home: SupersetHome, url: str) -> None:
    username = os.environ.get("SRDH_SUPERSET_ADMIN") or "admin"
    where = ("$SRDH_SUPERSET_ADMIN_PASSWORD" if os.environ.get("SRDH_SUPERSET_ADMIN_PASSWORD")
             else str(home.admin_password_file))
    print(f"Superset: {url}/  login: {username}  password: in {where}", flush=True)


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except FileNotFoundError:
        return ""
