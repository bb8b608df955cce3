"""Floor 4, the FastAGI adapter: the server (pyst2 over sockets) and one handler per dialplan entry point,
turning AGI into calls of the domain. Imports ``hotline``, ``db`` and the domain packages."""
