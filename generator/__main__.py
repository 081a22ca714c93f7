"""`python -m generator` runs the same CLI as the `vestka` command."""

from generator.cli import entry

entry()
