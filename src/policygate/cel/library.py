"""The engine's small CEL function library, the same on every backend.

- ``days(n)``: a duration of ``n`` days (``n`` int or double), so that a rule can
  say ``now - timestamp(a.granted_at) < days(params.max_age_days)``.
"""

from __future__ import annotations

SECONDS_PER_DAY = 86_400

FUNCTION_NAMES = ("days",)
