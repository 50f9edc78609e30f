"""A local mock of both providers (crun.ai and Apikley) for tests and demos.

Needs the ``mock`` extra (``pip install kling-avatar[mock]``). The client package never
imports this one.
"""

from ._faults import FAULT_KINDS, Fault
from ._server import DEFAULT_APIKLEY_KEY, DEFAULT_CRUN_KEY, MockServer
from ._state import COST_PRO, COST_STD, CallbackDelivery

__all__ = [
    "COST_PRO",
    "COST_STD",
    "DEFAULT_APIKLEY_KEY",
    "DEFAULT_CRUN_KEY",
    "FAULT_KINDS",
    "CallbackDelivery",
    "Fault",
    "MockServer",
]
