"""Errors a person can act on: each names the problem and the fix."""


class HotlineError(Exception):
    """A failure with a one-line cause and a one-line fix, printed without traceback by the CLI."""

    def __init__(self, problem: str, fix: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return self.problem if not self.fix else f"{self.problem}\n  fix: {self.fix}"
