"""A throwaway PostgreSQL 15 server for the tests: initdb + pg_ctl into a temporary folder, as the ``postgres``
user when running as root (CI does), listening on 127.0.0.1 and a private socket folder; stopped at the end."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PGBIN_CANDIDATES = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/local/pgsql/bin"]


def find_pgbin() -> Path | None:
    env = os.environ.get("XINLIAN_PGBIN")
    for cand in ([env] if env else []) + PGBIN_CANDIDATES:
        if cand and (Path(cand) / "initdb").exists():
            return Path(cand)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    bin: Path
    dir: Path
    port: int
    as_user: list[str]

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        out = subprocess.run([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                              "-d", dbname, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout

    def stop(self) -> None:
        subprocess.run(self.as_user + [str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate",
                                       "-w", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def start_server(durable: bool = False) -> PgServer:
    """Start a server. ``durable=False`` turns fsync and friends off for speed (never for crash tests)."""
    pgbin = find_pgbin()
    if pgbin is None:
        raise FileNotFoundError("PostgreSQL binaries (initdb, pg_ctl) not found")
    d = Path(tempfile.mkdtemp(prefix="xinlian-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(d, "postgres", "postgres")
        os.chmod(d, 0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(as_user + [str(pgbin / "initdb"), "-D", str(d / "data"), "-U", "postgres", "-A", "trust",
                              "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                   check=True, capture_output=True)
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {d} -c max_connections=200"
    if not durable:
        opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(as_user + [str(pgbin / "pg_ctl"), "-D", str(d / "data"), "-l", str(d / "pg.log"), "-w",
                              "-t", "60", "-o", opts, "start"], check=True, capture_output=True)
    return PgServer(bin=pgbin, dir=d, port=port, as_user=as_user)
