"""Registry integration tests: the registry on SQLite and on the throwaway PostgreSQL."""
