"""Typed knowledge-base errors: each carries an HTTP status and a stable error id for the APIs."""
from __future__ import annotations

from hotline.errors import ApiError


class KnowledgeError(ApiError):
    status = 400
    error_id = "knowledge_error"


class InvalidArticle(KnowledgeError):
    """Bad or missing input; ``fields`` says which field and why."""

    error_id = "invalid_input"


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
