"""Errors of a configuration change: a message per field, and the HTTP status the API answers with."""
from __future__ import annotations

from hotline.errors import HotlineError


class ConfigError(HotlineError):
    status = 400
    error_id = "config_error"

    def as_dict(self) -> dict:
        return {"id": self.error_id, "message": self.problem}


class ConfigInvalid(ConfigError):
    """Nothing was saved: ``fields`` says, per field, what is wrong."""

    status = 422
    error_id = "invalid_config"

    def __init__(self, what: str, fields: dict[str, str]):
        self.fields = dict(fields)
        listing = "; ".join(f"{name}: {message}" for name, message in sorted(self.fields.items()))
        super().__init__(f"{what} not saved: {listing}", "correct the fields named and save again")

    def as_dict(self) -> dict:
        return {**super().as_dict(), "fields": self.fields}


class ConfigNotFound(ConfigError):
    status = 404
    error_id = "not_found"


class NothingToRestore(ConfigError):
    status = 409
    error_id = "nothing_to_restore"
