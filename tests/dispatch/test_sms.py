"""The SMS channels against local fakes of each provider's HTTP API, and through the worker."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from huikuan.accounts.models import ContactPoint, Debtor
from huikuan.db.engine import transaction
from huikuan.dispatch import outbox
from huikuan.dispatch.channels import OutboundMessage, PermanentFailure, TemporaryFailure
from huikuan.dispatch.models import DeliveryReceipt, OutboxMessage
from huikuan.dispatch.provider_fakes import (
    FAKE_KANNEL_PASSWORD,
    FAKE_KANNEL_USER,
    FAKE_KEY_ID,
    FAKE_KEY_SECRET,
    FAKE_TENCENT_APP_ID,
    FAKE_TWILIO_SID,
    FAKE_TWILIO_TOKEN,
    aliyun_server,
    kannel_server,
    tencent_server,
    twilio_server,
)
from huikuan.dispatch.sms import (
    AliyunSmsChannel,
    ConfigurationFailure,
    KannelSmsChannel,
    TencentSmsChannel,
    TencentTemplate,
    TwilioSmsChannel,
    sms_channel_from_settings,
)
from huikuan.dispatch.worker import Backoff, run_worker
from huikuan.settings import Settings
from tests.dispatch import T0, Clock, free_port, migrate

PHONE = "13800138000"
SECRET_IN_TEXT = "王小明"  # must never show up in an error


def message(key: str = "case-42:SMS-M1-D1:2027-03-01", **changes: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "send_key": key,
        "sender": "huikuan",
        "recipient": PHONE,
        "subject": "",
        "body": f"{SECRET_IN_TEXT}您好：您尚有1,234.56元逾期未还，请于3月5日前还款。",
        "template": "SMS-M1-D1",
        "params": {"name": SECRET_IN_TEXT, "amount": "1,234.56"},
    }
    fields.update(changes)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


def assert_redacted(error: BaseException) -> None:
    assert PHONE not in str(error)
    assert "8613800138000" not in str(error)


# --- Aliyun ----------------------------------------------------------------------------------


def aliyun(base_url: str, secret: str = FAKE_KEY_SECRET, timeout: float = 5.0) -> AliyunSmsChannel:
    return AliyunSmsChannel(
        FAKE_KEY_ID,
        secret,
        "惠款",
        {"SMS-M1-D1": "SMS_100001"},
        base_url=base_url,
        timeout=timeout,
    )


def test_aliyun_accepts_a_signed_request() -> None:
    with aliyun_server(sign_names={"惠款"}, templates={"SMS_100001"}) as (url, recorder):
        result = aliyun(url).send(message())
    [received] = recorder.accepted()
    assert result.provider_message_id == received.provider_message_id
    assert received.provider_message_id.endswith("^0")
    assert received.send_key == "case-42:SMS-M1-D1:2027-03-01"
    assert received.phone == PHONE
    assert received.template == "SMS_100001"
    assert received.params == {"name": SECRET_IN_TEXT, "amount": "1,234.56"}
    assert received.fields["SignName"] == "惠款"


def test_aliyun_each_retry_is_signed_with_a_fresh_nonce() -> None:
    with aliyun_server() as (url, recorder):
        channel = aliyun(url)
        channel.send(message())
        channel.send(message())  # a replayed nonce would be refused with SignatureNonceUsed
    assert len(recorder.accepted()) == 2
    assert recorder.refusals == []


def test_aliyun_replayed_nonce_is_refused() -> None:
    with aliyun_server() as (url, recorder):
        channel = AliyunSmsChannel(
            FAKE_KEY_ID,
            FAKE_KEY_SECRET,
            "惠款",
            {"SMS-M1-D1": "SMS_1"},
            base_url=url,
            nonce=lambda: "same",
        )
        channel.send(message())
        with pytest.raises(TemporaryFailure, match="SignatureNonceUsed"):
            channel.send(message())
    assert len(recorder.accepted()) == 1


def test_aliyun_wrong_secret_is_refused_by_the_signature_check() -> None:
    with (
        aliyun_server() as (url, recorder),
        pytest.raises(ConfigurationFailure, match="SignatureDoesNotMatch"),
    ):
        aliyun(url, secret=FAKE_KEY_SECRET + "x").send(message())
    assert recorder.accepted() == []
    assert recorder.refusals == ["SignatureDoesNotMatch"]


def test_aliyun_stale_timestamp_is_temporary() -> None:
    with aliyun_server(clock=lambda: T0) as (url, recorder):
        channel = aliyun(url)
        channel.clock = lambda: T0 - timedelta(hours=1)
        with pytest.raises(TemporaryFailure, match=r"InvalidTimeStamp\.Expired"):
            channel.send(message())
        channel.clock = lambda: T0
        channel.send(message())
    assert len(recorder.accepted()) == 1


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", PermanentFailure),
        ("isv.BUSINESS_LIMIT_CONTROL", TemporaryFailure),
        ("Throttling.User", TemporaryFailure),
        ("isp.SYSTEM_ERROR", TemporaryFailure),
        ("isv.SMS_SIGNATURE_ILLEGAL", ConfigurationFailure),
        ("isv.SMS_TEMPLATE_ILLEGAL", ConfigurationFailure),
    ],
)
def test_aliyun_error_codes_are_classified(code: str, kind: type[Exception]) -> None:
    with aliyun_server() as (url, recorder):
        recorder.fail_next(code=code)
        with pytest.raises(kind) as raised:
            aliyun(url).send(message())
    assert type(raised.value) is kind
    assert code in str(raised.value)
    assert_redacted(raised.value)
    assert recorder.accepted() == []


def test_aliyun_illegal_number_found_by_the_provider_is_permanent() -> None:
    with (
        aliyun_server() as (url, recorder),
        pytest.raises(PermanentFailure) as raised,
    ):
        aliyun(url).send(message(recipient="+86 10 6552 9988"))
    assert not isinstance(raised.value, ConfigurationFailure)
    assert recorder.refusals == ["isv.MOBILE_NUMBER_ILLEGAL"]


def test_aliyun_unapproved_sign_name_is_a_configuration_failure() -> None:
    with (
        aliyun_server(sign_names={"别的签名"}) as (url, _),
        pytest.raises(ConfigurationFailure, match="SMS_SIGNATURE_ILLEGAL"),
    ):
        aliyun(url).send(message())


def test_aliyun_5xx_is_temporary() -> None:
    with aliyun_server() as (url, recorder):
        recorder.fail_next(status=503)
        with pytest.raises(TemporaryFailure, match="503"):
            aliyun(url).send(message())


def test_aliyun_template_without_mapping_is_permanent_and_sends_nothing() -> None:
    with (
        aliyun_server() as (url, recorder),
        pytest.raises(PermanentFailure, match="SMS-M9-X") as raised,
    ):
        aliyun(url).send(message(template="SMS-M9-X"))
    assert isinstance(raised.value, ConfigurationFailure)
    assert raised.value.contact_point_at_fault is False
    assert recorder.requests == 0


def test_aliyun_timeout_is_temporary() -> None:
    with aliyun_server() as (url, recorder):
        recorder.fail_next(delay=30)
        with pytest.raises(TemporaryFailure, match="timed out"):
            aliyun(url, timeout=0.2).send(message())


# --- Tencent Cloud ---------------------------------------------------------------------------


def tencent(
    base_url: str, secret: str = FAKE_KEY_SECRET, timeout: float = 5.0
) -> TencentSmsChannel:
    return TencentSmsChannel(
        FAKE_KEY_ID,
        secret,
        FAKE_TENCENT_APP_ID,
        "惠款",
        {"SMS-M1-D1": TencentTemplate("1110", ("name", "amount"))},
        base_url=base_url,
        timeout=timeout,
    )


def test_tencent_accepts_a_signed_request() -> None:
    with tencent_server(sign_names={"惠款"}, templates={"1110": 2}) as (url, recorder):
        result = tencent(url).send(message())
    [received] = recorder.accepted()
    assert result.provider_message_id == received.provider_message_id
    assert received.phone == "+8613800138000"
    assert received.send_key == "case-42:SMS-M1-D1:2027-03-01"
    assert received.template == "1110"
    assert received.params == {"1": SECRET_IN_TEXT, "2": "1,234.56"}


def test_tencent_wrong_secret_is_refused_by_the_signature_check() -> None:
    with (
        tencent_server() as (url, recorder),
        pytest.raises(ConfigurationFailure, match=r"AuthFailure\.SignatureFailure"),
    ):
        tencent(url, secret="not-the-secret").send(message())
    assert recorder.accepted() == []


def test_tencent_unknown_secret_id_is_refused() -> None:
    with (
        tencent_server(keys={"another-id": FAKE_KEY_SECRET}) as (url, recorder),
        pytest.raises(ConfigurationFailure, match="SecretIdNotFound"),
    ):
        tencent(url).send(message())
    assert recorder.accepted() == []


def test_tencent_expired_signature_is_temporary() -> None:
    with tencent_server(clock=lambda: T0) as (url, recorder):
        channel = tencent(url)
        channel.clock = lambda: T0 - timedelta(minutes=10)
        with pytest.raises(TemporaryFailure, match="SignatureExpire"):
            channel.send(message())
    assert recorder.accepted() == []


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("FailedOperation.PhoneNumberInBlacklist", PermanentFailure),
        ("InvalidParameterValue.IncorrectPhoneNumber", PermanentFailure),
        ("LimitExceeded.PhoneNumberDailyLimit", TemporaryFailure),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", TemporaryFailure),
        ("RequestLimitExceeded", TemporaryFailure),
        ("InternalError.Timeout", TemporaryFailure),
        ("FailedOperation.TemplateIncorrectOrUnapproved", ConfigurationFailure),
        ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", ConfigurationFailure),
    ],
)
def test_tencent_error_codes_are_classified(code: str, kind: type[Exception]) -> None:
    with tencent_server() as (url, recorder):
        recorder.fail_next(code=code)
        with pytest.raises(kind) as raised:
            tencent(url).send(message())
    assert type(raised.value) is kind
    assert code in str(raised.value)
    assert_redacted(raised.value)


def test_tencent_blacklisted_number_is_permanent() -> None:
    with (
        tencent_server(blacklist={"+8613800138000"}) as (url, recorder),
        pytest.raises(PermanentFailure, match="PhoneNumberInBlacklist") as raised,
    ):
        tencent(url).send(message())
    assert not isinstance(raised.value, ConfigurationFailure)
    assert recorder.refusals == ["FailedOperation.PhoneNumberInBlacklist"]


def test_tencent_param_count_mismatch_is_a_configuration_failure() -> None:
    with (
        tencent_server(templates={"1110": 3}) as (url, recorder),
        pytest.raises(ConfigurationFailure, match="TemplateParamSetNotMatch"),
    ):
        tencent(url).send(message())
    assert recorder.accepted() == []


def test_tencent_missing_mapping_or_param_sends_nothing() -> None:
    with tencent_server() as (url, recorder):
        with pytest.raises(ConfigurationFailure, match="SMS-M2-D1"):
            tencent(url).send(message(template="SMS-M2-D1"))
        with pytest.raises(ConfigurationFailure, match="amount"):
            tencent(url).send(message(params={"name": "x"}))
    assert recorder.requests == 0


def test_tencent_gateway_error_and_timeout_are_temporary() -> None:
    with tencent_server() as (url, recorder):
        recorder.fail_next(status=502)
        with pytest.raises(TemporaryFailure, match="502"):
            tencent(url).send(message())
        recorder.fail_next(delay=30)
        with pytest.raises(TemporaryFailure, match="timed out"):
            tencent(url, timeout=0.2).send(message())


# --- Twilio ----------------------------------------------------------------------------------


def twilio(base_url: str, token: str = FAKE_TWILIO_TOKEN, timeout: float = 5.0) -> TwilioSmsChannel:
    return TwilioSmsChannel(
        FAKE_TWILIO_SID,
        token,
        from_number="+15005550006",
        status_callback="https://huikuan.example/sms/twilio/status",
        base_url=base_url,
        timeout=timeout,
    )


def test_twilio_accepts_basic_auth_and_form_fields() -> None:
    with twilio_server() as (url, recorder):
        result = twilio(url).send(message(recipient="+1 415 555 0100"))
    [received] = recorder.accepted()
    assert result.provider_message_id == received.provider_message_id
    assert result.provider_message_id.startswith("SM")
    assert received.phone == "+14155550100"
    assert received.sender == "+15005550006"
    assert received.text == message().body
    assert received.send_key == "case-42:SMS-M1-D1:2027-03-01"
    assert received.fields["StatusCallback"].startswith(
        "https://huikuan.example/sms/twilio/status?"
    )


def test_twilio_mainland_number_goes_out_as_e164() -> None:
    with twilio_server() as (url, recorder):
        twilio(url).send(message())
    assert [m.phone for m in recorder.accepted()] == ["+8613800138000"]


def test_twilio_wrong_token_is_refused() -> None:
    with (
        twilio_server() as (url, recorder),
        pytest.raises(ConfigurationFailure, match="20003"),
    ):
        twilio(url, token="wrong").send(message())
    assert recorder.accepted() == []


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("21211", None, PermanentFailure),
        ("21610", None, PermanentFailure),
        ("21614", None, PermanentFailure),
        ("20429", None, TemporaryFailure),
        (None, 500, TemporaryFailure),
        (None, 503, TemporaryFailure),
        ("21606", None, ConfigurationFailure),
    ],
)
def test_twilio_errors_are_classified(
    code: str | None, status: int | None, kind: type[Exception]
) -> None:
    with twilio_server() as (url, recorder):
        recorder.fail_next(code=code, status=status)
        with pytest.raises(kind) as raised:
            twilio(url).send(message())
    assert type(raised.value) is kind
    assert_redacted(raised.value)


def test_twilio_unsubscribed_recipient_is_permanent() -> None:
    with (
        twilio_server(unsubscribed={"+8613800138000"}) as (url, recorder),
        pytest.raises(PermanentFailure, match="21610"),
    ):
        twilio(url).send(message())
    assert recorder.accepted() == []


def test_twilio_timeout_and_refused_connection_are_temporary() -> None:
    with twilio_server() as (url, recorder):
        recorder.fail_next(delay=30)
        with pytest.raises(TemporaryFailure, match="timed out"):
            twilio(url, timeout=0.2).send(message())
    with pytest.raises(TemporaryFailure, match="ConnectError"):
        twilio(f"http://127.0.0.1:{free_port()}").send(message())


# --- Kannel ----------------------------------------------------------------------------------


def kannel(
    base_url: str, password: str = FAKE_KANNEL_PASSWORD, timeout: float = 5.0
) -> KannelSmsChannel:
    return KannelSmsChannel(
        FAKE_KANNEL_USER,
        password,
        sender="10690000",
        dlr_url="https://huikuan.example/sms/kannel/dlr",
        base_url=base_url,
        timeout=timeout,
    )


def test_kannel_accepts_utf8_text_with_a_dlr_url() -> None:
    with kannel_server() as (url, recorder):
        result = kannel(url).send(message())
    [received] = recorder.accepted()
    assert result.provider_message_id == "case-42:SMS-M1-D1:2027-03-01"
    assert received.text == message().body
    assert received.phone == PHONE
    assert received.sender == "10690000"
    assert received.fields["charset"] == "UTF-8"
    assert received.fields["coding"] == "2"
    assert received.fields["dlr-mask"] == "19"
    assert received.send_key == "case-42:SMS-M1-D1:2027-03-01"
    assert "type=%d" in received.fields["dlr-url"]


def test_kannel_queued_for_later_is_accepted() -> None:
    with kannel_server() as (url, recorder):
        recorder.fail_next(status=202, code="3: Queued for later delivery")
        kannel(url).send(message())
    assert len(recorder.accepted()) == 1


def test_kannel_wrong_password_is_refused() -> None:
    with (
        kannel_server() as (url, recorder),
        pytest.raises(ConfigurationFailure, match="Authorization failed"),
    ):
        kannel(url, password="wrong").send(message())
    assert recorder.accepted() == []


def test_kannel_denied_number_is_permanent_and_503_temporary() -> None:
    with kannel_server(denied={PHONE}) as (url, recorder):
        with pytest.raises(PermanentFailure, match="403") as raised:
            kannel(url).send(message())
        assert not isinstance(raised.value, ConfigurationFailure)
        recorder.fail_next(status=503)
        with pytest.raises(TemporaryFailure, match="503"):
            kannel(url).send(message(recipient="13900139000"))
        recorder.fail_next(delay=30)
        with pytest.raises(TemporaryFailure, match="timed out"):
            kannel(url, timeout=0.2).send(message(recipient="13900139000"))


def test_silent_server_times_out_as_temporary() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection, never answers
        port = listener.getsockname()[1]
        with pytest.raises(TemporaryFailure):
            kannel(f"http://127.0.0.1:{port}", timeout=0.2).send(message())


def test_unusable_number_is_permanent_before_any_request() -> None:
    with (
        kannel_server() as (url, recorder),
        pytest.raises(PermanentFailure, match="invalid phone number"),
    ):
        kannel(url).send(message(recipient="not a number"))
    assert recorder.requests == 0


# --- settings --------------------------------------------------------------------------------


def test_no_provider_means_no_channel() -> None:
    assert sms_channel_from_settings(Settings(sms_provider=None)) is None


def test_templates_are_read_from_json_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIKUAN_SMS_PROVIDER", "tencent")
    monkeypatch.setenv("HUIKUAN_SMS_TEMPLATES", '{"SMS-M1-D1": ["1110", "name", "amount"]}')
    settings = Settings()
    assert settings.sms_templates == {"SMS-M1-D1": ["1110", "name", "amount"]}


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_channel_from_settings_sends_through_the_fake(provider: str) -> None:
    serve = aliyun_server if provider == "aliyun" else tencent_server
    templates: dict[str, str | list[str]] = (
        {"SMS-M1-D1": "SMS_100001"}
        if provider == "aliyun"
        else {"SMS-M1-D1": ["1110", "name", "amount"]}
    )
    with serve() as (url, recorder):
        settings = Settings(
            sms_provider=provider,
            sms_base_url=url,
            sms_access_key_id=FAKE_KEY_ID,
            sms_access_key_secret=FAKE_KEY_SECRET,
            sms_sign_name="惠款",
            sms_app_id=FAKE_TENCENT_APP_ID,
            sms_templates=templates,
            sms_timeout=5,
        )
        channel = sms_channel_from_settings(settings)
        assert channel is not None
        channel.send(message())
    assert recorder.send_keys() == ["case-42:SMS-M1-D1:2027-03-01"]


def test_channel_from_settings_twilio_and_kannel() -> None:
    common = {
        "sms_access_key_id": "user",
        "sms_access_key_secret": "secret",
        "sms_sender": "+15005550006",
    }
    assert isinstance(
        sms_channel_from_settings(Settings(sms_provider="twilio", **common)), TwilioSmsChannel
    )
    assert isinstance(
        sms_channel_from_settings(Settings(sms_provider="Kannel", **common)), KannelSmsChannel
    )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"sms_provider": "carrier-pigeon"}, "unknown SMS provider"),
        ({"sms_provider": "aliyun", "sms_sign_name": None}, "HUIKUAN_SMS_SIGN_NAME"),
        ({"sms_provider": "tencent", "sms_app_id": None}, "HUIKUAN_SMS_APP_ID"),
        ({"sms_provider": "aliyun", "sms_templates": {"SMS-M1-D1": ["SMS_1"]}}, "TemplateCode"),
        ({"sms_provider": "twilio", "sms_sender": None}, "HUIKUAN_SMS_SENDER"),
    ],
)
def test_channel_from_settings_names_what_is_missing(
    changes: dict[str, object], error: str
) -> None:
    fields: dict[str, object] = {
        "sms_access_key_id": "id",
        "sms_access_key_secret": "secret",
        "sms_sign_name": "惠款",
        "sms_app_id": "1400000000",
        "sms_sender": None,
    }
    fields.update(changes)
    with pytest.raises(ValueError, match=error):
        sms_channel_from_settings(Settings(**fields))  # type: ignore[arg-type]


# --- through the outbox worker ---------------------------------------------------------------


@pytest.fixture
def db(engine: Engine) -> Engine:
    return migrate(engine)


def _mobile_contact_point(engine: Engine) -> int:
    with transaction(engine) as session:
        debtor = Debtor(debtor_no="D-SMS-1", language="zh")
        session.add(debtor)
        session.flush()
        point = ContactPoint(
            debtor_id=debtor.id,
            kind="mobile",
            owner_type="self",
            value_enc="token",
            value_hash="hash",
            value_masked="138****8000",
            data_source="contract",
            created_on=date(2027, 1, 1),
        )
        session.add(point)
        session.flush()
        return point.id


def _sms(key: str, phone: str, **changes: object) -> outbox.NewMessage:
    fields: dict[str, object] = {
        "send_key": key,
        "channel": "sms",
        "sender": "10690000",
        "recipient": phone,  # the worker's reveal is the identity here: plaintext for the test
        "body": "您好，您的账单已逾期，请尽快还款。",
        "not_before": T0,
        "expires_at": T0 + timedelta(hours=8),
    }
    fields.update(changes)
    return outbox.NewMessage(**fields)  # type: ignore[arg-type]


def _rows(engine: Engine) -> dict[str, OutboxMessage]:
    with transaction(engine) as session:
        return {m.send_key: m for m in session.scalars(select(OutboxMessage))}


def test_worker_sends_each_sms_exactly_once_through_kannel(db: Engine) -> None:
    with transaction(db) as session:
        outbox.stage(session, [_sms("sms-a", PHONE), _sms("sms-b", "13900139000")], now=T0)
    clock = Clock()
    backoff = Backoff(base=timedelta(seconds=30))
    with kannel_server() as (url, recorder):
        channel = kannel(url)
        recorder.fail_next(status=503)  # the first attempt of the first message: retried later
        first = run_worker(db, {"sms": channel}, "w1", clock, backoff=backoff, stop_when_idle=True)
        assert (first.sent, first.retried) == (1, 1)
        clock.advance(timedelta(seconds=30))
        second = run_worker(db, {"sms": channel}, "w1", clock, backoff=backoff, stop_when_idle=True)
        assert second.sent == 1
        again = run_worker(db, {"sms": channel}, "w1", clock, backoff=backoff, stop_when_idle=True)
        assert again.claimed == 0
    assert sorted(recorder.send_keys(), key=str) == ["sms-a", "sms-b"]
    assert sorted(m.phone for m in recorder.accepted()) == [PHONE, "13900139000"]
    rows = _rows(db)
    assert {key: row.status for key, row in rows.items()} == {"sms-a": "sent", "sms-b": "sent"}
    assert {row.provider_message_id for row in rows.values()} == {"sms-a", "sms-b"}


def test_worker_permanent_sms_failure_marks_contact_point_invalid(db: Engine) -> None:
    point_id = _mobile_contact_point(db)
    with transaction(db) as session:
        outbox.stage(session, [_sms("sms-x", PHONE, contact_point_id=point_id)], now=T0)
    with twilio_server(unsubscribed={"+8613800138000"}) as (url, recorder):
        stats = run_worker(db, {"sms": twilio(url)}, "w1", Clock(), stop_when_idle=True)
    assert stats.failed == 1
    assert recorder.accepted() == []
    row = _rows(db)["sms-x"]
    assert row.status == "failed"
    assert row.last_error is not None
    assert "21610" in row.last_error
    assert PHONE not in row.last_error
    with transaction(db) as session:
        assert session.get(ContactPoint, point_id).status == "invalid"  # type: ignore[union-attr]
        events = list(session.scalars(select(DeliveryReceipt.event)))
    assert events == ["permanent_failure"]


def test_worker_clock_is_not_the_providers(db: Engine) -> None:
    """The fake's own signature clock is the wall clock; the worker's business clock is T0."""
    with transaction(db) as session:
        outbox.stage(session, [_sms("sms-t", PHONE)], now=T0)
    with twilio_server(clock=lambda: datetime(2030, 1, 1, tzinfo=UTC)) as (url, recorder):
        run_worker(db, {"sms": twilio(url)}, "w1", Clock(), stop_when_idle=True)
    assert recorder.send_keys() == ["sms-t"]
    assert _rows(db)["sms-t"].status == "sent"


def test_worker_sends_templates_through_aliyun(db: Engine) -> None:
    staged = [
        _sms(
            "sms-t1",
            PHONE,
            template_code="SMS-M1-D1",
            template_params={"name": SECRET_IN_TEXT, "amount": "1,234.56"},
        ),
        _sms("sms-t2", "13900139000", template_code="SMS-M1-D1", template_params={"name": "李"}),
    ]
    with transaction(db) as session:
        outbox.stage(session, staged, now=T0)
    with aliyun_server(templates={"SMS_100001"}) as (url, recorder):
        stats = run_worker(db, {"sms": aliyun(url)}, "w1", Clock(), stop_when_idle=True)
    assert stats.sent == 2
    received = {m.send_key: m for m in recorder.accepted()}
    assert sorted(received, key=str) == ["sms-t1", "sms-t2"]
    assert received["sms-t1"].params == {"name": SECRET_IN_TEXT, "amount": "1,234.56"}
    assert {m.template for m in received.values()} == {"SMS_100001"}
    rows = _rows(db)
    assert {rows[key].provider_message_id for key in rows} == {
        m.provider_message_id for m in received.values()
    }


def test_worker_configuration_failure_keeps_the_contact_point(db: Engine) -> None:
    point_id = _mobile_contact_point(db)
    message = _sms("sms-c", PHONE, contact_point_id=point_id, template_code="SMS-UNMAPPED")
    with transaction(db) as session:
        outbox.stage(session, [message], now=T0)
    with aliyun_server() as (url, recorder):
        stats = run_worker(db, {"sms": aliyun(url)}, "w1", Clock(), stop_when_idle=True)
    assert stats.failed == 1
    assert recorder.requests == 0
    assert _rows(db)["sms-c"].status == "failed"
    with transaction(db) as session:
        assert session.get(ContactPoint, point_id).status != "invalid"  # type: ignore[union-attr]
