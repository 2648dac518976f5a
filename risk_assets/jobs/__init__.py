"""Jobs that are not asset materialisations."""
