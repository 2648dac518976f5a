"""Issue 12: faults and bad input, each reproduced against real servers, then shown handled."""
