"""The product's words, defined once: domains, domain statuses, student levels, the levels a report shows,
reason codes and the columns of the students CSV. Everything that names one imports it; the R engine
reads the same words from `r/vocabulary.json`, generated from this module (`vocabulary_document`)."""

from __future__ import annotations

from enum import StrEnum

SPEC_VERSION = "v1"

DOMAINS = ("theta", "omit", "guess", "attendance")
# Off by default (thresholds.yaml `engagement.enabled`); when on, a fifth domain: coverage is out of 5.
ENGAGEMENT = "engagement"
OPTIONAL_DOMAINS = (ENGAGEMENT,)
ALL_DOMAINS = DOMAINS + OPTIONAL_DOMAINS

# Per-domain status of a student, most severe first.
CRIT, WARN, OK, INSUFFICIENT = "CRIT", "WARN", "OK", "INSUFFICIENT"
STATUSES = (CRIT, WARN, OK, INSUFFICIENT)

# A student's level: the worst domain status; OK needs one evaluated domain.
LEVEL_INSUFFICIENT = "INSUFFICIENT_DATA"
LEVELS = (CRIT, WARN, OK, LEVEL_INSUFFICIENT)

# What summaries, reports, e-mail, Slack and asset metadata count: OK with coverage below 1 is OK_PARTIAL.
LEVEL_OK_PARTIAL = "OK_PARTIAL"
REPORT_LEVELS = (CRIT, WARN, OK, LEVEL_OK_PARTIAL, LEVEL_INSUFFICIENT)
FLAGGED_LEVELS = (CRIT, WARN)


class Reason(StrEnum):
    """Every reason code a student row can carry (docs/metrics.md: Four domains, Student level), sorted into a row by
    code point."""

    THETA_DROP_7D_CRIT = "THETA_DROP_7D_CRIT"
    THETA_DROP_7D_WARN = "THETA_DROP_7D_WARN"
    THETA_DROP_14D_CRIT = "THETA_DROP_14D_CRIT"
    THETA_DROP_14D_WARN = "THETA_DROP_14D_WARN"
    THETA_DECLINE_3WK = "THETA_DECLINE_3WK"
    OMIT_CRIT = "OMIT_CRIT"
    OMIT_WARN = "OMIT_WARN"
    GUESS_CRIT = "GUESS_CRIT"
    GUESS_WARN = "GUESS_WARN"
    ABSENCE_WEEK_CRIT = "ABSENCE_WEEK_CRIT"
    ABSENCE_WEEK_WARN = "ABSENCE_WEEK_WARN"
    ABSENCE_2WK_CRIT = "ABSENCE_2WK_CRIT"
    ABSENCE_2WK_WARN = "ABSENCE_2WK_WARN"
    ABSENCE_STREAK_CRIT = "ABSENCE_STREAK_CRIT"
    NO_ACTIVITY_14D = "NO_ACTIVITY_14D"
    INSUFF_THETA_NO_RECENT = "INSUFF_THETA_NO_RECENT"
    INSUFF_THETA_NO_BASELINE_7D = "INSUFF_THETA_NO_BASELINE_7D"
    INSUFF_THETA_NO_BASELINE_14D = "INSUFF_THETA_NO_BASELINE_14D"
    INSUFF_THETA_STREAK = "INSUFF_THETA_STREAK"
    INSUFF_OMIT_FEW_ITEMS = "INSUFF_OMIT_FEW_ITEMS"
    INSUFF_GUESS_NO_THETA_REF = "INSUFF_GUESS_NO_THETA_REF"
    INSUFF_GUESS_FEW_ITEMS = "INSUFF_GUESS_FEW_ITEMS"
    INSUFF_GUESS_FEW_HARD_ITEMS = "INSUFF_GUESS_FEW_HARD_ITEMS"
    INSUFF_ATT_MISSING_RECORDS = "INSUFF_ATT_MISSING_RECORDS"
    INSUFF_ATT_FEW_DAYS = "INSUFF_ATT_FEW_DAYS"
    RAPID_GUESS_CRIT = "RAPID_GUESS_CRIT"
    RAPID_GUESS_WARN = "RAPID_GUESS_WARN"
    INSUFF_ENGAGEMENT_FEW_ITEMS = "INSUFF_ENGAGEMENT_FEW_ITEMS"
    THETA_DROP_WITH_DISENGAGEMENT = "THETA_DROP_WITH_DISENGAGEMENT"


