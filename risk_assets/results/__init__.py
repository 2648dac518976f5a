"""The pipeline's own PostgreSQL database: versioned schema and per-partition results."""
