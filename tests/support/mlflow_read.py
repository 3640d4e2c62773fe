#!/usr/bin/env python3
"""Print, as JSON, what MLflow's own client reads from a tracking store.

Usage: mlflow_read.py STORE_URI [STORE_URI...]
  STORE_URI: file:/path/mlruns, sqlite:////abs/mlflow.db, http://127.0.0.1:PORT, or "-" for
  MLflow's own default (what `mlflow ui` opens in the working directory with no flags).
  With several, prints a JSON list (one process: MLflow's import is the slow part).

Used by tests/support/real_mlflow.ts with the real MLflow (../shared/real-mlflow, or
a PyPI install). Every call is wrapped: a failure is recorded under "errors" (op, type,
message) and warnings of MLflow's loggers under "warnings", so a test can assert that
MLflow read everything without complaint.
"""
import json
import logging
import os
import sys
import tempfile
import traceback

errors, warns = [], []


class _Collect(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING and record.name.startswith("mlflow"):
            warns.append(f"{record.name}: {record.getMessage()[:500]}")


logging.getLogger("mlflow").addHandler(_Collect())


def attempt(op, fn, default=None):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001
        errors.append({"op": op, "type": type(e).__name__, "message": str(e)[:1000],
                       "where": "".join(traceback.format_exception(e)[-2:])[:800]})
        return default


import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.artifacts import download_artifacts  # noqa: E402
from mlflow.entities import ViewType  # noqa: E402

# What MLflow picks with no URI given, before this script sets any.
DEFAULT_URI = mlflow.get_tracking_uri()
client = None


def read(store_uri):
    global client
    errors.clear()
    warns.clear()
    default_uri = DEFAULT_URI if store_uri == "-" else None
    if store_uri == "-":
        store_uri = default_uri
    mlflow.set_tracking_uri(store_uri)
    mlflow.set_registry_uri(store_uri)
    client = MlflowClient(tracking_uri=store_uri, registry_uri=store_uri)
    out = {"store_uri": store_uri, "mlflow_version": mlflow.__version__,
           "default_tracking_uri": default_uri, "experiments": [], "logged_models": [],
           "registered_models": []}


    def files_under(path):
        found = []
        for root, _dirs, names in os.walk(path):
            for n in names:
                found.append(os.path.relpath(os.path.join(root, n), path))
        return sorted(found)


    def mlmodel_of(path):
        from mlflow.models import Model
        m = Model.load(os.path.join(path, "MLmodel"))
        return {"run_id": m.run_id, "model_id": getattr(m, "model_id", None), "model_uuid": m.model_uuid,
                "artifact_path": m.artifact_path, "flavors": sorted(m.flavors),
                "mlflow_version": m.mlflow_version, "signature": m.signature is not None}


    def walk(run_id, path=None, depth=0):
        found = []
        for fi in attempt(f"list_artifacts({run_id[:8]},{path})",
                          lambda: client.list_artifacts(run_id, path), []) or []:
            if fi.is_dir and depth < 5:
                found.extend(walk(run_id, fi.path, depth + 1))
            elif not fi.is_dir:
                found.append(fi.path)
        return found


    experiments = attempt("search_experiments",
                          lambda: client.search_experiments(view_type=ViewType.ACTIVE_ONLY), []) or []
    for exp in experiments:
        e = {"experiment_id": exp.experiment_id, "name": exp.name,
             "artifact_location": exp.artifact_location, "tags": dict(exp.tags or {}), "runs": []}
        runs = attempt(f"search_runs({exp.experiment_id})",
                       lambda: client.search_runs([exp.experiment_id], max_results=1000), []) or []
        for r in runs:
            rid = r.info.run_id
            full = attempt(f"get_run({rid[:8]})", lambda: client.get_run(rid))
            if full is None:
                continue
            d = full.data
            history = {}
            for key in sorted(d.metrics):
                h = attempt(f"get_metric_history({rid[:8]},{key})",
                            lambda: client.get_metric_history(rid, key), []) or []
                history[key] = [[m.step, m.value] for m in h]
            inputs = full.inputs.dataset_inputs if full.inputs else []
            outputs = full.outputs.model_outputs if getattr(full, "outputs", None) else []
            e["runs"].append({
                "run_id": rid, "run_name": full.info.run_name, "status": full.info.status,
                "params": dict(d.params), "metrics": dict(d.metrics), "tags": dict(d.tags),
                "parent_run_id": d.tags.get("mlflow.parentRunId"), "metric_history": history,
                "dataset_inputs": [{"name": i.dataset.name, "digest": i.dataset.digest,
                                    "source_type": i.dataset.source_type, "profile": i.dataset.profile,
                                    "tags": {t.key: t.value for t in i.tags}} for i in inputs],
                "model_outputs": [o.model_id for o in outputs],
                "artifacts": sorted(walk(rid)),
            })
        out["experiments"].append(e)

    ids = [e["experiment_id"] for e in out["experiments"]]
    models = attempt("search_logged_models",
                     lambda: client.search_logged_models(experiment_ids=ids) if ids else [], []) or []
    for m in models:
        lm = {"model_id": m.model_id, "name": m.name, "experiment_id": m.experiment_id,
              "source_run_id": m.source_run_id, "status": str(m.status),
              "artifact_location": m.artifact_location, "params": dict(m.params or {}),
              "tags": dict(m.tags or {}), "metrics": {x.key: x.value for x in (m.metrics or [])}}
        got = attempt(f"get_logged_model({m.model_id})", lambda: client.get_logged_model(m.model_id))
        lm["get_logged_model"] = got is not None and got.model_id == m.model_id

        def _download(model_id=m.model_id):
            path = download_artifacts(artifact_uri=f"models:/{model_id}", dst_path=tempfile.mkdtemp())
            return {"files": files_under(path), "mlmodel": mlmodel_of(path)}

        lm.update(attempt(f"download_artifacts(models:/{m.model_id})", _download, {}) or {})
        out["logged_models"].append(lm)

    for rm in attempt("search_registered_models", lambda: client.search_registered_models(), []) or []:
        entry = {"name": rm.name, "aliases": {k: str(v) for k, v in (rm.aliases or {}).items()},
                 "tags": dict(rm.tags or {}), "versions": [], "by_alias": {}}
        for v in attempt(f"search_model_versions({rm.name})",
                         lambda: client.search_model_versions(f"name='{rm.name}'"), []) or []:
            entry["versions"].append({"version": str(v.version), "run_id": v.run_id, "source": v.source,
                                      "model_id": getattr(v, "model_id", None), "status": v.status,
                                      "tags": dict(v.tags or {})})
        for alias in entry["aliases"]:
            mv = attempt(f"get_model_version_by_alias({rm.name},{alias})",
                         lambda: client.get_model_version_by_alias(rm.name, alias))
            if mv is None:
                continue

            def _download(name=rm.name, alias=alias):
                path = download_artifacts(artifact_uri=f"models:/{name}@{alias}", dst_path=tempfile.mkdtemp())
                return files_under(path)

            entry["by_alias"][alias] = {"version": str(mv.version), "source": mv.source,
                                        "files": attempt(f"download(models:/{rm.name}@{alias})", _download)}
        entry["versions"].sort(key=lambda v: int(v["version"]))
        out["registered_models"].append(entry)
    out["errors"] = list(errors)
    out["warnings"] = list(warns)
    return out


views = [read(uri) for uri in sys.argv[1:]]
print(json.dumps(views if len(views) > 1 else views[0], indent=1, default=str))
