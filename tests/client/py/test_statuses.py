"""Posting as the Python clients do: content warnings (Mastodon.py and toot), mentions and
the status replied to, and parameters the server cannot honour refused."""

import pytest
from mastodon import MastodonAPIError

import support


def test_a_content_warning_is_kept_and_returned(server):
    person, api = support.new_person(server, "pycw")
    posted = api.status_post("the butler did it", spoiler_text="book spoilers")
    assert posted.spoiler_text == "book spoilers"
    assert posted.sensitive is True
    again = api.status(posted.id)
    assert (again.spoiler_text, again.sensitive) == ("book spoilers", True)
    assert api.timeline_home()[0].spoiler_text == "book spoilers"
    # The web page shows it collapsed behind the warning.
    page = person.session.get(f"{server.url}/@{person.username}/{posted.id}").text
    assert '<details class="content-warning">' in page and "book spoilers" in page

    with pytest.raises(MastodonAPIError) as refused:
        api.status_post("text", spoiler_text="two\nlines")
    assert "spoiler_text" in str(refused.value)


def test_toot_posts_with_a_content_warning(server, tmp_path):
    person, api = support.new_person(server, "tootcw")
    toot = support.Toot(tmp_path)
    toot.log_in_cli(server, person)
    toot.run("post", "--spoiler-text", "toot spoilers", "hidden text")
    latest = api.account_statuses(api.me().id)[0]
    assert (latest.spoiler_text, latest.sensitive) == ("toot spoilers", True)
    assert "hidden text" in latest.content


def test_mentions_and_the_account_replied_to(server):
    ana, ana_api = support.new_person(server, "pymen")
    bo, bo_api = support.new_person(server, "pybo")
    question = ana_api.status_post(f"tea, @{bo.username}?")
    assert [m.acct for m in question.mentions] == [bo.username]
    answer = bo_api.status_post("yes please", in_reply_to_id=question.id)
    assert answer.in_reply_to_account_id == ana_api.me().id


def test_polls_are_refused(server):
    _, api = support.new_person(server, "pypoll")
    with pytest.raises(MastodonAPIError) as refused:
        api.status_post("pick", poll=api.make_poll(["a", "b"], expires_in=3600))
    assert "poll" in str(refused.value)
