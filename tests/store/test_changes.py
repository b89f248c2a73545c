"""The change token that tells other processes (web workers) the data was written."""

from __future__ import annotations

import subprocess
import sys

from xinlian.store.changes import GENERATION_FILE, announce_change, current_generation


def test_each_announcement_is_a_new_token_seen_by_another_process(tmp_path):
    first = announce_change()
    assert first is not None and current_generation() == first
    assert (tmp_path / "home" / GENERATION_FILE).read_text(encoding="ascii") == first  # under XINLIAN_HOME
    seen = subprocess.run([sys.executable, "-c", "from xinlian.store.changes import current_generation as g; "
                           "print(g())"], capture_output=True, text=True, check=True).stdout.strip()
    assert seen == first
    second = announce_change()
    assert second not in (None, first) and current_generation() == second


def test_an_unwritable_home_is_not_an_error(tmp_path, monkeypatch):
    from xinlian.settings import reset_settings

    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    monkeypatch.setenv("XINLIAN_HOME", str(blocker / "home"))
    reset_settings()
    assert announce_change() is None and current_generation() is None
