"""Helpers for the Python client tests: the server, signing people up, and logging them in
with Mastodon.py through the real OAuth consent page (as tests/client/masto.test.js does)."""

import html.parser
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import requests
from mastodon import Mastodon

REPO = Path(__file__).resolve().parents[3]
SERVER_BINARY = Path(os.environ.get("SERVER_BIN", REPO / "target/debug/server"))
PASSWORD = "correct horse battery"
REDIRECT_URI = "https://client.example/callback"
SCOPES = ["read", "write", "follow", "push"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running server: its base URL, data directory and process."""

    url: str
    scratch: Path
    process: subprocess.Popen

    @classmethod
    def start(cls) -> "Server":
        scratch = Path(tempfile.mkdtemp(prefix="thoughtspace-python-"))
        # As root, the embedded PostgreSQL runs as `postgres` and must pass through.
        scratch.chmod(0o755)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATA_DIR": str(scratch / "data"),
            "LEPTOS_SITE_ADDR": f"127.0.0.1:{port}",
            "LEPTOS_SITE_ROOT": str(REPO / "target/site"),
            "PUBLIC_URL": url,
            "RUST_LOG": "info",
        }
        env.pop("DATABASE_URL", None)
        log = open(scratch / "server.log", "ab")
        process = subprocess.Popen([str(SERVER_BINARY)], env=env, stdout=log, stderr=log)
        server = cls(url=url, scratch=scratch, process=process)
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.log()}")
            try:
                if requests.get(url, timeout=30).ok:
                    return server
            except requests.RequestException:  # not listening or not ready yet
                pass
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"server did not answer:\n{server.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        return (self.scratch / "server.log").read_text(errors="replace")

    def sql(self, statement: str) -> str:
        """Runs SQL in the server's own database."""
        return subprocess.run(
            ["psql", "-h", str(self.scratch / "data/postgres/run"), "-U", "thoughtspace",
             "-d", "thoughtspace", "-v", "ON_ERROR_STOP=1", "-qAt", "-c", statement],
            check=True, capture_output=True, text=True,
        ).stdout

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)


_names = itertools.count(1)


def unique_name(prefix: str) -> str:
    """A username no other test in this session uses (letters, digits, underscores)."""
    return f"{prefix}{os.getpid() % 1000}x{next(_names)}"


@dataclass
class Person:
    username: str
    email: str
    password: str
    session: requests.Session  # logged in on the web (the ts_session cookie)


def sign_up(server: Server, username: str) -> Person:
    """Signs a person up through the web form; the returned session is logged in."""
    session = requests.Session()
    email = f"{username}@example.test"
    response = session.post(
        f"{server.url}/api/accounts/sign_up",
        data={"username": username, "email": email, "password": PASSWORD},
        headers={"Origin": server.url},
        allow_redirects=False,
    )
    assert response.status_code in (200, 303), response.text
    assert session.cookies.get("ts_session"), "signing up logs in"
    return Person(username=username, email=email, password=PASSWORD, session=session)


class _FormFields(html.parser.HTMLParser):
    """The named fields of the consent page's form (hidden inputs and the buttons)."""

    def __init__(self):
        super().__init__()
        self.fields = {}
        self.action = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        if tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def approve(server: Server, person: Person, authorize_url: str) -> str:
    """Opens `authorize_url` as the logged-in `person`, approves on the consent page and
    returns the authorization code (from the redirect, or shown on the page out of band)."""
    page = person.session.get(authorize_url)
    assert page.status_code == 200, page.text
    assert "Authorize" in page.text
    form = _FormFields()
    form.feed(page.text)
    answer = person.session.post(
        urllib.parse.urljoin(authorize_url, form.action),
        data={**form.fields, "decision": "approve"},
        headers={"Origin": server.url},
        allow_redirects=False,
    )
    if answer.status_code in (302, 303):
        location = answer.headers["Location"]
        return urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
    assert answer.status_code == 200, answer.text
    start = answer.text.index('<code class="secret">') + len('<code class="secret">')
    return answer.text[start:answer.text.index("</code>", start)]


def register_app(server: Server, name: str = "Mastodon.py test") -> tuple[str, str]:
    return Mastodon.create_app(name, api_base_url=server.url, redirect_uris=REDIRECT_URI,
                               scopes=SCOPES)


def log_in(server: Server, person: Person) -> Mastodon:
    """Mastodon.py for `person`, logged in by the authorization-code flow."""
    client_id, client_secret = register_app(server)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server.url)
    url = api.auth_request_url(redirect_uris=REDIRECT_URI, scopes=SCOPES)
    code = approve(server, person, url)
    api.log_in(code=code, redirect_uri=REDIRECT_URI, scopes=SCOPES)
    return api


def new_person(server: Server, prefix: str) -> tuple[Person, Mastodon]:
    """A freshly signed-up person and Mastodon.py logged in as them."""
    person = sign_up(server, unique_name(prefix))
    return person, log_in(server, person)


TOOT = Path(sys.executable).with_name("toot")


class Toot:
    """The `toot` CLI with its own config directory (a temporary HOME), driven without a
    terminal: every prompt is answered by an option or on standard input."""

    def __init__(self, home: Path):
        self.home = home
        self.env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                    "NO_COLOR": "1", "TERM": "dumb"}
        # toot must never open a real browser.
        self.env["BROWSER"] = "true"

    def run(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([str(TOOT), *args], env=self.env, input=input, capture_output=True,
                              text=True, timeout=120)
        if check:
            assert done.returncode == 0, f"toot {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def log_in_cli(self, server: Server, person: Person) -> None:
        """`toot login_cli`: the password grant."""
        self.run("login_cli", "--instance", server.url, "--email", person.email,
                 "--password", person.password)

    def log_in_browser(self, server: Server, person: Person) -> None:
        """`toot login`: toot prints the consent page's address, the person approves there
        (out of band: the page shows the code) and the code is typed back into toot."""
        process = subprocess.Popen([str(TOOT), "login", "--instance", server.url], env=self.env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            url = None
            for line in process.stdout:
                if line.strip().startswith(server.url):
                    url = line.strip()
                    break
            assert url, "toot printed no log-in address"
            code = approve(server, person, url)
            # "Open link in default browser?" no; then the authorization code.
            out, err = process.communicate(f"n\n{code}\n", timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 0, f"toot login:\n{out}\n{err}"
        assert "Successfully logged in" in out, out
