"""Typed knowledge-base errors: each carries an HTTP status and a stable error id for the APIs."""
from __future__ import annotations


class KnowledgeError(Exception):
    status = 400
    error_id = "knowledge_error"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def as_dict(self) -> dict:
        body = {"id": self.error_id, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class InvalidArticle(KnowledgeError):
    """Bad or missing input; ``fields`` says which field and why."""

    error_id = "invalid_input"

    @classmethod
    def of(cls, fields: dict[str, str]) -> "InvalidArticle":
        return cls("invalid input — " + "; ".join(f"{k}: {v}" for k, v in fields.items()), fields)


class ArticleNotFound(KnowledgeError):
    status = 404
    error_id = "not_found"


class ArticleConflict(KnowledgeError):
    """Someone else saved the article since it was read (its version moved on)."""

    status = 409
    error_id = "conflict"


class IllegalChange(KnowledgeError):
    """Publishing or retiring is not possible in the article's current state."""

    status = 409
    error_id = "illegal_transition"
