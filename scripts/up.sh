#!/usr/bin/env bash
# `make up`: generate a demo state (unless a landing folder is given), run the whole
# pipeline through a real Airflow, then serve the Airflow UI and Superset on localhost.
set -euo pipefail
cd "$(dirname "$0")/.."

LANDING="${1:-}"
RESIDENTS="${2:-20000}"
SEED="${3:-42}"
export SRDH_HOME="${SRDH_HOME:-$PWD/.srdh}"
UV="${UV:-$(command -v uv || echo "$PWD/.tools/bin/uv")}"
srdh() { "$UV" run --frozen srdh "$@"; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "SRDH home: $SRDH_HOME"
mkdir -p "$SRDH_HOME"
# The vault key is made on purpose, once: only when none is configured or present (a lost
# key is not replaced: init-key refuses a vault that holds UIDs; restore the key instead).
if [ -z "${SRDH_VAULT_KEY_COMMAND:-}${SRDH_VAULT_KEY:-}" ] &&
   [ ! -f "${SRDH_VAULT_KEY_FILE:-$SRDH_HOME/secrets/vault.key}" ]; then
  srdh vault init-key --home "$SRDH_HOME"
fi

if [ -z "$LANDING" ]; then
  LANDING="$SRDH_HOME/landing"
  if [ -f "$LANDING/.generated" ] && [ "$(cat "$LANDING/.generated")" = "$RESIDENTS/$SEED" ]; then
    step "Demo state already generated ($RESIDENTS residents, seed $SEED) in $LANDING"
  else
    if [ -e "$SRDH_HOME/warehouse/srdh.duckdb" ]; then
      # a warehouse built from another demo state would mix two states' people
      if [ ! -f "$SRDH_HOME/.demo" ] && [ ! -f "$LANDING/.generated" ]; then
        echo "error: $SRDH_HOME holds a warehouse that \`make up\` did not build; use another" \
             "SRDH_HOME for the demo, or LANDING=<folder> to run on your own feeds" >&2
        exit 2
      fi
      step "A new demo state: clearing the previous demo's warehouse, vault and outputs"
      rm -rf "$SRDH_HOME"/{warehouse,serving,vault,deliveries,reports,gx,dbt}
    fi
    step "Generating a demo state: $RESIDENTS residents, seed $SEED"
    rm -rf "$LANDING" "$SRDH_HOME/truth"
    srdh generate --residents "$RESIDENTS" --seed "$SEED" --out "$LANDING" --truth "$SRDH_HOME/truth"
    echo "$RESIDENTS/$SEED" > "$LANDING/.generated"
    touch "$SRDH_HOME/.demo"
  fi
  # the generated demo state matches with the committed models (matching/models); a home
  # on real feeds (LANDING=dir) trains its own on its first run (matching/README.md)
  export SRDH_MATCHING_MODEL="${SRDH_MATCHING_MODEL:-committed}"
fi
export SRDH_LANDING="$LANDING"

step "Running the pipeline through Airflow (landing: $LANDING)"
srdh airflow up --home "$SRDH_HOME" --landing "$LANDING" --port "${AIRFLOW_PORT:-8080}"

step "Starting Superset"
dashboards/.venv/bin/python dashboards/manage.py bootstrap
dashboards/.venv/bin/python dashboards/manage.py start --port "${SUPERSET_PORT:-8088}"

step "SRDH is up"
srdh airflow status --home "$SRDH_HOME" || true
dashboards/.venv/bin/python dashboards/manage.py status || true
cat <<MSG

Outputs:
  deliveries      $SRDH_HOME/deliveries/<source>/<run_date>/
  warehouse       $SRDH_HOME/warehouse/srdh.duckdb   (serving copy: $SRDH_HOME/serving/srdh.duckdb)
  data docs (GX)  $SRDH_HOME/gx/data_docs/index.html
Stop everything with: make down
MSG
