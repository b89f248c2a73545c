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
    try:
        from xinlian.web.server import serve_demo
    except ModuleNotFoundError:
        console.print("网页尚未安装 (web app not available); 数据库已就绪。")
        return
    serve_demo(result.db, host=host, port=port)
