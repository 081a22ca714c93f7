"""`python -m generator` runs the same CLI as the `vestka` command."""

import sys

from generator.cli import main

sys.exit(main())
