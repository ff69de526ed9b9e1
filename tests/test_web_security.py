"""Another website, a stolen cookie, a flood of guesses or a huge request cannot drive or stop the dashboard.

The rules themselves (host names, the password) are pure functions tested
first; then the app through Flask's test client on SQLite and PostgreSQL;
then real `recovery serve` processes, where a finding was about processes
(two servers on one database, a server reading a body it should refuse).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from recovery import access
from recovery.access import allowed_names, host_allowed, host_name, names_from_env, password_problem, set_password
from recovery.cli import cli
from recovery.ingest import ingest_bytes
from recovery.store import Store
from recovery.synthetic import demo_run, to_fit
from recovery.web import MAX_UPLOAD_BYTES, create_app
from tests.conftest import NOW, _reset_postgres, free_port, stop_process

PASSWORD = "correct horse battery"


# -- the rules -------------------------------------------------------------------------------------------------------


def test_the_local_names_are_answered_on_any_port_and_nothing_else_on_loopback() -> None:
    for header in ("localhost", "localhost:8765", "127.0.0.1:8765", "[::1]:8765", "[::1]", "LOCALHOST.:80"):
        assert host_allowed(header, frozenset(), ip_literals=False), header
    for header in ("evil.example", "evil.example:8765", "127.0.0.1.evil.example", "192.168.1.20:8765", "[fe80::1]",
                   "localhost.evil.example", ""):  # fmt: skip
        assert not host_allowed(header, frozenset(), ip_literals=False), header


def test_beyond_loopback_addresses_and_this_machines_names_are_answered_but_no_other_name() -> None:
    names = allowed_names(["Phone-Dash.lan"], beyond_loopback=True, machine="kitchen")
    assert names == {"phone-dash.lan", "kitchen", "kitchen.local"}
    for header in ("192.168.1.20:8765", "[fe80::1]:8765", "kitchen:8765", "kitchen.local", "phone-dash.lan:80"):
        assert host_allowed(header, names, ip_literals=True), header
    # A rebinding page arrives with its own domain, never an address: its name is refused.
    for header in ("evil.example", "kitchen.evil.example", "192.168.1.20.nip.io"):
        assert not host_allowed(header, names, ip_literals=True), header
    # On loopback the machine's own name is not added (nothing but this machine can reach it).
    assert allowed_names([], beyond_loopback=False, machine="kitchen") == frozenset()


def test_host_names_are_read_without_their_port_and_the_environment_list_is_comma_separated() -> None:
    assert host_name("[::1]:8765") == "::1" and host_name("::1") == "::1" and host_name("Dash.LAN.:80") == "dash.lan"
    assert names_from_env(" phone.lan, ,tablet.lan ") == ["phone.lan", "tablet.lan"] and names_from_env(None) == []


def test_the_password_rule_is_one_sentence_shared_by_every_caller() -> None:
    assert password_problem("a") == f"the password needs at least {access.MIN_LENGTH} characters"
    assert password_problem("x" * access.MIN_LENGTH) is None


def test_the_command_line_no_longer_imports_the_web_app_for_the_password() -> None:
    code = "import sys, recovery.cli; print('recovery.web' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# -- through the test client -------------------------------------------------------------------------------------------


def store_of(app: Flask) -> Store:
    return app.extensions["recovery.store"]  # type: ignore[no-any-return]


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": db_url, "CLOCK": lambda: NOW})
    yield app
    store_of(app).close()


@pytest.fixture
def login_app(db_url: str) -> Iterator[Flask]:
    clock = [NOW]
    app = create_app({"DATABASE_URL": db_url, "CLOCK": lambda: clock[0], "LOGIN_REQUIRED": True})
    app.config["TEST_CLOCK"] = clock
    set_password(store_of(app), PASSWORD)
    yield app
    store_of(app).close()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match, "every page carries the CSRF token for its scripts"
    return match.group(1)


def sign_in(client: FlaskClient) -> str:
    """Sign in; the session cookie's value (what a thief would copy)."""
    response = client.post("/login", data={"csrf_token": csrf_token(client), "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(app: Flask, value: str) -> FlaskClient:
    """Another browser, holding a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


def test_a_foreign_host_is_refused_before_anything_else_with_a_sentence_naming_it(app: Flask) -> None:
    client = app.test_client()
    refused = client.get("/", headers={"Host": "rebound.evil.example:8765"})
    assert refused.status_code == 400
    sentence = refused.get_data(as_text=True)
    assert "rebound.evil.example" in sentence and "--allow-host rebound.evil.example" in sentence
    # Before the CSRF check: the page's own token would have been the rebinding page's to use.
    posted = client.post("/folders", data={"action": "add", "path": "/tmp"}, headers={"Host": "rebound.evil.example"})
    assert posted.status_code == 400 and "rebound.evil.example" in posted.get_data(as_text=True)
    assert store_of(app).folders() == []
    assert client.get("/", headers={"Host": "127.0.0.1:8765"}).status_code == 200


def test_names_given_to_serve_are_answered_and_addresses_only_beyond_loopback(db_url: str) -> None:
    app = create_app({"DATABASE_URL": db_url, "ALLOWED_HOSTS": frozenset({"dash.lan"}), "ALLOW_IP_HOSTS": True})
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "dash.lan:8765"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "192.168.1.20:8765"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    store_of(app).close()


def test_a_signed_out_cookie_is_refused(login_app: Flask) -> None:
    client = login_app.test_client()
    copied = sign_in(client)
    assert with_cookie(login_app, copied).get("/history").status_code == 200
    token = csrf_token(client, "/history")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    refused = with_cookie(login_app, copied).get("/history")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


@pytest.mark.parametrize("command", [["password", "set", "--stdin"], ["password", "clear"]])
def test_a_cookie_from_before_the_password_changed_is_refused(
    login_app: Flask, db_url: str, command: list[str]
) -> None:
    copied = sign_in(login_app.test_client())
    result = CliRunner().invoke(cli, ["--db", db_url, *command], input="a new long password\n")
    assert result.exit_code == 0, result.output
    assert "sign-in" in result.output
    refused = with_cookie(login_app, copied).get("/history")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_a_sign_in_lasts_31_days_and_the_database_keeps_only_a_hash_of_it(login_app: Flask, db_url: str) -> None:
    copied = sign_in(login_app.test_client())
    with Store(db_url) as store, store.engine.connect() as conn:
        kept = conn.execute(text("SELECT id FROM login_sessions")).scalars().all()
    assert len(kept) == 1 and len(kept[0]) == 64  # a sha256, not the token the cookie carries
    clock = login_app.config["TEST_CLOCK"]
    clock[0] = NOW + timedelta(days=30)
    assert with_cookie(login_app, copied).get("/history").status_code == 200
    clock[0] = NOW + timedelta(days=31, seconds=1)
    assert with_cookie(login_app, copied).get("/history").status_code == 302


def test_a_stranger_is_sent_to_sign_in_before_the_csrf_check_reads_the_body(login_app: Flask) -> None:
    client = login_app.test_client()
    response = client.post("/imports/upload", data=b"--x\r\n", content_type="multipart/form-data; boundary=x",
                           headers={"Accept": "application/json"})  # fmt: skip
    assert response.status_code == 401 and response.get_json() == {"error": "Please sign in again."}


def test_a_content_length_above_the_cap_is_refused_from_the_headers(login_app: Flask) -> None:
    client = login_app.test_client()
    response = client.post(
        "/imports/upload",
        data=b"",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(MAX_UPLOAD_BYTES + 1)},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"] == "That is more than the 1 GB this server accepts in one request."


def test_run_ids_beyond_what_a_database_holds_are_no_such_run_not_an_error(app: Flask) -> None:
    client = app.test_client()
    run_id = ingest_bytes(store_of(app), to_fit(demo_run()), "run.fit", now=NOW).run_ids[0]
    token = csrf_token(client, "/")
    done = {"items_planned": 5, "items_done": 5, "seconds_done": 300, "completed": True}
    for too_big in (2**31, 2**63, 2**64, 10**30):
        for path in (f"/runs/{too_big}", f"/timer/{too_big}"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert "not found" in response.get_data(as_text=True).lower(), path
        response = client.post(f"/timer/{too_big}/done", json=done, headers={"X-CSRFToken": token})
        assert response.status_code == 404 and response.get_json()["error"], too_big
    for missing in (run_id + 1, 2**31 - 1):
        response = client.get(f"/runs/{missing}")
        assert response.status_code == 404 and "no such run" in response.get_data(as_text=True)
    assert client.get("/runs/0").status_code == 404
    assert client.get(f"/runs/{run_id}").status_code == 200


def test_form_values_that_only_look_like_numbers_are_refused_with_a_sentence(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client, "/settings")
    for value in ("²²²", "١٥٠", "1.5e2", "9" * 5000):  # superscripts, Arabic-Indic digits, a float, too many digits
        response = client.post("/settings", data={"csrf_token": token, "max_hr": value}, follow_redirects=True)
        assert response.status_code == 200, value
        assert "Maximum heart rate must be a whole number" in response.get_data(as_text=True), value
    assert store_of(app).setting("max_hr") is None
    page = client.post("/discomfort", data={"csrf_token": token, "score": "²"}, follow_redirects=True)
    assert "Choose how much discomfort you feel" in page.get_data(as_text=True)
    assert store_of(app).discomfort_logs() == []


def test_a_timer_record_with_impossible_numbers_is_refused_with_a_sentence(app: Flask) -> None:
    client = app.test_client()
    headers = {"X-CSRFToken": csrf_token(client, "/"), "Content-Type": "application/json"}
    for body in ('{"items_planned": 1e999, "items_done": 1, "seconds_done": 1}', "[1, 2]", '"text"', "NaN"):
        response = client.post("/timer/strength/done", data=body, headers=headers)
        assert response.status_code == 400, body
        assert "nothing was saved" in response.get_json()["error"], body


def test_the_runs_list_takes_any_page_number_without_an_error(app: Flask) -> None:
    client = app.test_client()
    for page in ("99999999999999999999999", "-5", "0", "two"):
        assert client.get(f"/runs?page={page}").status_code == 200, page


def test_after_sign_in_a_next_with_control_characters_goes_to_today(login_app: Flask) -> None:
    client = login_app.test_client()
    for hostile in ("/history%0D%0ASet-Cookie:%20x=1", "/history%0A", "/%09/evil.example/", "/hist%00ory", "/é"):
        data = {"csrf_token": csrf_token(client), "password": PASSWORD}
        response = client.post(f"/login?next={hostile}", data=data)
        assert response.status_code == 302 and response.headers["Location"] == "/", hostile
    data = {"csrf_token": csrf_token(client), "password": PASSWORD}
    assert client.post("/login?next=/runs%3Fpage%3D2", data=data).headers["Location"] == "/runs?page=2"


def test_serving_with_a_too_short_recovery_password_refuses_to_start(tmp_path: Path) -> None:
    env = {**os.environ, "RECOVERY_PASSWORD": "a"}
    command = [sys.executable, "-m", "recovery", "--db", f"sqlite:///{tmp_path / 'r.sqlite3'}", "serve", "--host",
               "0.0.0.0", "--port", "0", "--no-watch"]  # fmt: skip
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("serve started with RECOVERY_PASSWORD=a")
    assert done.returncode == 2
    assert f"RECOVERY_PASSWORD is not usable, because {password_problem('a')}." in done.stderr


# -- real servers ----------------------------------------------------------------------------------------------------



@dataclass
class Serve:
    """A `recovery serve` process: its address on this machine, its pid, and what it said."""

    db: str
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Serve:
        env = {**os.environ, **self.env}
        env.pop("RECOVERY_DATABASE_URL", None)
        self.process = subprocess.Popen(
            # Plain HTTP beyond this machine (--no-tls): these tests are about the sign-in, not the certificate.
            [sys.executable, "-m", "recovery", "--db", self.db, "serve", "--port", str(self.port), "--no-watch",
             "--no-tls", *self.args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )  # fmt: skip
        return self

    def wait_ready(self) -> Serve:
        assert self.process is not None
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    assert json.load(response) == {"status": "ok"}
                    return self
            except (OSError, ValueError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    said = self.process.stderr.read().decode() if self.process.stderr else ""
                    raise AssertionError(f"serve did not start: {said}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def io(self) -> dict[str, int]:
        """/proc/<pid>/io: rchar and wchar count every byte the process read and wrote, sockets and files alike."""
        assert self.process is not None
        lines = Path(f"/proc/{self.process.pid}/io").read_text().splitlines()
        return {key: int(value) for key, value in (line.split(": ") for line in lines)}


@pytest.fixture
def servers() -> Iterator[list[Serve]]:
    started: list[Serve] = []
    yield started
    for server in started:
        server.stop()


def status_for(base: str, path: str, host: str) -> tuple[int, str]:
    """GET `path` with this Host header, as a rebinding page's browser would send it."""
    conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@pytest.mark.slow
def test_a_real_serve_answers_its_own_names_and_refuses_a_foreign_host(tmp_path: Path, servers: list[Serve]) -> None:
    db = f"sqlite:///{tmp_path / 'recovery.sqlite3'}"
    local = Serve(db)
    wide = Serve(db, ["--host", "0.0.0.0", "--allow-host", "dash.lan"],
                 {"RECOVERY_PASSWORD": PASSWORD, "RECOVERY_ALLOWED_HOSTS": "tablet.lan,phone.lan"})  # fmt: skip
    servers += [local.start(), wide.start()]
    local.wait_ready(), wide.wait_ready()
    status, said = status_for(local.base, "/", "rebound.evil.example")
    assert status == 400 and "rebound.evil.example" in said and "--allow-host" in said
    assert status_for(local.base, "/", f"127.0.0.1:{local.port}")[0] == 200
    assert status_for(local.base, "/", f"localhost:{local.port}")[0] == 200
    assert status_for(local.base, "/", f"192.168.1.20:{local.port}")[0] == 400  # only this machine reaches loopback
    machine = socket.gethostname()
    for name in ("dash.lan", "tablet.lan", "phone.lan", "192.168.1.20", machine, f"{machine}.local"):
        assert status_for(wide.base, "/", f"{name}:{wide.port}")[0] == 302, name  # to the sign-in page
    assert status_for(wide.base, "/", "rebound.evil.example")[0] == 400


def sign_in_to(base: str) -> tuple[str, str]:
    """GET /login: the session cookie and the CSRF token the form carries."""
    with urllib.request.urlopen(base + "/login", timeout=10) as response:
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', response.read().decode())
    assert token
    return cookie, token.group(1)


def post_login(base: str, cookie: str, token: str, password: str) -> tuple[int, str]:
    body = urllib.parse.urlencode({"csrf_token": token, "password": password}).encode()
    request = urllib.request.Request(base + "/login", data=body, headers={"Cookie": cookie})
    opener = urllib.request.build_opener(NoRedirect())
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Set-Cookie", "")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.mark.slow
def test_40_parallel_wrong_passwords_across_two_servers_let_at_most_5_reach_the_check(
    postgres_url: str, servers: list[Serve]
) -> None:
    env = {"RECOVERY_PASSWORD": PASSWORD}
    first, second = Serve(postgres_url, ["--host", "0.0.0.0"], env), Serve(postgres_url, ["--host", "0.0.0.0"], env)
    servers += [first.start()]
    first.wait_ready()
    servers += [second.start()]
    second.wait_ready()
    cookie, token = sign_in_to(first.base)
    bases = [first.base, second.base] * 20
    with ThreadPoolExecutor(40) as pool:
        answers = Counter(code for code, _ in pool.map(lambda base: post_login(base, cookie, token, "guess"), bases))
    assert answers == {401: 5, 429: 35}, answers


@pytest.mark.slow
def test_two_servers_started_together_on_a_fresh_database_share_one_session_key(
    postgres_url: str, servers: list[Serve]
) -> None:
    for trial in range(3):
        if trial:
            for server in servers:
                server.stop()
            servers.clear()
            _reset_postgres(postgres_url)
        env = {"RECOVERY_PASSWORD": PASSWORD}
        pair = [Serve(postgres_url, ["--host", "0.0.0.0"], env), Serve(postgres_url, ["--host", "0.0.0.0"], env)]
        servers += [server.start() for server in pair]
        for server in pair:
            server.wait_ready()
        cookie, token = sign_in_to(pair[0].base)
        status, set_cookie = post_login(pair[0].base, cookie, token, PASSWORD)
        assert status == 302, status
        signed_in = set_cookie.split(";", 1)[0]
        opener = urllib.request.build_opener(NoRedirect())
        request = urllib.request.Request(pair[1].base + "/history", headers={"Cookie": signed_in})
        try:
            with opener.open(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        assert status == 200, f"trial {trial}: the other server did not know the sign-in ({status})"


def multipart_head(port: int, length: int) -> bytes:
    return (
        f"POST /imports/upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n"
        f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def read_answer(sock: socket.socket) -> bytes:
    """Everything the server says until it closes the connection (or 10 s pass)."""
    sock.settimeout(10)
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return answer


@pytest.mark.slow
def test_a_600_mb_post_from_a_stranger_is_refused_without_being_read(tmp_path: Path, servers: list[Serve]) -> None:
    spool = tmp_path / "tmp"
    spool.mkdir()
    server = Serve(f"sqlite:///{tmp_path / 'recovery.sqlite3'}", ["--host", "0.0.0.0"],
                   {"RECOVERY_PASSWORD": PASSWORD, "TMPDIR": str(spool)})  # fmt: skip
    servers.append(server.start())
    server.wait_ready()
    size = 600 * 1024**2
    before = server.io()
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(multipart_head(server.port, size))
        sock.setblocking(False)
        chunk = b"\0" * (1024 * 1024)
        answered = False
        while sent < size:
            readable, writable, _ = select.select([sock], [sock], [], 10)
            if readable:
                answered = True
                break
            if not writable:
                break
            try:
                sent += sock.send(chunk[: size - sent])
            except (BlockingIOError, InterruptedError):
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        answer = read_answer(sock)
    after = server.io()
    assert answered or answer, "the server never answered"
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert b"Please sign in again." in answer
    assert sent < size / 4, f"the client could push {sent} bytes: the server kept reading"
    assert after["rchar"] - before["rchar"] < 16 * 1024**2, "the server read the body it refused"
    assert after["wchar"] - before["wchar"] < 16 * 1024**2, "the server wrote the body it refused somewhere"
    assert list(spool.iterdir()) == []


@pytest.mark.slow
def test_a_content_length_above_the_cap_is_refused_with_413_before_any_body_is_sent(
    tmp_path: Path, servers: list[Serve]
) -> None:
    server = Serve(f"sqlite:///{tmp_path / 'recovery.sqlite3'}", ["--host", "0.0.0.0"], {"RECOVERY_PASSWORD": PASSWORD})
    servers.append(server.start())
    server.wait_ready()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(multipart_head(server.port, MAX_UPLOAD_BYTES + 1))
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"Connection: close" in answer
    assert b"That is more than the 1 GB this server accepts in one request." in answer
