"""`python -m vmdbg` is the `vmdbg` command."""

import sys

from vmdbg.cli import main

sys.exit(main())
