"""The school's weekly figures (docs/metrics.md: Student level), as plain pandas functions."""
