"""``xinlian demo``: build the sample database and serve it."""

from __future__ import annotations

import typer

from xinlian.cli.app import app, console


@app.command("demo")
def demo_cmd(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="建库后启动网页 / serve the web app afterwards"),
    host: str = typer.Option("127.0.0.1", help="监听地址 / address"),
    port: int = typer.Option(8000, help="端口 / port"),
):
    """演示：生成示例数据库并启动网页 Build the sample district and serve it."""
    from xinlian.demo.run import run_demo

    console.print("[bold]芯链 xinlian 演示[/]：示例数据均为虚构（标有“示例”）。")
    result = run_demo(say=console.print)
    console.print(f"数据库 database: {result.url}")
    if not serve:
        return
    from xinlian.users.accounts import ensure_demo_user
    from xinlian.web.app import serve as serve_app

    user, password = ensure_demo_user(result.db)
    console.print(f"网页 web app: http://{host}:{port}/  （Ctrl+C 结束 stop）")
    print(f"login: {user} / {password}", flush=True)
    serve_app(result.db, host=host, port=port)
