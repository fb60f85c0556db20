"""Persistence of the registry (SQLAlchemy 2). ORM row classes never leave this package's
parent: the service turns them into pydantic ``XPublic`` schemas."""
