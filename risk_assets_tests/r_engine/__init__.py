"""The R metrics engine (r/compute_metrics.R): parity with the Python engine and its Dagster Pipes client."""
