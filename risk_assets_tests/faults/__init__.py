"""Faults and bad input, each reproduced against real servers, then shown handled (docs/reliability.md lists every
case and its outcome)."""
