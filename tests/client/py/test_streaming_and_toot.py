"""A Mastodon.py streaming session (`stream_user`), and toot posting with a content warning,
reading its timeline, bookmarks and lists."""

import threading
import time

from mastodon import StreamListener

import support

DEADLINE_SECONDS = 60


class Collector(StreamListener):
    """Keeps what the stream delivers, and wakes whoever waits for it."""

    def __init__(self):
        super().__init__()
        self.changed = threading.Condition()
        self.updates = []
        self.notifications = []

    def on_update(self, status):
        with self.changed:
            self.updates.append(status)
            self.changed.notify_all()

    def on_notification(self, notification):
        with self.changed:
            self.notifications.append(notification)
            self.changed.notify_all()

    def wait_for(self, what, found):
        """Waits (up to the deadline) until `found()` holds."""
        with self.changed:
            assert self.changed.wait_for(found, timeout=DEADLINE_SECONDS), (
                f"no {what} arrived: updates {self.updates}, notifications {self.notifications}")


def wait_until(what, condition):
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen"
        time.sleep(0.05)


def test_stream_user_receives_updates_and_notifications(server):
    ana_person, ana = support.new_person(server, "pystreamer")
    _, bo = support.new_person(server, "pystreamed")
    ana_id = ana.account_verify_credentials().id
    ana.account_follow(bo.account_verify_credentials().id)
    mine = ana.status_post("pystream ana's own")

    listener = Collector()
    handle = ana.stream_user(listener, run_async=True)
    try:
        wait_until("the stream's connection", handle.is_receiving)
        posted = bo.status_post("pystream hello from bo")
        listener.wait_for("update", lambda: any(s.id == posted.id for s in listener.updates))
        update = next(s for s in listener.updates if s.id == posted.id)
        assert "pystream hello from bo" in update.content

        bo.status_favourite(mine.id)
        listener.wait_for("notification", lambda: any(
            n.type == "favourite" and n.status.id == mine.id for n in listener.notifications))
        bo.account_follow(ana_id)
        listener.wait_for("follow notification", lambda: any(
            n.type == "follow" for n in listener.notifications))
        # Nothing of ana's own actions comes back as a notification.
        assert all(n.account.username != ana_person.username for n in listener.notifications)
    finally:
        handle.close()


def test_toot_posts_with_a_content_warning_and_reads_timeline_bookmarks_and_lists(server, tmp_path):
    person, api = support.new_person(server, "tootcw")
    _, friend = support.new_person(server, "tootfriend")
    friend_account = friend.account_verify_credentials()
    toot = support.Toot(tmp_path)
    toot.log_in_cli(server, person)

    toot.run("post", "--spoiler-text", "tootcw spoiler", "tootcw behind the warning")
    posted = api.account_statuses(api.account_verify_credentials().id)[0]
    assert (posted.spoiler_text, posted.sensitive) == ("tootcw spoiler", True)
    assert "tootcw behind the warning" in posted.content
    timeline = toot.run("timelines", "home", "--json").stdout
    assert "tootcw spoiler" in timeline, timeline

    # Bookmarks: toot bookmarks a friend's status and lists it.
    theirs = friend.status_post("tootcw worth keeping")
    toot.run("bookmark", str(theirs.id))
    assert [status.id for status in api.bookmarks()] == [theirs.id]
    assert "tootcw worth keeping" in toot.run("bookmarks", "--once").stdout

    # Lists: made, filled with someone followed and read by toot.
    api.account_follow(friend_account.id)
    toot.run("lists", "create", "tootcw list")
    made = api.lists()
    assert [listed.title for listed in made] == ["tootcw list"]
    toot.run("lists", "add", "tootcw list", friend_account.username)
    assert [a.username for a in api.list_accounts(made[0].id)] == [friend_account.username]
    listed = toot.run("timelines", "list", "tootcw list", "--json").stdout
    assert "tootcw worth keeping" in listed, listed
