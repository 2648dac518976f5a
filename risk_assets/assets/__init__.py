"""Thin Dagster assets: load, call the pure step, store, attach metadata."""
