"""`python -m amm` runs the `amm` command."""

from amm.cli import main

main()
