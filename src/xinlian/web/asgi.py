"""ASGI entry point for servers started by name (``uvicorn xinlian.web.asgi:app``)."""

from xinlian.web.app import create_app, settle_for_serving

app = create_app()
settle_for_serving()  # imported by a server's worker process, which serves until it exits
