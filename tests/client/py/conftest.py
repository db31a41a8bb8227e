"""Fixtures for the Python client tests: one real server binary (with its own embedded
PostgreSQL in a scratch directory) for the whole session, as tests/support/server.js starts it.

Tests share the server: each signs up people with fresh names (`support.unique_name`)."""


import pytest

import support


@pytest.fixture(scope="session")
def server():
    running = support.Server.start()
    try:
        yield running
    finally:
        running.stop()
