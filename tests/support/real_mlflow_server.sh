#!/usr/bin/env bash
# A real `mlflow server` on 127.0.0.1 in the foreground, for tests/support/real_mlflow.ts.
#
#   real_mlflow_server.sh PORT DIR
#
# Runs "$MLFLOW_PYTHON -m mlflow server" with the environment it is given: MLflow from
# ../shared/real-mlflow (real_mlflow.ts sources its env.sh first) or from PyPI
# (MLOPS_MLFLOW_PYTHON). DIR holds what the server writes: mlflow.db (or BACKEND_URI),
# mlartifacts/ (--serve-artifacts), and for APP=basic-auth the auth database and config
# (admin / password1234, default permission READ).
# Ending this script's PID stops the server and its uvicorn workers.
set -euo pipefail
PORT=${1:?usage: real_mlflow_server.sh PORT DIR}
DIR=${2:?usage: real_mlflow_server.sh PORT DIR}
PY=${MLFLOW_PYTHON:?set MLFLOW_PYTHON to a python that imports mlflow}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
cd "$DIR"
uri=${BACKEND_URI:-sqlite:///$DIR/mlflow.db}
[[ "$uri" == file:* ]] && export MLFLOW_ALLOW_FILE_STORE=true
args=(server --host 127.0.0.1 --port "$PORT" --workers 1
  --backend-store-uri "$uri" --serve-artifacts --artifacts-destination "$DIR/mlartifacts")
if [[ "${APP:-}" == basic-auth ]]; then
  cat > "$DIR/basic_auth.ini" <<INI
[mlflow]
default_permission = READ
database_uri = sqlite:///$DIR/basic_auth.db
admin_username = admin
admin_password = password1234
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
INI
  export MLFLOW_AUTH_CONFIG_PATH="$DIR/basic_auth.ini"
  export MLFLOW_FLASK_SERVER_SECRET_KEY=mlops-tests-secret
  args+=(--app-name basic-auth)
fi
# `mlflow server` runs uvicorn as a child and does not pass SIGTERM on: run it in its own
# process group and end the whole group when this script is ended.
set -m
"$PY" -m mlflow "${args[@]}" &
child=$!
trap 'kill -TERM -- "-$child" 2>/dev/null; wait "$child" 2>/dev/null' TERM INT HUP EXIT
wait "$child"
