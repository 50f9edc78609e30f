"""`python -m kling_avatar`: the same as the installed `kling-avatar` command."""

import sys

from kling_avatar._cli import main

sys.exit(main())
