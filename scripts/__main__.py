"""`python -m openup`: the same command as `openup`."""

from .cli import main

main()
