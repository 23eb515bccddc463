"""Composition root: settings, database engine, the Starlette app and the command line."""
