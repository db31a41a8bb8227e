"""Boosts as Mastodon.py sees them: a status of its own whose `reblog` is the original, on
the home timeline of the booster's followers and on the booster's profile."""

import support


def entries(statuses):
    return [(s.id, s.reblog.id if s.reblog else None) for s in statuses]


def test_a_boost_is_a_reblog_wrapper_on_home_and_profile(server):
    ana, ana_api = support.new_person(server, "rbana")
    _, bo_api = support.new_person(server, "rbbo")
    _, cy_api = support.new_person(server, "rbcy")
    bo_id = bo_api.me().id
    cy_api.account_follow(bo_id)
    original = ana_api.status_post("spread this, please")
    own = bo_api.status_post("my own words")

    wrapper = bo_api.status_reblog(original.id)
    assert wrapper.id != original.id
    assert wrapper.account.id == bo_id
    assert wrapper.reblog.id == original.id
    assert wrapper.reblog.account.acct == ana.username
    # Asked twice: the same boost.
    assert bo_api.status_reblog(original.id).id == wrapper.id
    assert bo_api.status(wrapper.id).reblog.id == original.id

    # Newest first: the boost (later than Bo's own status) leads both timelines.
    expected = [(wrapper.id, original.id), (own.id, None)]
    assert entries(cy_api.timeline_home()) == expected
    assert entries(cy_api.account_statuses(bo_id)) == expected
    # Paged by the wrapper's id.
    assert entries(cy_api.timeline_home(max_id=wrapper.id)) == [(own.id, None)]

    unboosted = bo_api.status_unreblog(original.id)
    assert (unboosted.id, unboosted.reblogged) == (original.id, False)
    assert entries(cy_api.timeline_home()) == [(own.id, None)]
