"""`python -m shorturl`: the same as the `shorturl` command."""

from shorturl.cli import main

main()
