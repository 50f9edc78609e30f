"""The typed clients openapi-python-client makes from specs/; never hand-edited.

`crun` is made from specs/crun.yaml and `apikley` from specs/apikley.yaml by scripts/generate.py.
"""
