#!/usr/bin/env python3
"""Log with MLflow's own client what a user of MLflow 3 would, for tests that read it back.

Usage: mlflow_writes.py STORE_URI
  One run in experiment "from-mlflow": params, metrics with steps, a dataset input, a
  scikit-learn model logged the MLflow 3 way (a logged model) and registered as version 1
  of "from-mlflow" with alias "champion". Prints {"run_id", "model_id"} as JSON.
"""
import json
import sys

import mlflow
import pandas as pd
from sklearn.linear_model import LogisticRegression

mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_registry_uri(sys.argv[1])
mlflow.set_experiment("from-mlflow")
X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
y = [0, 1, 0, 1]
with mlflow.start_run(run_name="sklearn") as run:
    mlflow.log_param("C", "1.0")
    for step, loss in enumerate([0.9, 0.5, 0.3]):
        mlflow.log_metric("loss", loss, step=step)
    mlflow.log_input(mlflow.data.from_pandas(X, source="/data/x.csv", name="x"), context="train")
    info = mlflow.sklearn.log_model(LogisticRegression().fit(X, y), name="model",
                                    registered_model_name="from-mlflow")
mlflow.MlflowClient().set_registered_model_alias("from-mlflow", "champion", "1")
print(json.dumps({"run_id": run.info.run_id, "model_id": info.model_id}))
