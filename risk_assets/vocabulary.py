"""The product's words, defined once: domains, domain statuses, student levels, the levels a report shows,
and the prefixes that mark reason codes which are not risk flags. Everything that names one imports it."""

DOMAINS = ("theta", "omit", "guess", "attendance")

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

# Reason codes starting with these say why a domain could not be judged; they are not risk flags.
NOT_A_FLAG_PREFIXES = ("INSUFF_", "NO_ACTIVITY")