# An annotation qualifies a flag (a θ drop while the student was not really answering); it is not one itself.
ANNOTATIONS = (Reason.THETA_DROP_WITH_DISENGAGEMENT,)


# Reason codes starting with these say why a domain could not be judged; they are not risk flags.
NOT_A_FLAG_PREFIXES = ("INSUFF_", "NO_ACTIVITY")
FLAG_REASONS = tuple(r for r in Reason if not r.startswith(NOT_A_FLAG_PREFIXES) and r not in ANNOTATIONS)

# A flag's family is what a reader is told (the report's wording), whatever its severity.
_SEVERITY_SUFFIXES = ("_CRIT", "_WARN")


def flag_family(code: str) -> str:
    """THETA_DROP_7D_CRIT → THETA_DROP_7D; ABSENCE_STREAK_CRIT → ABSENCE_STREAK; THETA_DECLINE_3WK as is."""
    for suffix in _SEVERITY_SUFFIXES:
        if code.endswith(suffix):
            return code[: -len(suffix)]
    return code


FLAG_FAMILIES = tuple(dict.fromkeys(flag_family(r) for r in FLAG_REASONS))


def is_flag(code: str) -> bool:
    return not code.startswith(NOT_A_FLAG_PREFIXES) and code not in ANNOTATIONS


# The students CSV (and the `metrics` asset's frame): every column in order, with its kind.
TEXT, INTEGER, NULLABLE_INTEGER, NUMBER = "text", "integer", "nullable_integer", "number"
STUDENT_COLUMN_KINDS: dict[str, str] = {
    "student_id": INTEGER, "display_name": TEXT, "class_name": TEXT, "level": TEXT, "coverage": NUMBER,
    "reason_codes": TEXT,
    **{f"{domain}_status": TEXT for domain in DOMAINS},
    "theta_now": NUMBER, "se_now": NUMBER, "delta_7d": NUMBER, "delta_14d": NUMBER, "z_7d": NUMBER,
    "z_14d": NUMBER,
    "n_presented": INTEGER, "n_omitted": INTEGER, "n_not_reached": INTEGER, "omit_rate": NUMBER,
    "c_hat": NUMBER, "c_hat_se": NUMBER, "c_hat_z": NUMBER, "c_hat_pct": NUMBER, "n_guess_items": INTEGER,
    "n_guess_hard": NULLABLE_INTEGER,
    "sched_week": INTEGER, "absent_week": INTEGER, "sched_2wk": INTEGER, "absent_2wk": INTEGER,
    "att_missing_days": INTEGER, "max_streak": INTEGER, "n_late": INTEGER,
    # Empty while the ENGAGEMENT domain is off.
    f"{ENGAGEMENT}_status": TEXT, "n_timed": NULLABLE_INTEGER, "n_rapid": NULLABLE_INTEGER, "rg_rate": NUMBER,
}
STUDENT_COLUMNS = list(STUDENT_COLUMN_KINDS)


def columns_of_kind(*kinds: str) -> list[str]:
    return [name for name, kind in STUDENT_COLUMN_KINDS.items() if kind in kinds]


def active_domains(students) -> tuple[str, ...]:
    """The domains a students frame was judged on: the four, and ENGAGEMENT when it was on."""
    on = [d for d in OPTIONAL_DOMAINS if f"{d}_status" in students and students[f"{d}_status"].notna().any()]
    return DOMAINS + tuple(on)


def vocabulary_document() -> dict:
    """What the R engine reads (r/vocabulary.json): these words plus the threshold defaults and profiles."""
    from risk_assets.config.thresholds import PROFILE_OVERRIDES, Thresholds

    defaults = Thresholds().model_dump()
    defaults.pop("profile")
    return {
        "generated_by": "python -m risk_assets.vocabulary (do not edit: a test compares it with the module)",
        "spec_version": SPEC_VERSION,
        "domains": list(DOMAINS),
        "optional_domains": list(OPTIONAL_DOMAINS),
        "statuses": {"crit": CRIT, "warn": WARN, "ok": OK, "insufficient": INSUFFICIENT},
        "levels": list(LEVELS),
        "level_insufficient": LEVEL_INSUFFICIENT,
        "reason_codes": [r.value for r in Reason],
        "student_columns": STUDENT_COLUMN_KINDS,
        "threshold_defaults": defaults,
        "threshold_profiles": PROFILE_OVERRIDES,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(vocabulary_document(), indent=2, ensure_ascii=False))
