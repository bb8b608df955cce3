"""Typed ticket errors: each carries an HTTP status and a stable error id for the APIs."""
from __future__ import annotations

from hotline.errors import ApiError


class TicketError(ApiError):
    status = 400
    error_id = "ticket_error"


class InvalidInput(TicketError):
    """Bad or missing input; ``fields`` says which field and why."""

    status = 400
    error_id = "invalid_input"


class NotAllowed(TicketError):
    """The actor has no right to do this to this ticket."""

    status = 403
    error_id = "not_allowed"


class TicketNotFound(TicketError):
    status = 404
    error_id = "not_found"


class IllegalTransition(TicketError):
    """The event is not possible in the ticket's current state."""

    status = 409
    error_id = "illegal_transition"


class TicketConflict(TicketError):
    """Someone else changed the ticket since it was read (row version moved on)."""

    status = 409
    error_id = "conflict"
