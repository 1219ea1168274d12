#!/usr/bin/env python
"""SRDH Superset management. Run with the BI environment only:

    dashboards/.venv/bin/python dashboards/manage.py bootstrap [--home H] [--sample-data]
    dashboards/.venv/bin/python dashboards/manage.py start [--home H] [--port 8088]
    dashboards/.venv/bin/python dashboards/manage.py stop [--home H]
    dashboards/.venv/bin/python dashboards/manage.py status [--home H]
    dashboards/.venv/bin/python dashboards/manage.py screenshots --url U --out DIR ...
    dashboards/.venv/bin/python dashboards/manage.py gen-assets --serving <home>/serving/srdh.duckdb

The home is --home, else $SRDH_HOME, else ./.srdh (see srdh_superset/home.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="manage.py", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bootstrap", help="db upgrade, admin, init, assets, roles, RLS")
    b.add_argument("--home")
    b.add_argument("--sample-data", action="store_true",
                   help="first write a small sample serving copy (demo/tests only)")
    s = sub.add_parser("start", help="start Superset on 127.0.0.1 and wait for /health")
    s.add_argument("--home")
    s.add_argument("--port", type=int, default=None)
    s.add_argument("--timeout", type=float, default=180)
    for name in ("stop", "status"):
        sub.add_parser(name).add_argument("--home")
    g = sub.add_parser("gen-assets", help="regenerate assets/ from srdh_superset/assetgen.py"
                       " and a real serving copy's columns")
    g.add_argument("--serving", required=True, help="a serving copy built by the pipeline")
    sc = sub.add_parser("screenshots", help="render every dashboard in headless Chromium")
    sc.add_argument("--url", required=True)
    sc.add_argument("--username", required=True)
    sc.add_argument("--password-file", required=True)
    sc.add_argument("--out", required=True)
    sc.add_argument("--chromium", default="/usr/bin/chromium")
    sc.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    a = p.parse_args(argv)

    if a.cmd == "bootstrap":
        from srdh_superset.bootstrap import bootstrap
        bootstrap(a.home, sample_data=a.sample_data)
        return 0
    if a.cmd == "gen-assets":
        from srdh_superset.assetgen import check_spec, write_assets
        problems = check_spec()
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
        for name in write_assets(Path(a.serving)):
            print(name)
        return 0
    if a.cmd == "start":
        from srdh_superset.server import start
        start(a.home, port=a.port, timeout=a.timeout)
        return 0
    if a.cmd == "stop":
        from srdh_superset.server import stop
        stop(a.home)
        return 0
    if a.cmd == "status":
        from srdh_superset.server import status
        return 0 if status(a.home) else 1
    if a.cmd == "screenshots":
        from srdh_superset.browser import render_dashboards
        report = render_dashboards(a.url, a.username, Path(a.password_file).read_text().strip(),
                                   Path(a.out), chromium=a.chromium, chromedriver=a.chromedriver)
        import json
        print(json.dumps(report, indent=2))
        return 0 if all(not d["errors"] for d in report["dashboards"]) else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
