"""`python -m evidence` runs the CLI."""

from evidence.cli.app import main

main()
