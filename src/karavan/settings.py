"""Settings, read from the environment (``KARAVAN_*``) by entry points and passed down."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Every setting of Karavan, each from the variable ``KARAVAN_<NAME>``.

    - ``KARAVAN_DATA_DIR``: where datasets live (default: the per-user data directory).
    - ``KARAVAN_DATABASE_URL``: the registry's database; default a SQLite file
      ``registry.sqlite3`` in the data directory. PostgreSQL: ``postgresql://user@host/db``.
    - ``KARAVAN_SECRET_KEY``: signs nothing secret-bearing today (sessions and tokens are random
      and stored hashed); reserved for signed links. Unset means a random key per process.
    - ``KARAVAN_MAX_BODY_BYTES``: largest request body the web API accepts (larger: HTTP 413).
    - ``KARAVAN_SECURE_COOKIES``: mark session cookies ``Secure`` (on behind HTTPS).
    - ``KARAVAN_WARM_CACHES``: compute the overview's figures in the background when the web
      application starts (default on), so the first visitor gets them at once.
    """

    model_config = SettingsConfigDict(env_prefix="KARAVAN_", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("karavan", appauthor=False)))
    database_url: str | None = None
    secret_key: SecretStr | None = None
    max_body_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    secure_cookies: bool = False
    warm_caches: bool = True

    def registry_url(self) -> str:
        """The registry database URL: ``database_url`` or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'registry.sqlite3'}"
