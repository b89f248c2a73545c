"""Helpers of the browser tests: log in through the form, save a screenshot under tests/artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

SHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"


def login(page, served, username: str = "admin") -> None:
    from webdata import PASSWORD

    page.goto(served.url + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(served.url + "/dashboard")


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
