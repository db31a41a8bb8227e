"""Editing statuses as Mastodon.py does it: status_update, status_history, status_source."""

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

import support


def test_an_edit_keeps_its_history_and_source(server):
    _, ana = support.new_person(server, "pyeditor")
    bo_person, bo = support.new_person(server, "pyreader")
    posted = ana.status_post("pyedit first #before")
    assert posted.edited_at is None

    edited = ana.status_update(posted.id, f"pyedit second @{bo_person.username} #after")
    assert edited.id == posted.id
    assert edited.edited_at is not None
    assert "pyedit second" in edited.content
    assert [tag.name for tag in edited.tags] == ["after"]
    # Someone newly mentioned hears of it.
    assert [n.type for n in bo.notifications()] == ["mention"]

    history = bo.status_history(posted.id)
    assert len(history) == 2
    assert "pyedit first" in history[0].content
    assert "pyedit second" in history[1].content
    assert history[0].created_at < history[1].created_at

    source = ana.status_source(posted.id)
    assert source.text == f"pyedit second @{bo_person.username} #after"
    assert source.spoiler_text == ""

    warned = ana.status_update(posted.id, "pyedit third", spoiler_text="pyedit warning")
    assert warned.spoiler_text == "pyedit warning" and warned.sensitive
    assert ana.status_source(posted.id).spoiler_text == "pyedit warning"
    assert [edit.spoiler_text for edit in ana.status_history(posted.id)] == ["", "", "pyedit warning"]


def test_only_the_author_edits_and_the_rules_of_posting_apply(server):
    _, ana = support.new_person(server, "pyeditrules")
    _, bo = support.new_person(server, "pyeditother")
    posted = ana.status_post("pyedit rules")
    with pytest.raises(MastodonNotFoundError):
        bo.status_update(posted.id, "not mine")
    with pytest.raises(MastodonAPIError, match="status"):
        ana.status_update(posted.id, "x" * 129)
    with pytest.raises(MastodonAPIError, match="poll"):
        ana.status_update(posted.id, "with a poll",
                          poll=ana.make_poll(["yes", "no"], expires_in=3600))
    assert ana.status(posted.id).content == bo.status(posted.id).content
    assert "pyedit rules" in ana.status_source(posted.id).text


def test_a_booster_hears_of_an_edit(server):
    _, ana = support.new_person(server, "pyeditboosted")
    _, bo = support.new_person(server, "pyeditbooster")
    posted = ana.status_post("pyedit boost me")
    bo.status_reblog(posted.id)
    ana.status_update(posted.id, "pyedit boosted and edited")
    updates = bo.notifications(types=["update"])
    assert len(updates) == 1
    assert "edited" in updates[0].status.content
