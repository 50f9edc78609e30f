"""Suite-wide pytest setup.

The mock server's fixtures (``kling_mock``) come from the plugin we ship for users' own test
suites; pytest only accepts ``pytest_plugins`` in this top-level conftest.
"""

pytest_plugins = ["kling_avatar.testing.pytest_plugin"]
