#!/usr/bin/env bash
# `make screenshots`: regenerate docs/screenshots/superset-*.png from `make up`'s demo state
# (RESIDENTS=20000, SEED=42 by default), in a throwaway home so that ./.srdh is never
# touched: generate, `srdh run` (the same functions the Airflow DAGs call), bootstrap
# Superset on a spare port, render every dashboard in headless Chromium, stop Superset.
# About 9 minutes on 2 busy cores. Fails if any chart shows an error.
set -euo pipefail
cd "$(dirname "$0")/.."

RESIDENTS="${1:-20000}"
SEED="${2:-42}"
PORT="${SCREENSHOT_PORT:-8799}"
OUT="${SCREENSHOT_DIR:-$PWD/docs/screenshots}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/srdh-screenshots.XXXXXX")"
H="$WORK/home"
BI=dashboards/.venv/bin/python
stop() { "$BI" dashboards/manage.py stop --home "$H" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap stop EXIT

.venv/bin/srdh generate --residents "$RESIDENTS" --seed "$SEED" --home "$H" --quiet
.venv/bin/srdh vault init-key --home "$H"
.venv/bin/srdh run --landing "$H/landing" --home "$H"
"$BI" dashboards/manage.py bootstrap --home "$H"
"$BI" dashboards/manage.py start --home "$H" --port "$PORT"
mkdir -p "$OUT"
"$BI" dashboards/manage.py screenshots --url "http://127.0.0.1:$PORT" --username admin \
    --password-file "$H/secrets/superset_admin_password" --out "$OUT" >/dev/null
echo "screenshots of a $RESIDENTS-resident state (seed $SEED) in $OUT"
