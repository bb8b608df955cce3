"""Persistence: models, migrations, sessions, repositories and seed data."""
