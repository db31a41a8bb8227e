"""Profile statuses narrowed as Mastodon.py asks for them: exclude_replies (a reply to
oneself stays), exclude_reblogs, tagged (no boosts), only_media (nothing yet) and pinned
(with status_pin and status_unpin), paged with fetch_next (the next page's position from
the Link header), and a bad value refused."""

import pytest
import requests
from mastodon import MastodonAPIError

import support


def entries(statuses):
    return [(s.id, s.reblog.id if s.reblog else None) for s in statuses]


def everything_paged(api, page):
    """The page and every page after it, following the Link header."""
    found = list(page)
    while (page := api.fetch_next(page)):
        found.extend(page)
    return found


def test_profile_statuses_filters(server):
    _, ana_api = support.new_person(server, "psana")
    _, bo_api = support.new_person(server, "psbo")
    bo_id = bo_api.me().id

    root = bo_api.status_post("my own thread #Rust")
    self_reply = bo_api.status_post("and on it goes", in_reply_to_id=root.id)
    question = ana_api.status_post("anyone for #rust?")
    answer = bo_api.status_post("#RUST, always", in_reply_to_id=question.id)
    boost = bo_api.status_reblog(question.id)
    latest = bo_api.status_post("the latest")

    s = lambda status: (status.id, None)  # noqa: E731
    everything = [s(latest), (boost.id, question.id), s(answer), s(self_reply), s(root)]
    assert entries(ana_api.account_statuses(bo_id)) == everything

    without_replies = [s(latest), (boost.id, question.id), s(self_reply), s(root)]
    assert entries(ana_api.account_statuses(bo_id, exclude_replies=True)) == without_replies
    assert entries(ana_api.account_statuses(bo_id, exclude_reblogs=True)) == [
        s(latest), s(answer), s(self_reply), s(root)]
    assert entries(ana_api.account_statuses(bo_id, exclude_replies=True, exclude_reblogs=True)) == [
        s(latest), s(self_reply), s(root)]
    assert entries(ana_api.account_statuses(bo_id, tagged="rust")) == [s(answer), s(root)]
    assert entries(ana_api.account_statuses(bo_id, tagged="RuSt", exclude_replies=True)) == [s(root)]
    assert ana_api.account_statuses(bo_id, only_media=True) == []

    # Pins: the latest pinned first; `pinned` is shown to the owner.
    assert ana_api.account_statuses(bo_id, pinned=True) == []
    assert bo_api.status_pin(root.id).pinned is True
    assert bo_api.status_pin(latest.id).pinned is True
    assert entries(ana_api.account_statuses(bo_id, pinned=True)) == [s(latest), s(root)]
    assert [st.pinned for st in bo_api.account_statuses(bo_id, pinned=True)] == [True, True]
    assert bo_api.status_unpin(latest.id).pinned is False
    assert entries(ana_api.account_statuses(bo_id, pinned=True)) == [s(root)]
    with pytest.raises(MastodonAPIError, match="own"):
        bo_api.status_pin(question.id)

    # Two at a time with fetch_next (Mastodon.py keeps its parameters and takes max_id from the
    # Link header; integration tests check that the header keeps the filter as well).
    first = ana_api.account_statuses(bo_id, exclude_replies=True, limit=2)
    assert len(first) == 2
    assert entries(everything_paged(ana_api, first)) == without_replies
    first = ana_api.account_statuses(bo_id, tagged="rust", exclude_reblogs=True, limit=1)
    assert entries(everything_paged(ana_api, first)) == [s(answer), s(root)]
    # A boost's id as a position, with a filter.
    assert entries(ana_api.account_statuses(bo_id, exclude_replies=True, max_id=boost.id)) == [
        s(self_reply), s(root)]

    # Mastodon.py reads no message from an error where it expects a list: the status is
    # checked through it, the message (naming the parameter) directly.
    with pytest.raises(MastodonAPIError) as refused:
        ana_api.account_statuses(bo_id, tagged="two words")
    assert refused.value.args[1] == 422
    statuses_url = f"{server.url}/api/v1/accounts/{bo_id}/statuses"
    for name, value in [("tagged", "two words"), ("exclude_reblogs", "maybe")]:
        refused = requests.get(statuses_url, params={name: value}, timeout=30)
        assert refused.status_code == 422
        assert name in refused.json()["error"]
