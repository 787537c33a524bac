"""The Rust core's events in Python's `logging` (logger `azml` and its children)."""

from __future__ import annotations

import asyncio
import logging

import azml
from helpers import unique


def _arm_records(caplog):
    return [r for r in caplog.records if r.name.startswith("azml")]


def test_requests_are_logged_with_status_and_request_id(client, caplog):
    caplog.set_level(logging.DEBUG, logger="azml")
    name = unique("rg")
    client.groups.create(name, location="eastus")
    client.groups.show(name)
    records = _arm_records(caplog)
    lines = [r for r in records if r.name == "azml.arm" and "status" in getattr(r, "azml", {})]
    puts = [r for r in lines if r.azml["method"] == "PUT" and name in r.azml["url"]]
    gets = [r for r in lines if r.azml["method"] == "GET" and name in r.azml["url"]]
    assert puts and gets, [r.getMessage() for r in records]
    for r in puts + gets:
        assert r.levelno == logging.DEBUG
        assert r.azml["status"] in ("200", "201")
        assert r.azml["request_id"] not in ("", "-")
        assert "duration_ms" in r.azml
        # The line says it all by itself too.
        assert r.azml["status"] in r.getMessage() and r.azml["request_id"] in r.getMessage()
        assert "api-version=" in r.azml["url"]
    client.groups.delete(name)


def test_nothing_is_logged_when_the_logger_is_off(client, caplog):
    logger = logging.getLogger("azml")
    before = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        caplog.set_level(logging.CRITICAL, logger="azml")
        assert azml._azml._refresh_logging() >= logging.CRITICAL
        client.groups.list()
        assert not [r for r in caplog.records if r.name.startswith("azml")]
    finally:
        logger.setLevel(before)
        azml._azml._refresh_logging()


def test_a_child_logger_alone_enables_its_events(client, caplog):
    parent = logging.getLogger("azml")
    before = parent.level
    parent.setLevel(logging.WARNING)
    try:
        caplog.set_level(logging.DEBUG, logger="azml.arm")
        client.groups.list()
        names = {r.name for r in caplog.records if r.name.startswith("azml")}
        assert names == {"azml.arm"}
    finally:
        parent.setLevel(before)


def test_async_calls_are_logged(aclient, caplog):
    caplog.set_level(logging.DEBUG, logger="azml")
    asyncio.run(aclient.groups.list())
    assert any(
        r.name == "azml.arm" and getattr(r, "azml", {}).get("status") == "200"
        for r in caplog.records
    )
