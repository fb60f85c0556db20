"""The registry: organisations, their products and needs, joint projects and industrial parks.

Design and module map: ``docs/registry-design.md``. Imports only :mod:`karavan.classifications`
and :mod:`karavan.errors` from Karavan; SQLAlchemy and Alembic stay inside this package.
"""
