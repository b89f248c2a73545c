"""A short run of the SIGKILL crash test inside the normal suite (the long one is `make crash`)."""

import pytest

from crash_import import main


def test_import_killed_at_random_moments_loses_nothing(capsys):
    assert main(["--trials", "2", "--rows", "3000", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert out.count('"ok": true') == 2
