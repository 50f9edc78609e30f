"""Suite-wide pytest setup.

The mock server's fixtures (``kling_mock``) come from the plugin we ship for users' own test
suites; pytest only accepts ``pytest_plugins`` in this top-level conftest. ``redis_url`` (a
real redis-server on 127.0.0.1) is shared by every store that spans processes.
"""

pytest_plugins = ["kling_avatar.testing.pytest_plugin", "redis_server"]
