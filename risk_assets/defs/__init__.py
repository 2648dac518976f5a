"""Everything Dagster loads, one domain per folder (`load_from_defs_folder`)."""
