"""``python -m ops.cli``: the same as the ``hotline`` command."""
from ops.cli import main

main()
