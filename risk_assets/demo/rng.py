"""Independent random streams derived from the single user-facing seed.

Every part of the generator draws from its own stream keyed by (seed, purpose, org_id). A
tenant's data therefore depends on the seed and its own org_id, not on which other tenants
are generated alongside it, and changing how one part draws numbers cannot shift another.
Streams come from SeedSequence spawn keys: never from hash() (salted per process) or time.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    ITEMS = 1
    ROSTER = 2
    GROUPS = 3
    ATTENDANCE = 4
    PRACTICE = 5
    DIRTY = 6


def stream(seed: int, purpose: Stream, org_id: int = 0) -> np.random.Generator:
    """The generator for one purpose of one tenant (org_id 0 for shared data)."""
    sequence = np.random.SeedSequence(seed, spawn_key=(int(purpose), org_id))
    return np.random.Generator(np.random.PCG64(sequence))
