"""Floor 1, the base: settings, errors, connections (Redis, the sync AMI client), ports, media and TTS,
the Chinese working-day calendar, Redis key names and the dialplan contract. Imports nothing of the project."""
