"""Notifications as Mastodon.py reads them: filtered by type and account, paged by the Link
header (fetch_next), counted unread; markers for home and notifications."""

import support


def test_notifications_filtered_and_paged(server):
    ana, ana_api = support.new_person(server, "pynot")
    _, bo_api = support.new_person(server, "pynotbo")
    _, cy_api = support.new_person(server, "pynotcy")
    status = ana_api.status_post("hello")
    ana_account = bo_api.account_lookup(ana.username)
    bo_api.account_follow(ana_account.id)
    bo_api.status_favourite(status.id)
    cy_api.status_favourite(status.id)
    cy_api.status_post(f"hi @{ana.username}")

    assert [n.type for n in ana_api.notifications()] == ["mention", "favourite", "favourite", "follow"]
    assert [n.type for n in ana_api.notifications(types=["favourite"])] == ["favourite", "favourite"]
    assert [n.type for n in ana_api.notifications(exclude_types=["favourite"])] == ["mention", "follow"]
    from_bo = ana_api.notifications(account_id=bo_api.me().id)
    assert [n.type for n in from_bo] == ["favourite", "follow"]

    first = ana_api.notifications(limit=2)
    assert [n.type for n in first] == ["mention", "favourite"]
    second = ana_api.fetch_next(first)
    assert [n.type for n in second] == ["favourite", "follow"]
    assert ana_api.fetch_next(second) in (None, [])

    assert ana_api.notifications_unread_count().count == 4


def test_markers(server):
    _, api = support.new_person(server, "pymark")
    _, bo_api = support.new_person(server, "pymarkbo")
    bo_api.account_follow(api.me().id)
    newest = api.notifications()[0]
    status = api.status_post("read up to here")
    api.markers_set(["home", "notifications"], [status.id, newest.id])
    markers = api.markers_get(["home", "notifications"])
    assert markers.home.last_read_id == str(status.id)
    assert markers.notifications.last_read_id == str(newest.id)
    assert api.notifications_unread_count().count == 0
