"""Mutes, keyword filters, follow requests and conversations as Mastodon.py drives them."""

import pytest
from mastodon import MastodonNotFoundError

import support


def texts(statuses):
    return [status.content for status in statuses]


def contains(statuses, word):
    return any(word in status.content for status in statuses)


def test_a_muted_account_leaves_home_until_unmuted(server):
    _, ana = support.new_person(server, "pymuter")
    bo_person, bo = support.new_person(server, "pymuted")
    bo_id = bo.account_verify_credentials().id
    ana.account_follow(bo_id)
    bo.status_post("pymutedword from bo")
    assert contains(ana.timeline_home(), "pymutedword")

    relationship = ana.account_mute(bo_id, notifications=False, duration=3600)
    assert relationship.muting and not relationship.muting_notifications
    assert not contains(ana.timeline_home(), "pymutedword")
    # Still on their profile, and listed with the end of the mute.
    assert contains(ana.account_statuses(bo_id), "pymutedword")
    muted = ana.mutes()
    assert [account.username for account in muted] == [bo_person.username]
    assert muted[0].mute_expires_at is not None

    assert not ana.account_unmute(bo_id).muting
    assert contains(ana.timeline_home(), "pymutedword")
    assert ana.mutes() == []


def test_hide_notifications_and_a_muted_conversation(server):
    _, ana = support.new_person(server, "pyquiet")
    _, bo = support.new_person(server, "pynoisy")
    ana_account = ana.account_verify_credentials()
    bo_id = bo.account_verify_credentials().id
    thought = ana.status_post("pyquiet thread")
    bo.status_favourite(thought.id)
    assert [n.type for n in ana.notifications()] == ["favourite"]
    ana.account_mute(bo_id)  # notifications hidden by default, as Mastodon
    assert ana.notifications() == []
    ana.account_unmute(bo_id)

    assert ana.status_mute(thought.id).muted
    bo.status_post(f"@{ana_account.username} a reply", in_reply_to_id=thought.id)
    assert [n.type for n in ana.notifications()] == ["favourite"]
    assert not ana.status_unmute(thought.id).muted


def test_filters_warn_and_hide(server):
    _, ana = support.new_person(server, "pyfilter")
    _, bo = support.new_person(server, "pyposter")
    ana.account_follow(bo.account_verify_credentials().id)
    bo.status_post("pyfilter my cat naps")
    bo.status_post("pyfilter concatenation")
    bo.status_post("pyfilter spoiler ahead")

    warn = ana.create_filter_v2(
        title="Cats", context=["home"], filter_action="warn",
        keywords_attributes=[{"keyword": "cat", "whole_word": True}],
    )
    assert warn.keywords[0].keyword == "cat"
    hide = ana.create_filter_v2(
        title="Spoilers", context=["home", "public"], filter_action="hide", expires_in=3600,
        keywords_attributes=[{"keyword": "spoiler", "whole_word": True}],
    )
    assert hide.expires_at is not None

    home = ana.timeline_home()
    by_content = {status.content: status for status in home}
    cat = next(status for status in home if "naps" in status.content)
    assert cat.filtered[0].filter.title == "Cats"
    assert cat.filtered[0].keyword_matches == ["cat"]
    concatenation = next(status for status in home if "concatenation" in status.content)
    assert concatenation.filtered == []
    assert not contains(home, "spoiler ahead"), by_content.keys()

    added = ana.add_filter_keyword_v2(warn.id, "nap", whole_word=False)
    assert [k.keyword for k in ana.filter_keywords_v2(warn.id)] == ["cat", "nap"]
    ana.delete_filter_keyword_v2(added.id)
    renamed = ana.update_filter_v2(warn.id, title="Felines")
    assert renamed.title == "Felines"
    assert {f.title for f in ana.filters_v2()} == {"Felines", "Spoilers"}

    ana.delete_filter_v2(hide.id)
    assert contains(ana.timeline_home(), "spoiler ahead")
    with pytest.raises(MastodonNotFoundError):
        ana.filter_v2(hide.id)


def test_a_locked_account_answers_follow_requests(server):
    _, ana = support.new_person(server, "pylocked")
    _, bo = support.new_person(server, "pyasker")
    assert ana.account_update_credentials(locked=True).locked
    ana_id = ana.account_verify_credentials().id
    bo_id = bo.account_verify_credentials().id

    assert bo.account_follow(ana_id).requested
    assert [account.id for account in ana.follow_requests()] == [bo_id]
    assert [n.type for n in ana.notifications()] == ["follow_request"]
    assert ana.follow_request_authorize(bo_id).followed_by
    assert bo.account_relationships(ana_id)[0].following

    _, cy = support.new_person(server, "pyrefused")
    cy_id = cy.account_verify_credentials().id
    cy.account_follow(ana_id)
    assert not ana.follow_request_reject(cy_id).followed_by
    assert not cy.account_relationships(ana_id)[0].requested


def test_conversations_and_their_read_state(server):
    _, ana = support.new_person(server, "pydm")
    bo_person, bo = support.new_person(server, "pydmto")
    ana_name = ana.account_verify_credentials().username
    first = ana.status_post(f"@{bo_person.username} psst", visibility="direct")
    bo.status_post(f"@{ana_name} yes?", visibility="direct", in_reply_to_id=first.id)

    conversations = ana.conversations()
    assert len(conversations) == 1
    conversation = conversations[0]
    assert conversation.unread
    assert [account.username for account in conversation.accounts] == [bo_person.username]
    assert "yes?" in conversation.last_status.content
    assert not ana.conversations_read(conversation.id).unread
    assert not ana.conversations()[0].unread
