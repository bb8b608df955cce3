"""Errors a person can act on: each names the problem and the fix."""


class HotlineError(Exception):
    """A failure with a one-line cause and a one-line fix, printed without traceback by the CLI."""

    def __init__(self, problem: str, fix: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return self.problem if not self.fix else f"{self.problem}\n  fix: {self.fix}"


class ApiError(Exception):
    """A refusal the APIs answer with an HTTP ``status``, a stable ``error_id`` and, for bad input,
    ``fields`` naming each field and why. The domains' typed errors derive from it."""

    status = 400
    error_id = "error"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    @classmethod
    def of(cls, fields: dict[str, str]):
        """The error for these field problems, all named in one message."""
        summary = "; ".join(f"{name}: {why}" for name, why in fields.items())
        return cls(f"invalid input — {summary}", fields)

    def as_dict(self) -> dict:
        body = {"id": self.error_id, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body
