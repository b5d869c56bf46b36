"""A time budget per search: checked in the loops whose cost grows with the query or the text."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


class SearchTimeout(RuntimeError):
    """The search used up its time budget; the service answers 503 with Retry-After."""


@dataclass(frozen=True)
class Deadline:
    """The moment (time.monotonic) a search must give up."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise SearchTimeout("The search took too long and was stopped; try a simpler query.")


NO_DEADLINE = Deadline(math.inf)
