"""``python -m lightgan`` runs the ``lightgan`` command."""

import sys

from lightgan.app.cli import main

sys.exit(main())
