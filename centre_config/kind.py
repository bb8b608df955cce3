"""What every kind of configuration item (line, queue, agent, menu, switch, calendar day) knows how to do."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from centre_config.errors import ConfigInvalid


class Kind:
    """Load, show (as JSON-safe data in the seed files' format), check and write one kind of item."""

    name = ""            # "line": the value of ConfigVersion.kind
    label = ""           # "line 12319" in messages
    key_field = ""       # the natural key: "number", "name", ...
    removable = True     # may ``remove`` be used (retire, delete)?

    def get(self, session: Session, key: str) -> Any | None:
        raise NotImplementedError

    def keys(self, session: Session) -> list[str]:
        raise NotImplementedError

    def dump(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, session: Session, data: dict[str, Any], existing: Any | None) -> dict[str, Any]:
        """Clean values for every field, or ConfigInvalid with a message per field; writes nothing."""
        raise NotImplementedError

    def write(self, session: Session, obj: Any | None, clean: dict[str, Any]) -> Any:
        raise NotImplementedError

    def remove(self, session: Session, obj: Any) -> Any | None:
        """Retire or delete; returns the item if it stays (retired), None if it is gone."""
        raise NotImplementedError

    def invalid(self, key: str, errors: dict[str, str]) -> ConfigInvalid:
        return ConfigInvalid(f"{self.label} {key}", errors)

    def normalize_key(self, key: Any) -> str:
        return str(key).strip()

    # --- shared helpers -------------------------------------------------------
    @staticmethod
    def _set(obj: Any, clean: dict[str, Any], names: tuple[str, ...]) -> None:
        for name in names:
            if getattr(obj, name) != clean[name]:
                setattr(obj, name, clean[name])
