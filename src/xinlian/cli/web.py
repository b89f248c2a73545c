"""``xinlian serve``: run the web app with uvicorn."""

from __future__ import annotations

import typer

from xinlian.cli.app import app, fail


@app.command("serve")
def serve(host: str = typer.Option("127.0.0.1", help="address to listen on (loopback by default)"),
          port: int = typer.Option(8000, help="port"),
          workers: int = typer.Option(1, help="worker processes (needs XINLIAN_SECRET_KEY when > 1)")):
    """Serve the web app (Chinese first; `?lang=en` for English)."""
    import uvicorn

    from xinlian.settings import get_settings

    settings = get_settings()
    if workers > 1 and not settings.secret_key:
        fail("several workers share sessions only with a fixed XINLIAN_SECRET_KEY")
    from xinlian.web.app import create_app

    try:
        application = create_app(settings=settings)
    except RuntimeError as exc:
        fail(str(exc))
    print(f"xinlian: http://{host}:{port}/", flush=True)
    if workers > 1:
        from xinlian.web import workers as web_workers

        if not web_workers.reuse_port_supported():  # one shared socket (see xinlian.web.workers for the cost)
            uvicorn.run(web_workers.APP, host=host, port=port, workers=workers, proxy_headers=False,
                        server_header=False)
            return
        del application  # each worker builds its own
        try:
            status = web_workers.run_workers(host, port, workers)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc}")
        if status:
            raise typer.Exit(status)
    else:
        from xinlian.web.app import settle_for_serving

        settle_for_serving()
        uvicorn.run(application, host=host, port=port, proxy_headers=False, server_header=False)
