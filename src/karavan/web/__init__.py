"""The web entry point: ``create_app(settings)`` serving the JSON API under ``/api/v1``."""
