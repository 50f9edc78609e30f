"""``python -m kling_avatar.contract``: the same as ``kling-avatar contract``."""

import sys

from ._command import main

sys.exit(main())
