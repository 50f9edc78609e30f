"""The typed clients openapi-python-client makes from specs/; never hand-edited.

Each subpackage `<provider>` is made from specs/<provider>.yaml by scripts/generate.py.
"""
