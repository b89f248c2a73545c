import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "registry"))
from sheets import rows_basic, write_csv  # noqa: E402


def run(*args, env_home, db_url=None, check=True):
    import os

    env = {**os.environ, "XINLIAN_HOME": str(env_home)}
    if db_url:
        env["XINLIAN_DB_URL"] = db_url
    proc = subprocess.run([sys.executable, "-m", "xinlian.cli", *args], capture_output=True, text=True, env=env)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_import_list_show_backup_from_the_command_line(tmp_path, db_url):
    sheet = write_csv(tmp_path / "list.csv", rows_basic(), encoding="gb18030")
    out = run("import", "enterprises", str(sheet), "--year", "2024", "--json", env_home=tmp_path, db_url=db_url)
    report = json.loads(out.stdout)
    assert report["rows_ok"] == 4 and report["inserted"] == 4
    listing = json.loads(run("enterprise", "list", "--json", "-q", "光学", env_home=tmp_path, db_url=db_url).stdout)
    assert [e["name"] for e in listing["items"]] == ["晟拓光学科技有限公司"]
    local = json.loads(run("enterprise", "list", "--json", "--outside", env_home=tmp_path, db_url=db_url).stdout)
    assert [e["region_code"] for e in local["items"]] == ["320583"]
    shown = json.loads(run("enterprise", "show", "星衡微电子", "--json", env_home=tmp_path, db_url=db_url).stdout)
    assert shown["figures"][0]["output_value"] == 1.2e8 and shown["nodes"][0]["node_id"] == "power_devices"
    missing = run("enterprise", "show", "不存在", env_home=tmp_path, db_url=db_url, check=False)
    assert missing.returncode == 1 and "找不到" in missing.stderr
    run("backup", str(tmp_path / "b.bak"), env_home=tmp_path, db_url=db_url)
    assert (tmp_path / "b.bak").stat().st_size > 0


def test_import_of_an_unreadable_file_fails_with_the_reason(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    proc = run("import", "enterprises", str(bad), env_home=tmp_path, check=False)
    assert proc.returncode == 1 and "x.csv" in proc.stderr and "表头" in proc.stderr
