"""`python -m slostack` is the `slostack` command."""

from .cli import main

main()
