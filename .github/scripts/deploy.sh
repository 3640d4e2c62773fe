#!/usr/bin/env bash
# Deploys the edge (or the bot) to Deno Deploy with `deno deploy`, smoke-tests the
# deployed URL, and for the edge rolls back when the smoke test fails: the registry's
# alias goes back to the previous version (`mlops promote --version`), that bundle is
# deployed again and smoke-tested, and the script fails so the job tells people.
#
# Run from the repository root (a throwaway checkout: it edits .gitignore and, for the
# bot, deno.json) by .github/workflows/deploy.yml. tests/deploy_test.ts runs it with a
# local stand-in for `deno deploy` on PATH.
#
# Environment:
#   APP                  edge | bot
#   DENO_DEPLOY_TOKEN    read by `deno deploy` itself
#   DENO_DEPLOY_ORG      the organization
#   DENO_DEPLOY_APP      the app to deploy to
#   DEPLOYED_URL         the app's URL (a custom domain); default: the production domain
#                        `deno deploy --json` reports
#   MODEL_NAME           edge: the registered model in edge/model/
#   MODEL_VERSION        edge: its version, which the smoke test expects to be served
#   PREVIOUS_VERSION     edge: the version to roll back to ("" or "none": nothing to go back to)
#   SMOKE_TIMEOUT        seconds the deployed app has to become ready (default 180)
#   OUT_DIR              where deploy answers go (default out/deploy)
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY   set by GitHub Actions (optional elsewhere)
#
# Outputs (GITHUB_OUTPUT): url, outcome (deployed | rolled-back | failed), message.
#
# `deno deploy` flags are the documented ones (docs.deno.com/runtime/reference/cli/deploy,
# "Agent / CI usage"): --json --non-interactive --org --app --prod [root-path]; its JSON
# answer carries timelines[].partition/domains. It uploads what git does not ignore.
set -euo pipefail

APP="${APP:-edge}"
OUT_DIR="${OUT_DIR:-out/deploy}"
SMOKE_TIMEOUT="${SMOKE_TIMEOUT:-180}"
GITHUB_OUTPUT="${GITHUB_OUTPUT:-/dev/null}"
GITHUB_STEP_SUMMARY="${GITHUB_STEP_SUMMARY:-/dev/null}"
mkdir -p "$OUT_DIR"

say() { printf 'deploy: %s\n' "$*" >&2; }
output() { printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"; }
finish() { # outcome message exit-code
  output outcome "$1"
  output message "$2"
  printf '### Deploy %s\n\n%s\n' "$APP" "$2" >>"$GITHUB_STEP_SUMMARY"
  say "$2"
  exit "$3"
}

: "${DENO_DEPLOY_ORG:?set DENO_DEPLOY_ORG (vars.DENO_DEPLOY_ORG)}"
: "${DENO_DEPLOY_APP:?set DENO_DEPLOY_APP}"

case "$APP" in
  edge)
    : "${MODEL_NAME:?set MODEL_NAME}"
    : "${MODEL_VERSION:?set MODEL_VERSION}"
    test -f edge/model/model.mlops.json || finish failed "edge/model/model.mlops.json is missing" 1
    # The edge goes up as one bundled module (edge/README.md, "Cold start"): a new
    # isolate loads one file instead of ~100.
    deno task build:edge >&2 || finish failed "deno task build:edge failed (see the log above)" 1
    # deno.json excludes the generated file from fmt, lint and check; here it must go up.
    jq '.deploy.runtime.entrypoint = "./edge/main.bundle.js" | .exclude -= ["edge/main.bundle.js"]' \
      deno.json >"$OUT_DIR/deno.json"
    cp "$OUT_DIR/deno.json" deno.json
    # deno deploy uploads only what git does not ignore, and .gitignore keeps local
    # bundles (the model's and the code's) out of commits; in this throwaway checkout
    # both must go up.
    sed -i -e '\#^/edge/model/\*\.json$#d' -e '\#^/edge/main\.bundle\.js$#d' .gitignore
    ;;
  bot)
    test -f bot/deploy.ts || finish failed "bot/deploy.ts is missing" 1
    # deno.json's deploy config names the edge's entrypoint; this app runs the bot's.
    jq '.deploy.runtime.entrypoint = "./bot/deploy.ts"' deno.json >"$OUT_DIR/deno.json"
    cp "$OUT_DIR/deno.json" deno.json
    ;;
  *) finish failed "APP must be edge or bot, not '$APP'" 2 ;;
esac

attempt=0
# deploy: uploads this checkout and prints the URL it is served at.
deploy() {
  attempt=$((attempt + 1))
  local answer="$OUT_DIR/deploy-$attempt.json"
  deno deploy --json --non-interactive --org "$DENO_DEPLOY_ORG" --app "$DENO_DEPLOY_APP" \
    --prod . >"$answer"
  if [ -n "${DEPLOYED_URL:-}" ]; then
    printf '%s\n' "$DEPLOYED_URL"
  else
    jq -r '[.timelines[]? | select(.partition == "production") | .domains[]?][0] // empty' "$answer"
  fi
}

# smoke_edge VERSION URL
smoke_edge() {
  deno task mlops smoke "$2" --expect-model "$MODEL_NAME" --expect-version "$1" \
    --timeout "$SMOKE_TIMEOUT" --json >"$OUT_DIR/smoke-$1.json"
}

if [ "$APP" = bot ]; then
  url="$(deploy)" || finish failed "deno deploy of the bot failed (see the log above)" 1
  [ -n "$url" ] || finish failed "deno deploy reported no production URL (set DEPLOYED_URL)" 1
  output url "$url"
  if curl -fsS --retry 30 --retry-delay 3 --retry-all-errors --max-time 10 "$url/healthz" >/dev/null; then
    finish deployed "The bot is deployed at $url and answers /healthz." 0
  fi
  finish failed "The bot was deployed to $url but /healthz does not answer." 1
fi

url="$(deploy)" || finish failed "deno deploy of $MODEL_NAME version $MODEL_VERSION failed (see the log above)" 1
[ -n "$url" ] || finish failed "deno deploy reported no production URL (set DEPLOYED_URL)" 1
output url "$url"
if smoke_edge "$MODEL_VERSION" "$url"; then
  finish deployed "$MODEL_NAME version $MODEL_VERSION is live at $url (smoke test passed)." 0
fi

case "${PREVIOUS_VERSION:-}" in
  "" | none)
    finish failed "$MODEL_NAME version $MODEL_VERSION failed its smoke test at $url, and there is no previous version to roll back to." 1
    ;;
esac
say "smoke test failed: rolling $MODEL_NAME back to version $PREVIOUS_VERSION"
deno task mlops promote --model "$MODEL_NAME" --version "$PREVIOUS_VERSION" \
  --reason "deploy smoke test of version $MODEL_VERSION failed at $url" \
  --out edge/model --json >"$OUT_DIR/rollback.json"
url="$(deploy)" || finish failed "$MODEL_NAME version $MODEL_VERSION failed its smoke test, and deploying version $PREVIOUS_VERSION again failed too: the app needs a look." 1
if smoke_edge "$PREVIOUS_VERSION" "$url"; then
  finish rolled-back "$MODEL_NAME version $MODEL_VERSION failed its smoke test at $url; rolled back: champion is version $PREVIOUS_VERSION again, and it is live." 1
fi
finish failed "$MODEL_NAME version $MODEL_VERSION failed its smoke test at $url, and so did the rollback to version $PREVIOUS_VERSION: the app needs a look." 1
