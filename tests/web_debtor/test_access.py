"""Getting in: codes only to what is on file, same answer either way, limits, one case only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from huikuan.audit.models import AuditLog
from huikuan.db.engine import transaction
from tests.web.conftest import FakeClock, World, csrf_of
from tests.web_debtor.conftest import (
    DEBTOR_MOBILE,
    EMERGENCY_MOBILE,
    Phone,
    ask_code,
    link_for,
    sign_in,
)


def test_an_invalid_link_shows_nothing(debtor_client: TestClient, world: World) -> None:
    good = link_for(world.ids["c1"])
    response = debtor_client.get(f"/d/{good[:-2]}xx")
    assert response.status_code == 404
    assert "王**" not in response.text
    assert "CASE-c1" not in response.text


def test_the_link_alone_shows_only_the_sign_in(debtor_client: TestClient, world: World) -> None:
    page = debtor_client.get(f"/d/{link_for(world.ids['c1'])}")
    assert page.status_code == 200
    assert 'name="contact"' in page.text
    for private in ("王**", "CASE-c1", "1,040", "138****5678", "A 银行"):
        assert private not in page.text


def test_a_code_goes_only_to_the_debtors_own_number_and_the_answer_never_tells(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    known = ask_code(debtor_client, link, DEBTOR_MOBILE)
    assert len(phone.messages) == 1
    assert phone.messages[0].address == DEBTOR_MOBILE
    assert phone.messages[0].code in phone.messages[0].text
    unknown = ask_code(debtor_client, link, "13700000000")
    emergency = ask_code(debtor_client, link, EMERGENCY_MOBILE)  # on file, but not the debtor's
    assert len(phone.messages) == 1  # neither got a code
    strip = lambda html: html.replace(csrf_of(html), "")  # noqa: E731
    assert strip(known) == strip(unknown) == strip(emergency)


def test_the_right_code_signs_in_and_shows_the_breakdown(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    sign_in(debtor_client, link, phone)
    home = debtor_client.get(f"/d/{link}").text
    # c1: principal 1,004,000 + interest 12,345 + penalty 6,789 + fee 1,000 fen
    assert "¥10,241.34" in home
    assert "¥10,040.00" in home
    assert "¥123.45" in home
    assert "¥67.89" in home
    assert "¥10.00" in home
    assert "A 银行" in home
    assert "CASE-c1" in home
    assert "¥500.00" in home  # the payment on record
    with transaction(world.engine) as s:
        actions = set(s.scalars(select(AuditLog.action).where(AuditLog.actor.like("debtor%"))))
    assert {"debtor.code_sent", "debtor.signed_in", "debtor.page_viewed"} <= actions


def test_a_session_opens_its_own_case_and_no_other(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    sign_in(debtor_client, link_for(world.ids["c1"]), phone)
    # The same person's number is on c3 too (the world reuses it); the cookie is for c1 only.
    other = debtor_client.get(f"/d/{link_for(world.ids['c3'])}")
    assert 'name="contact"' in other.text
    assert "CASE-c3" not in other.text
    assert "李**" not in other.text


def test_wrong_codes_are_refused_and_ten_lock_the_case_even_for_the_right_one(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    failures = 0
    while failures < 10:
        ask_code(debtor_client, link)
        right = phone.last_code
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        for _ in range(2):
            page = debtor_client.get(f"/d/{link}")
            answer = debtor_client.post(
                f"/d/{link}/verify", data={"code": wrong, "csrf_token": csrf_of(page.text)}
            )
            failures += 1
            assert answer.status_code == 200
            assert 'role="alert"' in answer.text
    page = debtor_client.get(f"/d/{link}")
    locked = debtor_client.post(
        f"/d/{link}/verify", data={"code": phone.last_code, "csrf_token": csrf_of(page.text)}
    )
    assert locked.status_code == 429
    assert 'data-testid="balance"' not in debtor_client.get(f"/d/{link}").text


def test_a_code_dies_after_five_tries_and_after_ten_minutes(
    debtor_client: TestClient, world: World, phone: Phone, clock: FakeClock
) -> None:
    link = link_for(world.ids["c1"])
    ask_code(debtor_client, link)
    right = phone.last_code
    for _ in range(5):
        page = debtor_client.get(f"/d/{link}")
        debtor_client.post(
            f"/d/{link}/verify",
            data={
                "code": "000000" if right != "000000" else "111111",
                "csrf_token": csrf_of(page.text),
            },
        )
    page = debtor_client.get(f"/d/{link}")
    dead = debtor_client.post(
        f"/d/{link}/verify", data={"code": right, "csrf_token": csrf_of(page.text)}
    )
    assert 'role="alert"' in dead.text
    ask_code(debtor_client, link)
    clock.advance(minutes=11)
    page = debtor_client.get(f"/d/{link}")
    late = debtor_client.post(
        f"/d/{link}/verify", data={"code": phone.last_code, "csrf_token": csrf_of(page.text)}
    )
    assert 'role="alert"' in late.text


def test_code_requests_are_limited_per_case(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    for _ in range(5):
        ask_code(debtor_client, link)
    assert len(phone.messages) == 5
    sixth = ask_code(debtor_client, link)
    assert len(phone.messages) == 5
    assert 'role="alert"' in sixth


def test_sign_out_ends_the_session_and_idle_sessions_end(
    debtor_client: TestClient, world: World, phone: Phone, clock: FakeClock
) -> None:
    link = link_for(world.ids["c1"])
    token = sign_in(debtor_client, link, phone)
    cookie = debtor_client.cookies.get("huikuan_debtor")
    debtor_client.post(f"/d/{link}/signout", data={"csrf_token": token})
    debtor_client.cookies.set("huikuan_debtor", cookie or "", path="/d/")
    assert 'data-testid="balance"' not in debtor_client.get(f"/d/{link}").text  # the row ended
    sign_in(debtor_client, link, phone)
    clock.advance(minutes=16)
    assert 'data-testid="balance"' not in debtor_client.get(f"/d/{link}").text


def test_posts_need_the_csrf_token(debtor_client: TestClient, world: World, phone: Phone) -> None:
    link = link_for(world.ids["c1"])
    debtor_client.get(f"/d/{link}")
    refused = debtor_client.post(f"/d/{link}/code", data={"contact": DEBTOR_MOBILE})
    assert refused.status_code == 403
    assert phone.messages == []


def test_no_code_or_number_is_written_to_the_audit_trail(
    debtor_client: TestClient, world: World, phone: Phone
) -> None:
    link = link_for(world.ids["c1"])
    sign_in(debtor_client, link, phone)
    with transaction(world.engine) as s:
        details = [str(d) for d in s.scalars(select(AuditLog.detail))]
        count = s.scalar(select(func.count(AuditLog.seq)))
    assert count
    for text in details:
        assert phone.last_code not in text
        assert DEBTOR_MOBILE not in text


def test_every_page_behind_the_link_needs_the_sign_in(
    debtor_client: TestClient, world: World
) -> None:
    link = link_for(world.ids["c1"])
    for path in ("plan", "pay", "dispute", "complaint", "contact", "certificate.pdf"):
        response = debtor_client.get(f"/d/{link}/{path}", follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/d/{link}"
        forged = debtor_client.get(f"/d/{link[:-3]}abc/{path}", follow_redirects=False)
        assert forged.status_code == 404, path
