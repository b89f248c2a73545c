"""ASGI entry point for servers started by name (``uvicorn xinlian.web.asgi:app``)."""

from xinlian.web.app import create_app

app = create_app()
