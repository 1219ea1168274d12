"""Run a real local Airflow for one SRDH home: `srdh airflow up | stop | status`.

Layout under the SRDH home (never committed):

- ``<home>/airflow/``: ``AIRFLOW_HOME`` (SQLite metadata DB ``airflow.db``, task logs under
  ``logs/``, one log per server process under ``logs/servers/``, the runner's state file);
- ``<home>/secrets/airflow_passwords.json``: the SimpleAuthManager user list's passwords,
  generated on first run (random; there is no default password);
- ``<home>/secrets/airflow_jwt_secret``, ``airflow_api_secret_key``, ``airflow_fernet_key``:
  generated on first run.

All configuration is passed as ``AIRFLOW__SECTION__KEY`` environment variables, so there is
no ``airflow.cfg`` to drift. The api-server, scheduler, dag-processor and triggerer run in
one process group of their own, bound to 127.0.0.1; ``stop`` signals the whole group
(SIGTERM to a parent alone leaves Airflow's children running). This module never imports
Airflow: it drives the ``airflow`` CLI and the REST API.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.paths import Home

REPO_ROOT = Path(__file__).resolve().parents[1]
ADMIN_USER = "admin"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
FULL_RUN_DAG = "srdh_full_run"
POOL = "srdh_duckdb_writer"  # same as dagkit.POOL; not imported, to keep this module light
TERMINAL = {"success", "failed"}


class AirflowError(RuntimeError):
    pass


def _write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)


def _secret(path: Path, make: Callable[[], str]) -> str:
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    value = make()
    _write_secret(path, value + "\n")
    return value


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


@dataclass
class AirflowRunner:
    """A local Airflow for one SRDH home. Cheap to build; nothing starts until :meth:`start`."""

    home: Home
    port: int = 8080
    host: str = "127.0.0.1"
    landing: Path | None = None
    parallelism: int = 3
    echo: Callable[[str], None] = print
    _procs: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)
    _token: str | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ paths and secrets

    @property
    def airflow_home(self) -> Path:
        return self.home.root / "airflow"

    @property
    def state_file(self) -> Path:
        return self.airflow_home / "srdh_runner.json"

    @property
    def server_logs(self) -> Path:
        return self.airflow_home / "logs" / "servers"

    @property
    def passwords_file(self) -> Path:
        return self.home.secrets / "airflow_passwords.json"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def password(self) -> str:
        """The admin password, generated on first use (never a default)."""
        path = self.passwords_file
        if path.exists():
            users = json.loads(path.read_text() or "{}")
            if users.get(ADMIN_USER):
                return users[ADMIN_USER]
        users = {ADMIN_USER: secrets.token_urlsafe(18)}
        _write_secret(path, json.dumps(users) + "\n")
        return users[ADMIN_USER]

    def env(self) -> dict[str, str]:
        """The environment every Airflow process of this home runs with."""
        sec = self.home.secrets
        ah = self.airflow_home
        env = dict(os.environ)
        env.update({
            "AIRFLOW_HOME": str(ah),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(self.parallelism),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__FERNET_KEY": _secret(sec / "airflow_fernet_key", _fernet_key),
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.passwords_file),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{ah / 'airflow.db'}",
            "AIRFLOW__API__HOST": self.host,
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": _secret(sec / "airflow_api_secret_key",
                                                lambda: secrets.token_urlsafe(48)),
            "AIRFLOW__API_AUTH__JWT_SECRET": _secret(sec / "airflow_jwt_secret",
                                                     lambda: secrets.token_urlsafe(48)),
            "AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME": "86400",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(ah / "logs"),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "60",
            # Re-parse each DAG file every 2 min, not 30 s (each parse of a file with the
            # dbt task group costs CPU seconds the tasks need on a 2-core box), in 1 process.
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "120",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "AIRFLOW__COSMOS__CACHE_DIR": str(ah / "cosmos"),  # dbt partial-parse cache
            "DO_NOT_TRACK": "1",
            "SRDH_HOME": str(self.home.root),
        })
        if self.landing is not None:
            env["SRDH_LANDING"] = str(Path(self.landing).resolve())
        env.pop("AIRFLOW_CONFIG", None)
        return env

    def airflow_bin(self) -> str:
        beside = Path(sys.executable).parent / "airflow"
        return str(beside) if beside.exists() else "airflow"

    def cli(self, *args: str, timeout: float = 300) -> str:
        """Run ``airflow <args>`` with this home's environment; return stdout."""
        proc = subprocess.run([self.airflow_bin(), *args], env=self.env(), capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            raise AirflowError(f"airflow {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
        return proc.stdout

    # ------------------------------------------------------------------ lifecycle

    def init(self, dbt_parse: bool = True) -> None:
        """Create the Airflow home, secrets, metadata DB (idempotent) and the DuckDB pool."""
        self.home.ensure()
        self.airflow_home.mkdir(parents=True, exist_ok=True)
        self.server_logs.mkdir(parents=True, exist_ok=True)
        self.password()
        from srdh.orchestration.preload import write_local_settings

        write_local_settings(self.airflow_home)  # the scheduler pre-imports dbt for its tasks
        self.echo(f"Airflow home {self.airflow_home}: migrating the metadata database")
        self.cli("db", "migrate")
        self.cli("pools", "set", POOL, "1",
                 "DuckDB allows one writer: every task opening the SRDH warehouse uses this pool")
        if dbt_parse:
            self._dbt_parse()

    def _dbt_parse(self, timeout: float = 600) -> None:
        """``dbt parse`` into ``<home>/dbt/target`` so Cosmos renders the dbt DAG from a
        manifest (exact) rather than its own file parser. Best effort: on failure or
        timeout the DAG still renders, from the project files."""
        if not (REPO_ROOT / "dbt_project" / "dbt_project.yml").is_file():
            return
        self.echo("dbt parse (for the Cosmos task group) ...")
        code = ("import sys; from warehouse.dbt import run_dbt; "
                "run_dbt(sys.argv[1], ['parse'], raise_on_failure=True)")
        try:
            proc = subprocess.run([sys.executable, "-c", code, str(self.home.root)],
                                  env=self.env(), capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.echo("dbt parse timed out; Cosmos will parse the project files itself")
            return
        if proc.returncode != 0:
            self.echo("dbt parse failed; Cosmos will parse the project files itself:\n"
                      + (proc.stderr or proc.stdout)[-1500:])

    def read_state(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None

    def group_alive(self, pgid: int | None = None) -> bool:
        if pgid is None:
            state = self.read_state()
            pgid = state and state.get("pgid")
        if not pgid:
            return False
        for proc in self._procs.values():  # reap our own exited children (zombies count as alive)
            proc.poll()
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def start(self) -> None:
        """Start the servers in one new process group; record it in the state file."""
        state = self.read_state()
        if state and self.group_alive(state.get("pgid")):
            raise AirflowError(f"Airflow for this home is already running (process group "
                               f"{state['pgid']}, {state.get('url')}); `srdh airflow stop` first")
        if _port_in_use(self.host, self.port):
            raise AirflowError(f"port {self.port} on {self.host} is in use; "
                               "pick another with --port")
        env = self.env()
        pgid = 0
        for name in COMPONENTS:
            log = open(self.server_logs / f"{name}.log", "ab")  # noqa: SIM115 - child owns it
            args = [self.airflow_bin(), name]
            if name == "api-server":
                args += ["--host", self.host, "--port", str(self.port), "--workers", "1"]
            elif name in ("scheduler", "triggerer"):
                # Their log servers bind every interface (not configurable); task logs are
                # local files the api-server reads directly, so don't start them.
                args.append("--skip-serve-logs")
            proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, process_group=pgid,
                                    cwd=self.airflow_home)
            log.close()
            if pgid == 0:
                pgid = proc.pid
            self._procs[name] = proc
        self.state_file.write_text(json.dumps({
            "pgid": pgid,
            "pids": {n: p.pid for n, p in self._procs.items()},
            "url": self.url, "host": self.host, "port": self.port,
            "landing": str(self.landing) if self.landing else None,
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }, indent=2))
        self.echo(f"Started Airflow (process group {pgid}); server logs in {self.server_logs}")

    def stop(self, timeout: float = 30) -> bool:
        """SIGTERM the whole process group, then SIGKILL what is left. True if one was running."""
        state = self.read_state()
        pgid = state and state.get("pgid")
        if not pgid or not self.group_alive(pgid):
            self.state_file.unlink(missing_ok=True)
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.group_alive(pgid):
            time.sleep(0.3)
        if self.group_alive(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            for _ in range(50):
                if not self.group_alive(pgid):
                    break
                time.sleep(0.1)
        for proc in self._procs.values():
            with contextlib.suppress(Exception):
                proc.wait(timeout=5)
        self._procs.clear()
        self.state_file.unlink(missing_ok=True)
        return True

    # ------------------------------------------------------------------ REST API

    def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                timeout: float = 30) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        except (urllib.error.URLError, OSError) as exc:  # refused, reset, timed out
            raise AirflowError(f"Airflow at {self.url} is not answering: {exc}") from exc
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def login(self, username: str = ADMIN_USER, password: str | None = None) -> str:
        """POST /auth/token; return the bearer token (raises on a refused login)."""
        status, body = self.request("POST", "/auth/token", {
            "username": username, "password": self.password() if password is None else password})
        if status not in (200, 201) or not isinstance(body, dict) or "access_token" not in body:
            raise AirflowError(f"login refused for {username!r}: HTTP {status} {body}")
        return body["access_token"]

    def api(self, method: str, path: str, body: Any = None) -> Any:
        if self._token is None:
            self._token = self.login()
        status, payload = self.request(method, "/api/v2" + path, body, token=self._token)
        if status == 401:  # token expired: log in again once
            self._token = self.login()
            status, payload = self.request(method, "/api/v2" + path, body, token=self._token)
        if status >= 400:
            raise AirflowError(f"{method} /api/v2{path}: HTTP {status} {payload}")
        return payload

    def health(self) -> dict[str, Any] | None:
        try:
            status, body = self.request("GET", "/api/v2/monitor/health", timeout=5)
        except AirflowError:
            return None
        return body if status == 200 and isinstance(body, dict) else None

    def wait_healthy(self, timeout: float = 600) -> dict[str, Any]:
        """Until the api-server answers and the scheduler and dag-processor report healthy."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            state = self.read_state()
            if state and not self.group_alive(state.get("pgid")):
                raise AirflowError(f"Airflow exited; see {self.server_logs}")
            dead = [n for n, p in self._procs.items() if p.poll() is not None]
            if dead:
                raise AirflowError(f"{', '.join(dead)} exited; see {self.server_logs}")
            last = self.health()
            if last and all((last.get(k) or {}).get("status") == "healthy"
                            for k in ("metadatabase", "scheduler", "dag_processor")):
                return last
            time.sleep(1)
        raise AirflowError(f"Airflow not healthy after {timeout:.0f}s (last: {last}); "
                           f"see {self.server_logs}")

    def wait_for_dag(self, dag_id: str, timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return self.api("GET", f"/dags/{dag_id}")
            except AirflowError as exc:
                if "HTTP 404" not in str(exc):
                    raise
            time.sleep(2)
        errors = self.api("GET", "/importErrors")
        raise AirflowError(f"DAG {dag_id} not parsed after {timeout:.0f}s; import errors: {errors}")

    def trigger(self, dag_id: str = FULL_RUN_DAG, conf: dict | None = None) -> str:
        """Unpause the DAG and start a run now; return its run id."""
        self.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        run = self.api("POST", f"/dags/{dag_id}/dagRuns", {
            "dag_run_id": f"srdh__{now:%Y%m%dT%H%M%S}",
            "logical_date": now.isoformat(),
            "conf": conf or {},
        })
        return run["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 7200,
                     interval: float = 3) -> str:
        """Poll a run, printing each task as it finishes; return its final state."""
        deadline = time.monotonic() + timeout
        seen: dict[str, str] = {}
        started = time.monotonic()
        while time.monotonic() < deadline:
            tis = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=1000")
            tis = tis.get("task_instances", [])
            for ti in tis:
                key, state = ti["task_id"], ti.get("state")
                if state and state != seen.get(key) and state not in ("scheduled", "queued"):
                    seen[key] = state
                    extra = f" (try {ti.get('try_number')})" if ti.get("try_number", 1) > 1 else ""
                    self.echo(f"  [{time.monotonic() - started:6.0f}s] {key}: {state}{extra}")
            run = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            if run.get("state") in TERMINAL:
                done = sum(1 for t in tis if t.get("state") in ("success", "skipped"))
                self.echo(f"{dag_id} {run['state']}: {done}/{len(tis)} tasks succeeded or skipped")
                return run["state"]
            time.sleep(interval)
        raise AirflowError(f"{dag_id} run {run_id} not finished after {timeout:.0f}s")

    # ------------------------------------------------------------------ what the CLI calls

    def up(self, run: bool = True, timeout: float = 7200, dbt_parse: bool = True) -> str | None:
        """Init, start (or reuse) Airflow, trigger ``srdh_full_run`` and wait for it."""
        state = self.read_state()
        if state and self.group_alive(state.get("pgid")) and self.health():
            self.echo(f"Airflow already running at {state['url']}")
            self.host, self.port = state.get("host", self.host), state.get("port", self.port)
        else:
            self.stop()
            self.init(dbt_parse=dbt_parse)
            self.start()
        self.echo(f"Waiting for Airflow at {self.url} ...")
        self.wait_healthy()
        result = None
        if run:
            self.wait_for_dag(FULL_RUN_DAG)
            run_id = self.trigger(FULL_RUN_DAG)
            self.echo(f"Triggered {FULL_RUN_DAG} run {run_id}")
            result = self.wait_for_run(FULL_RUN_DAG, run_id, timeout=timeout)
        self.echo(self.login_banner())
        return result

    def login_banner(self) -> str:
        return (f"Airflow UI: {self.url}  login: {ADMIN_USER} / {self.password()}  "
                f"(password in {self.passwords_file})")

    def status(self) -> dict[str, Any]:
        state = self.read_state() or {}
        if state:
            self.host, self.port = state.get("host", self.host), state.get("port", self.port)
        alive = self.group_alive(state.get("pgid")) if state else False
        return {"running": alive, "url": state.get("url"), "pgid": state.get("pgid"),
                "landing": state.get("landing"), "health": self.health() if alive else None,
                "airflow_home": str(self.airflow_home),
                "failures": str(self.home.logs / "failures.jsonl")}


def _port_in_use(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
