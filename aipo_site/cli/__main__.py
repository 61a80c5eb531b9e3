"""`python -m aipo_site.cli`."""

import sys

from .main import main

sys.exit(main())
