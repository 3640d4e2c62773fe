/**
 * Batch inference: the summary a scored batch reports, its MLflow metrics,
 * and the notifications it sends. `mlops batch` does the I/O.
 *
 * @module
 */
export {
  batchMetrics,
  batchNotification,
  type BatchSummary,
  failureNotification,
  summarizeBatch,
} from "./summary.ts";
