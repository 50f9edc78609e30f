"""Each provider's part of the mock: one module per provider, ``<name>.py``, declaring ``MOCK``.

The mock finds them from ``kling_avatar._registry``'s names (see ``.._lookup``); ``_names``
spells out, for a type checker, the names users know each provider's options by.
"""
