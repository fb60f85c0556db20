"""Settings, read from the environment (``KARAVAN_*``) by entry points and passed down."""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """``KARAVAN_DATA_DIR``: where datasets live (default: the per-user data directory)."""

    model_config = SettingsConfigDict(env_prefix="KARAVAN_", extra="ignore")

    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("karavan", appauthor=False)))
