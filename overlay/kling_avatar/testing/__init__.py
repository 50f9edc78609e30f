"""A local mock of both providers (crun.ai and Apikley) for tests and demos.

Needs the ``mock`` extra (``pip install kling-avatar[mock]``). The client package never
imports this one.
"""

import importlib.util as _importlib_util

# Without the extra, the first failure would be a bare "No module named 'uvicorn'" from deep
# inside; looking the modules up (without importing them) names the extra instead.
_MOCK_EXTRA = ("uvicorn", "connexion", "yaml", "rfc3986_validator")
_missing = [name for name in _MOCK_EXTRA if _importlib_util.find_spec(name) is None]
if _missing:
    raise ModuleNotFoundError(
        f"kling_avatar.testing (the mock server) needs the `mock` extra, which is not installed"
        f" (no module {_missing[0]!r}): pip install 'kling-avatar[mock]', or the same extra of"
        f" the wheel or git URL you installed from",
        name=_missing[0],
    )

from ._clock import MockClock  # noqa: E402 (after the check above, on purpose)
from ._faults import FAULT_KINDS, Fault  # noqa: E402
from ._outgoing import CallbackDelivery  # noqa: E402
from ._providers import _names  # noqa: E402
from ._providers._names import *  # noqa: E402, F403 (each provider's DEFAULT_<NAME>_KEY)
from ._server import MockServer  # noqa: E402
from ._state import COST_PRO, COST_STD  # noqa: E402
from ._transport import InProcessMock  # noqa: E402

__all__ = [
    "COST_PRO",
    "COST_STD",
    "FAULT_KINDS",
    "CallbackDelivery",
    "Fault",
    "InProcessMock",
    "MockClock",
    "MockServer",
]
__all__ += _names.__all__
