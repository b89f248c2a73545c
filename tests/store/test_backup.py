import threading
import time

from sqlalchemy import func, select

from xinlian.registry.importer import ImportOptions, import_enterprises
from xinlian.store.backup import backup, restore, table_checksums
from xinlian.store.tables.registry import Enterprise


def _load(db, tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "registry"))
    from sheets import rows_basic, write_csv

    import_enterprises(db, write_csv(tmp_path / "a.csv", rows_basic()), ImportOptions(year=2024))


def test_backup_and_restore_round_trip_compares_every_table(db, tmp_path):
    _load(db, tmp_path)
    before = table_checksums(db)
    assert before["enterprise"][0] == 4
    target = backup(db, tmp_path / "backup.bin")
    with db.session() as s:  # damage after the backup
        s.execute(Enterprise.__table__.update().values(name="改坏了"))
        s.add(Enterprise(name="多出来", name_norm="多出来", match_key="n:多出来|"))
    assert table_checksums(db) != before
    restore(db, target)
    after = table_checksums(db)
    assert after == before


def test_backup_while_writes_continue_is_consistent(sqlite_db, tmp_path):
    db = sqlite_db
    stop = threading.Event()
    written = {"n": 0}

    def writer():
        i = 0
        while not stop.is_set():
            with db.session() as s:
                s.add(Enterprise(name=f"示例写入{i}", name_norm=f"示例写入{i}", match_key=f"n:w{i}|"))
            i += 1
            written["n"] = i
            time.sleep(0.001)

    t = threading.Thread(target=writer)
    t.start()
    try:
        # Wait for real commits rather than a fixed sleep: on a loaded CI machine the writer may not have
        # committed anything 0.2 s after it started (this once made the test fail with an empty backup).
        deadline = time.monotonic() + 60
        while written["n"] < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert written["n"] >= 5, "the writer thread committed nothing in 60 s"
        target = backup(db, tmp_path / "hot.db")
        during = written["n"]
        while written["n"] < during + 3 and time.monotonic() < deadline:  # writes go on after the copy
            time.sleep(0.01)
    finally:
        stop.set()
        t.join()
    import sqlite3

    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    n = conn.execute("SELECT count(*) FROM enterprise").fetchone()[0]
    names = {r[0] for r in conn.execute("SELECT name FROM enterprise")}
    conn.close()
    assert 0 < n <= written["n"]
    assert names == {f"示例写入{i}" for i in range(n)}  # a prefix of the writes: no torn transaction
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(Enterprise)).scalar_one() == written["n"]
