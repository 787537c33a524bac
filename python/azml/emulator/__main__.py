"""`python -m azml.emulator`: serve the emulator (see `azml.emulator.main`)."""

import sys

from . import main

sys.exit(main())
