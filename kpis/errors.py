"""Bad KPI questions (an unknown slice, a period backwards): a clear 400 with the field and why, never a 500."""
from __future__ import annotations

from hotline.errors import ApiError


class InvalidInput(ApiError):
    """Bad or missing input; ``fields`` says which field and why (the same shape as the ticket API's errors)."""

    status = 400
    error_id = "invalid_input"
