"""Logging in as the Python clients do: Mastodon.py by authorization code (through the consent
page) and by password grant; toot by its browser flow (`toot login`) and from the console
(`toot login_cli`, the password grant)."""

import pytest
from mastodon import Mastodon, MastodonIllegalArgumentError

import support


def test_authorization_code_log_in(server):
    person, api = support.new_person(server, "pyana")
    me = api.account_verify_credentials()
    assert me.username == person.username
    assert api.app_verify_credentials().name == "Mastodon.py test"


def test_the_version_check_finds_the_instance(server):
    # Mastodon.py asks for `/api/v1/instance/` (a trailing slash); a 404 there sent it
    # into a retry loop. With version checks on, construction fails hard if it cannot.
    api = Mastodon(api_base_url=server.url, version_check_mode="created")
    assert api.retrieve_mastodon_version(fail_hard=True)
    assert api.instance().domain == server.url.removeprefix("http://")


def test_password_grant_log_in(server):
    person = support.sign_up(server, support.unique_name("pypass"))
    client_id, client_secret = support.register_app(server)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server.url)
    # Mastodon's password grant takes the email address as the username.
    api.log_in(username=person.email, password=person.password, scopes=support.SCOPES)
    assert api.account_verify_credentials().username == person.username

    wrong = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=server.url)
    with pytest.raises(MastodonIllegalArgumentError):
        wrong.log_in(username=person.email, password="not the password", scopes=support.SCOPES)


def test_toot_login_cli(server, tmp_path):
    person = support.sign_up(server, support.unique_name("tootcli"))
    toot = support.Toot(tmp_path)
    toot.log_in_cli(server, person)
    assert person.username in toot.run("whoami").stdout


def test_toot_login_through_the_browser_flow(server, tmp_path):
    person = support.sign_up(server, support.unique_name("tootweb"))
    toot = support.Toot(tmp_path)
    toot.log_in_browser(server, person)
    assert person.username in toot.run("whoami").stdout
    # And it can post.
    posted = toot.run("post", "hello from toot")
    assert "hello from toot" in server.sql(
        f"SELECT content FROM thoughts t JOIN users u ON u.id = t.user_id WHERE u.username = '{person.username}'")
