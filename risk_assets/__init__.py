"""risk_assets: weekly student-risk reports per school, as a Dagster asset graph."""
