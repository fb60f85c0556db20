"""The JSON API's routers (mounted under ``/api/v1`` by :func:`karavan.web.app.create_app`)."""
