"""Scheduled statuses as Mastodon.py makes them: status_post(..., scheduled_at=...)."""

import datetime
import time

import pytest
from mastodon import MastodonAPIError

import support


def test_a_status_scheduled_for_later_waits_and_can_be_moved_and_cancelled(server):
    _, ana = support.new_person(server, "pyscheduler")
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)
    scheduled = ana.status_post("pyscheduled words", scheduled_at=later)
    assert scheduled.params.text == "pyscheduled words"
    assert abs((scheduled.scheduled_at - later).total_seconds()) < 1
    assert not any("pyscheduled" in status.content
                   for status in ana.account_statuses(ana.account_verify_credentials().id))
    assert [s.id for s in ana.scheduled_statuses()] == [scheduled.id]

    moved = ana.scheduled_status_update(scheduled.id, later + datetime.timedelta(hours=1))
    assert moved.scheduled_at > scheduled.scheduled_at
    ana.scheduled_status_delete(scheduled.id)
    assert ana.scheduled_statuses() == []

    with pytest.raises(MastodonAPIError, match="scheduled_at"):
        ana.status_post("too soon", scheduled_at=datetime.datetime.now(datetime.timezone.utc)
                        + datetime.timedelta(minutes=1))


def test_a_due_status_is_published(server):
    _, ana = support.new_person(server, "pyduescheduler")
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)
    scheduled = ana.status_post("pydue words", scheduled_at=later)
    server.sql(f"UPDATE scheduled_thoughts SET scheduled_at = now() WHERE id = '{scheduled.id}'")
    me = ana.account_verify_credentials().id
    # The job looks every 20 seconds.
    deadline = time.monotonic() + 90
    while not any("pydue words" in status.content for status in ana.account_statuses(me)):
        assert time.monotonic() < deadline, "the due status was not published"
        time.sleep(0.5)
    assert ana.scheduled_statuses() == []
    assert len([s for s in ana.account_statuses(me) if "pydue words" in s.content]) == 1
