"""The school's weekly figures (spec §7), as plain pandas functions."""
