"""One view per generated output: exactly what its template shows, worked out in Python.

Each template receives its view as `view` (and the spec file for its header as `source`), so
a template never decides anything about the spec and no view carries another output's data.
"""
