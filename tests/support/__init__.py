"""Helpers shared by test packages (real databases, ...)."""
