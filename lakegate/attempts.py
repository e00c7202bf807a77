"""Attempt counting for quarantined rows (SPEC §4), as plain values.

A row's first time in quarantine has attempt 0. Each re-submission of its TransactionID
from a different source (another file or line, or changed content) is one more attempt.
Re-reading the same bronze record (same file, line and content) is not a new attempt.
Attempts 0, 1 and 2 may be retried; a row that would reach MAX_ATTEMPTS is condemned.
"""

from __future__ import annotations

MAX_ATTEMPTS = 3


def attempt_for(same_source_attempt: int | None, highest_prior_attempt: int | None) -> int:
    if same_source_attempt is not None:
        return same_source_attempt
    if highest_prior_attempt is not None:
        return highest_prior_attempt + 1
    return 0


def is_exhausted(attempt: int) -> bool:
    return attempt >= MAX_ATTEMPTS
