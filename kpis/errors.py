"""Bad KPI questions (an unknown slice, a period backwards): a clear 400 with the field and why, never a 500."""
from __future__ import annotations


class InvalidInput(Exception):
    """Bad or missing input; ``fields`` says which field and why (the same shape as the ticket API's errors)."""

    status = 400
    error_id = "invalid_input"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    @classmethod
    def of(cls, fields: dict[str, str]) -> "InvalidInput":
        summary = "; ".join(f"{name}: {why}" for name, why in fields.items())
        return cls(f"invalid input — {summary}", fields)

    def as_dict(self) -> dict:
        body = {"id": self.error_id, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body
