"""Lists, bookmarks and followed hashtags as Mastodon.py drives them."""

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

import support


def contains(statuses, word):
    return any(word in status.content for status in statuses)


def test_a_list_timeline_shows_its_members_thoughts(server):
    _, ana = support.new_person(server, "pylister")
    bo_person, bo = support.new_person(server, "pylisted")
    _, cy = support.new_person(server, "pyunlisted")
    bo_id = bo.account_verify_credentials().id
    cy_id = cy.account_verify_credentials().id

    made = ana.list_create("Friends")
    assert (made.title, made.replies_policy, made.exclusive) == ("Friends", "list", False)
    # Only people one follows go on a list, as on Mastodon.
    with pytest.raises(MastodonAPIError):
        ana.list_accounts_add(made.id, [bo_id])
    ana.account_follow(bo_id)
    ana.account_follow(cy_id)
    ana.list_accounts_add(made.id, [bo_id])
    assert [account.username for account in ana.list_accounts(made.id)] == [bo_person.username]
    assert [listed.id for listed in ana.account_lists(bo_id)] == [made.id]
    assert [listed.title for listed in ana.lists()] == ["Friends"]

    bo.status_post("pylistword from bo")
    cy.status_post("pylistword from cy")
    listed = ana.timeline_list(made.id)
    assert [status.account.username for status in listed] == [bo_person.username]
    assert "pylistword from bo" in listed[0].content
    assert contains(ana.timeline_home(), "from bo")

    # Exclusive: bo stays on the list and leaves home; cy, on no list, stays home.
    updated = ana.list_update(made.id, "Close friends", replies_policy="followed", exclusive=True)
    assert (updated.title, updated.replies_policy, updated.exclusive) == (
        "Close friends", "followed", True)
    home = ana.timeline_home()
    assert not contains(home, "from bo") and contains(home, "from cy")
    assert contains(ana.timeline_list(made.id), "from bo")

    # Nobody else reads the list; unfollowing takes bo off it.
    with pytest.raises(MastodonNotFoundError):
        cy.timeline_list(made.id)
    ana.account_unfollow(bo_id)
    assert ana.list_accounts(made.id) == []
    ana.list_delete(made.id)
    assert ana.lists() == []


def test_bookmarks_are_kept_newest_first_and_taken_back(server):
    _, ana = support.new_person(server, "pybookmarker")
    _, bo = support.new_person(server, "pybookmarked")
    first = bo.status_post("pybookmark first")
    second = bo.status_post("pybookmark second")
    assert ana.status_bookmark(first.id).bookmarked
    assert ana.status_bookmark(second.id).bookmarked
    assert [status.id for status in ana.bookmarks()] == [second.id, first.id]
    assert ana.status(first.id).bookmarked
    # Bookmarks are one's own: bo's are empty, and bo's view of the status says so.
    assert bo.bookmarks() == []
    assert not bo.status(first.id).bookmarked
    assert not ana.status_unbookmark(first.id).bookmarked
    assert [status.id for status in ana.bookmarks()] == [second.id]


def test_a_followed_tag_brings_public_thoughts_home(server):
    _, ana = support.new_person(server, "pytagger")
    _, bo = support.new_person(server, "pytagged")
    tag = support.unique_name("pytag")
    followed = ana.tag_follow(tag)
    assert (followed.name, followed.following) == (tag, True)
    assert [t.name for t in ana.followed_tags()] == [tag]

    bo.status_post(f"public with #{tag}")
    bo.status_post(f"private with #{tag}", visibility="private")
    home = ana.timeline_home()
    assert contains(home, "public with")
    assert not contains(home, "private with"), "only public thoughts come with a tag"

    assert not ana.tag_unfollow(tag).following
    assert ana.followed_tags() == []
    assert not contains(ana.timeline_home(), "public with")
