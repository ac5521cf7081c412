"""Database plumbing: the declarative base, engines and sessions, and migrations.

Domain folders own their tables (``org/models.py``, ``accounts/models.py`` …); this package
only provides the shared base and the way in. SQLite (a file under ``./var/``) is the embedded
default and PostgreSQL the production database; the schema is created and changed only by the
Alembic migrations in ``huikuan/migrations``.
"""
