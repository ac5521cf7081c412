"""The signed link: it names one case, cannot be altered, and expires."""

from __future__ import annotations

from datetime import date, timedelta

from huikuan.selfservice.links import LINK_DAYS, make_link_token, read_link_token

SECRET = b"k" * 32
DAY = date(2026, 11, 20)


def test_a_link_reads_back_to_its_case_until_it_expires() -> None:
    token = make_link_token(SECRET, 4711, issued_on=DAY)
    assert read_link_token(SECRET, token, today=DAY).case_id == 4711  # type: ignore[union-attr]
    last = DAY + timedelta(days=LINK_DAYS)
    assert read_link_token(SECRET, token, today=last) is not None
    assert read_link_token(SECRET, token, today=last + timedelta(days=1)) is None


def test_an_altered_or_foreign_link_reads_as_nothing() -> None:
    token = make_link_token(SECRET, 4711, issued_on=DAY)
    case_part, days_part, tag = token.split(".")
    changed = case_part[:-1] + ("2" if case_part[-1] != "2" else "3")
    other_case = ".".join((changed, days_part, tag))  # another case with 4711's tag
    assert read_link_token(SECRET, other_case, today=DAY) is None
    later = ".".join((case_part, "zz", tag))  # a longer life
    assert read_link_token(SECRET, later, today=DAY) is None
    assert read_link_token(b"x" * 32, token, today=DAY) is None  # another installation's key
    for junk in ("", ".", "a.b", "a.b.c.d", "!!.!!.!!", "0.0." + tag, "x" * 200):
        assert read_link_token(SECRET, junk, today=DAY) is None


def test_every_case_id_round_trips() -> None:
    # Tags are base64url and contain "-" or "_" for some ids: the separator must not collide.
    for case_id in (*range(1, 300), 2**63 - 1):
        token = make_link_token(SECRET, case_id, issued_on=DAY)
        facts = read_link_token(SECRET, token, today=DAY)
        assert facts is not None, token
        assert facts.case_id == case_id
