"""The source tables of sql/source_schema.sql: names, column order and load order."""

from __future__ import annotations

# Parents before children, so COPY in this order satisfies every foreign key.
SOURCE_TABLES: tuple[str, ...] = (
    "organizations",
    "students",
    "items",
    "item_presentations",
    "theta_estimates",
    "school_days",
    "attendance",
)

SOURCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("org_id", "name"),
    "students": ("student_id", "org_id", "display_name", "class_name", "enrolled_on", "withdrawn_on"),
    "items": ("item_id", "a", "b", "c", "n_options"),
    "item_presentations": (
        "presentation_id",
        "student_id",
        "session_id",
        "item_id",
        "presented_at",
        "outcome",
        "response_time_ms",
    ),
    "theta_estimates": ("estimate_id", "student_id", "estimated_at", "theta", "se"),
    "school_days": ("org_id", "school_date"),
    "attendance": ("student_id", "school_date", "status"),
}

# Columns of SQL type date (written as YYYY-MM-DD when loading).
DATE_COLUMNS: frozenset[str] = frozenset({"enrolled_on", "withdrawn_on", "school_date"})
