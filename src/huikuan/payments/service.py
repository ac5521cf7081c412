"""Pay now: payment orders at Alipay / WeChat Pay / by bank transfer, and posting what they
bring in, exactly once, by the creditor's waterfall at once.

Data flow (see ``docs.md`` for the whole picture):

1. :func:`create_order` (called by the debtor's self-service page, which has already decided
   the debtor may act on the case): checks the amount (1 fen … the open balance), writes a
   :class:`PaymentOrder` with our ``out_trade_no`` and asks the provider adapter for the
   cashier URL (Alipay: a signed gateway URL; WeChat: ``h5_url`` from its API) or, for a bank
   transfer, the case's reference and the creditor's receiving account. Audited.
2. :func:`accept_notification` (the ``/hooks/pay/{provider}/notify`` routes): the adapter
   verifies the signature (WeChat: and decrypts the resource) → our merchant id, the order
   (row locked ``FOR UPDATE``), its provider and amount are checked → :func:`_post_order`.
3. :func:`reconcile_order`: the provider's query API for an order whose notify never came;
   the same checks and the same posting.
4. :func:`_post_order`, once per order: splits the amount over the target accounts (the chosen
   one, else the case's open accounts by oldest unpaid due date), inserts one :class:`Payment`
   per account (reference = the provider's trade id, unique) and applies it to the account
   row through :func:`huikuan.core.posting.post_payment` — the nightly's own rule — setting
   ``posted_on`` to the day the nightly would have posted it, so the nightly never posts it
   again. The case's work-list row is refreshed and the posting audited.

A notify for an order already paid by the same trade is a ``duplicate``: nothing changes and
the provider still gets its success answer, so it stops retrying. Nothing reads the clock:
``now`` comes from the caller.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.accounts.models import Account
from huikuan.audit.service import record
from huikuan.cases.models import Case
from huikuan.cases.worklist import refresh_worklist
from huikuan.core.accrual import AccountState, AccountStatus
from huikuan.core.allocation import DEFAULT_WATERFALL_CODE, Allocation
from huikuan.core.balances import Balance
from huikuan.core.delinquency import DueSchedule
from huikuan.core.policy import ProductPolicy
from huikuan.core.posting import post_payment
from huikuan.org.models import Creditor, Product
from huikuan.payments import alipay, wechatpay
from huikuan.payments.bank_transfer import bank_reference as reference_for_case_no
from huikuan.payments.config import PayConfig, PayKeys, get_pay_config, load_keys
from huikuan.payments.models import Payment, PaymentOrder
from huikuan.payments.trades import NotifyRefusedError, Provider, ProviderError, ProviderTrade

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
MAX_AMOUNT = 10**13  # fen; far above any balance, below every column's limit


class OrderStatus(StrEnum):
    CREATED = "created"
    PAID = "paid"
    CLOSED = "closed"


class PaymentInputError(ValueError):
    """The request is wrong; ``field`` names the input at fault, ``reason`` says how."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class OrderStarted:
    """What the debtor's page shows next: go to ``redirect_url``, or transfer with a reference."""

    order_no: str
    provider: Provider
    amount: int
    redirect_url: str | None = None
    bank_reference: str | None = None
    payee_lines: tuple[str, ...] = ()


class NotifyResult(StrEnum):
    POSTED = "posted"  # the payment was recorded and posted now
    DUPLICATE = "duplicate"  # it was already; nothing changed
    IGNORED = "ignored"  # genuine, but not a payment (not paid yet, or closed): acknowledged
    REJECTED = "rejected"  # failed a check; nothing written, the provider is told it failed


@dataclass(frozen=True, slots=True)
class NotifyOutcome:
    result: NotifyResult
    reason: str = ""
    order_no: str | None = None
    payment_ids: tuple[int, ...] = ()

    @property
    def acknowledged(self) -> bool:
        """Whether the provider gets its success answer (and stops sending this notify)."""
        return self.result is not NotifyResult.REJECTED


def _rejected(reason: str, order_no: str | None = None) -> NotifyOutcome:
    return NotifyOutcome(NotifyResult.REJECTED, reason, order_no)


def business_date(moment: datetime) -> date:
    return moment.astimezone(BUSINESS_TZ).date()


def new_order_no(now: datetime) -> str:
    """``HK`` + the Shanghai date + 12 random characters: fits both providers' rules."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    tail = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"HK{business_date(now):%Y%m%d}{tail}"


def _client(config: PayConfig) -> httpx.Client:
    return httpx.Client(timeout=config.http_timeout, follow_redirects=False)


def _merchant(config: PayConfig, keys: PayKeys) -> wechatpay.Merchant:
    return wechatpay.Merchant(
        api_base=config.wechat_api_base,
        mchid=config.wechat_mchid,
        appid=config.wechat_appid,
        serial_no=config.wechat_merchant_serial,
        private_key=keys.wechat_merchant_private,
        platform_key=keys.wechat_platform_public,
        platform_serial=config.wechat_platform_serial,
    )


def _balance(account: Account) -> int:
    return account.principal + account.interest + account.penalty + account.fee


def _case_accounts(session: Session, case_id: int) -> list[Account]:
    return list(
        session.scalars(select(Account).where(Account.case_id == case_id).order_by(Account.id))
    )


def bank_reference(case: Case) -> str:
    """The transfer remark for ``case`` (``HK-<case_no>-<check digits>``)."""
    return reference_for_case_no(case.case_no)


def payee_lines(session: Session, case: Case, config: PayConfig) -> tuple[str, ...]:
    """The creditor's receiving account, as configured per creditor code."""
    code = session.scalar(select(Creditor.code).where(Creditor.id == case.creditor_id))
    lines = config.bank_payees.get(code or "", config.bank_payee_default)
    return tuple(lines)


def _provider(value: str) -> Provider:
    try:
        return Provider(value)
    except ValueError:
        known = ", ".join(p.value for p in Provider)
        raise PaymentInputError("provider", f"must be one of {known}") from None


def create_order(
    session: Session,
    *,
    case_id: int,
    amount: int,
    provider: str,
    now: datetime,
    account_id: int | None = None,
    actor: str = "debtor",
    payer_ip: str = "127.0.0.1",
    config: PayConfig | None = None,
    http: httpx.Client | None = None,
    return_url: str | None = None,
) -> OrderStarted:
    """Start paying ``amount`` fen on the case (module docstring, step 1).

    ``return_url``: where the provider sends the payer's browser back (the debtor's own page);
    the configured ``return_url`` when not given.

    The caller has checked the debtor may act on ``case_id``; ``actor`` is what the audit
    trail records (no personal data). :class:`PaymentInputError` names the field at fault;
    :class:`ProviderError` means the provider could not be reached (nothing is kept: the
    caller's transaction rolls back).
    """
    chosen = _provider(provider)
    config = config or get_pay_config()
    case = session.get(Case, case_id)
    if case is None:
        raise PaymentInputError("case_id", "no such case")
    accounts = [a for a in _case_accounts(session, case_id) if a.status == AccountStatus.OPEN]
    if account_id is not None:
        accounts = [a for a in accounts if a.id == account_id]
        if not accounts:
            raise PaymentInputError("account_id", "not an open account of this case")
    open_balance = sum(_balance(a) for a in accounts)
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise PaymentInputError("amount", "must be a whole number of fen")
    if open_balance <= 0:
        raise PaymentInputError("amount", "nothing is owed on this case")
    if amount < 1:
        raise PaymentInputError("amount", "must be at least 1 fen (0.01 yuan)")
    if amount > min(open_balance, MAX_AMOUNT):
        raise PaymentInputError("amount", f"must not exceed the open balance of {open_balance} fen")
    order = PaymentOrder(
        out_trade_no=new_order_no(now),
        case_id=case.id,
        account_id=account_id,
        amount=amount,
        provider=chosen.value,
        status=OrderStatus.CREATED.value,
        actor=actor,
        created_at=now,
    )
    started: OrderStarted
    ttl = timedelta(minutes=config.order_ttl_minutes)
    if chosen is Provider.BANK_TRANSFER:
        order.bank_reference = bank_reference(case)
        started = OrderStarted(
            order.out_trade_no,
            chosen,
            amount,
            bank_reference=order.bank_reference,
            payee_lines=payee_lines(session, case, config),
        )
    elif chosen is Provider.ALIPAY:
        keys = load_keys(config)
        url = alipay.wap_pay_url(
            gateway=config.alipay_gateway,
            app_id=config.alipay_app_id,
            private_key=keys.alipay_app_private,
            out_trade_no=order.out_trade_no,
            amount=amount,
            subject=config.subject,
            notify_url=config.notify_url(chosen.value),
            return_url=return_url or config.return_url,
            now=now,
            ttl=ttl,
        )
        started = OrderStarted(order.out_trade_no, chosen, amount, redirect_url=url)
    else:
        keys = load_keys(config)
        client = http or _client(config)
        try:
            h5_url = wechatpay.create_h5(
                client,
                _merchant(config, keys),
                out_trade_no=order.out_trade_no,
                amount=amount,
                description=config.subject,
                notify_url=config.notify_url(chosen.value),
                payer_ip=payer_ip,
                now=now,
                ttl=ttl,
            )
        finally:
            if http is None:
                client.close()
        back = return_url or config.return_url
        if back:
            joiner = "&" if "?" in h5_url else "?"
            h5_url += joiner + urlencode({"redirect_url": back})
        started = OrderStarted(order.out_trade_no, chosen, amount, redirect_url=h5_url)
    session.add(order)
    session.flush()
    record(
        session,
        at=now,
        actor=actor,
        action="payment_order.created",
        entity="payment_order",
        entity_id=order.id,
        detail={
            "order_no": order.out_trade_no,
            "case_id": case.id,
            "account_id": account_id,
            "provider": chosen.value,
            "amount": amount,
        },
    )
    return started


def _trade_from_request(
    provider: Provider,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    config: PayConfig,
    keys: PayKeys,
) -> ProviderTrade:
    if provider is Provider.ALIPAY:
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            raise NotifyRefusedError("body is not a form") from None
        return alipay.trade_from_notify(form, keys.alipay_public)
    return wechatpay.trade_from_notify(
        headers,
        body,
        platform_key=keys.wechat_platform_public,
        platform_serial=config.wechat_platform_serial,
        api_v3_key=keys.wechat_api_v3_key,
        now=now,
    )


def _merchant_id(provider: Provider, config: PayConfig) -> str:
    return config.alipay_app_id if provider is Provider.ALIPAY else config.wechat_mchid


def accept_notification(
    session: Session,
    provider: str,
    *,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    config: PayConfig | None = None,
) -> NotifyOutcome:
    """Verify a provider's payment notify and post it exactly once (module docstring, step 2)."""
    try:
        chosen = Provider(provider)
    except ValueError:
        return _rejected("unknown provider")
    if chosen is Provider.BANK_TRANSFER:
        return _rejected("bank transfers are not notified")
    config = config or get_pay_config()
    try:
        trade = _trade_from_request(chosen, headers, body, now, config, load_keys(config))
    except NotifyRefusedError as exc:
        return _rejected(str(exc))
    return _settle(session, trade, now, config, actor=f"provider.{chosen.value}")


def _lock_order(session: Session, order_no: str) -> PaymentOrder | None:
    return session.scalars(
        select(PaymentOrder).where(PaymentOrder.out_trade_no == order_no).with_for_update()
    ).one_or_none()


def _settle(
    session: Session, trade: ProviderTrade, now: datetime, config: PayConfig, *, actor: str
) -> NotifyOutcome:
    """The checks every provider answer goes through, then the posting (once)."""
    if trade.merchant != _merchant_id(trade.provider, config):
        return _rejected("not our merchant id")
    order = _lock_order(session, trade.out_trade_no)
    if order is None:
        return _rejected("unknown order")
    return _settle_order(session, order, trade, now, actor=actor)


def _settle_order(
    session: Session, order: PaymentOrder, trade: ProviderTrade, now: datetime, *, actor: str
) -> NotifyOutcome:
    number = order.out_trade_no
    if order.provider != trade.provider.value:
        return _rejected("order belongs to another provider", number)
    if trade.amount != order.amount:
        return _rejected("amount differs from the order", number)
    if order.status == OrderStatus.PAID:
        if order.provider_trade_no == trade.trade_no:
            return NotifyOutcome(NotifyResult.DUPLICATE, "already posted", number)
        # Money arrived twice for one order: keep it out of the books until someone decides.
        return _rejected("order already paid by another trade", number)
    if not trade.paid:
        if trade.closed and order.status == OrderStatus.CREATED:
            order.status = OrderStatus.CLOSED.value
            record(
                session,
                at=now,
                actor=actor,
                action="payment_order.closed",
                entity="payment_order",
                entity_id=order.id,
                detail={"order_no": number, "provider": order.provider},
            )
        return NotifyOutcome(NotifyResult.IGNORED, "trade not paid", number)
    if not trade.trade_no:
        return _rejected("trade id is missing", number)
    payments = _post_order(session, order, trade, now, actor=actor)
    return NotifyOutcome(NotifyResult.POSTED, "", number, tuple(p.id for p in payments))


def _state(account: Account) -> AccountState:
    """The nightly core's view of an account row (as :mod:`huikuan.nightly.frames` builds it)."""
    return AccountState(
        account_id=account.id,
        product_code=account.product_code,
        balance=Balance(account.principal, account.interest, account.penalty, account.fee),
        schedule=DueSchedule(account.first_due, account.instalment, account.cycles),
        paid_to_schedule=account.paid_to_schedule,
        accrued_through=account.accrued_through,
        charge_start=account.charge_start,
        cap_base=account.cap_base,
        charged_total=account.charged_total,
        status=AccountStatus(account.status),
        credit=account.credit,
        dpd=account.dpd,
    )


def _waterfall_policy(session: Session, account: Account) -> ProductPolicy:
    """The product's policy as far as posting reads it: its waterfall code.

    Posting uses nothing else of the policy, and a policy stored without the key means the
    policy default, which is the product default waterfall too.
    """
    stored = session.scalar(select(Product.policy).where(Product.id == account.product_id)) or {}
    code = stored.get("waterfall_code", DEFAULT_WATERFALL_CODE)
    return ProductPolicy(code=account.product_code, waterfall_code=str(code))


def _targets(session: Session, order: PaymentOrder, as_of: date) -> list[Account]:
    """Where the money goes, in order: the chosen account, else open accounts oldest due first."""
    accounts = _case_accounts(session, order.case_id)
    if order.account_id is not None:
        return [a for a in accounts if a.id == order.account_id]

    def oldest_due(account: Account) -> tuple[int, date, int]:
        state = _state(account)
        due = state.schedule.oldest_unpaid_due(state.paid_to_schedule, as_of)
        is_open = 0 if state.status is AccountStatus.OPEN else 1
        return (is_open, due or date.max, account.id)

    return sorted(accounts, key=oldest_due)


def _split(amount: int, accounts: Sequence[Account]) -> list[tuple[Account, int]]:
    """Each open account up to its balance; anything left (the balance fell since the order
    was made) goes to the first, where posting holds it as credit (溢缴款)."""
    parts: list[tuple[Account, int]] = []
    left = amount
    for account in accounts:
        if left == 0 or account.status != AccountStatus.OPEN:
            break
        share = min(left, _balance(account))
        if share > 0:
            parts.append((account, share))
            left -= share
    if left > 0:
        if parts:
            first, share = parts[0]
            parts[0] = (first, share + left)
        else:
            parts.append((accounts[0], left))
    return parts


def _apply(account: Account, state: AccountState) -> None:
    account.principal = state.balance.principal
    account.interest = state.balance.interest
    account.penalty = state.balance.penalty
    account.fee = state.balance.fee
    account.paid_to_schedule = state.paid_to_schedule
    account.credit = state.credit
    account.status = state.status.value


def _allocated(allocation: Allocation | None) -> dict[str, int]:
    if allocation is None:
        return {"credit": 0}
    parts = allocation.by_component()
    return {
        "fee": parts.fee,
        "penalty": parts.penalty,
        "interest": parts.interest,
        "principal": parts.principal,
        "credit": allocation.credit,
    }


def _post_order(
    session: Session, order: PaymentOrder, trade: ProviderTrade, now: datetime, *, actor: str
) -> list[Payment]:
    paid_at = trade.paid_at or now
    received_on = business_date(paid_at)
    targets = _targets(session, order, received_on)
    if not targets:
        raise ProviderError(f"order {order.out_trade_no}: the case has no account to post to")
    payments: list[Payment] = []
    posted: list[dict[str, object]] = []
    for position, (account, part) in enumerate(_split(order.amount, targets)):
        state, allocation = post_payment(_state(account), part, _waterfall_policy(session, account))
        _apply(account, state)
        # The nightly posts a receipt dated on or before a closed day on the first open day.
        posted_on = max(received_on, account.accrued_through + timedelta(days=1))
        reference = trade.trade_no if position == 0 else f"{trade.trade_no}/{position + 1}"
        payment = Payment(
            account_id=account.id,
            received_on=received_on,
            amount=part,
            channel=trade.provider.value,
            reference=reference,
            source=f"portal_{trade.provider.value}",
            posted_on=posted_on,
        )
        session.add(payment)
        payments.append(payment)
        posted.append({"account_id": account.id, "amount": part, **_allocated(allocation)})
    session.flush()
    order.status = OrderStatus.PAID.value
    order.provider_trade_no = trade.trade_no
    order.paid_at = paid_at
    order.payment_id = payments[0].id
    session.flush()
    record(
        session,
        at=now,
        actor=actor,
        action="payment.posted",
        entity="payment_order",
        entity_id=order.id,
        detail={
            "order_no": order.out_trade_no,
            "provider": order.provider,
            "trade_no": trade.trade_no,
            "amount": order.amount,
            "received_on": received_on.isoformat(),
            "postings": posted,
        },
    )
    refresh_worklist(session, received_on, [order.case_id])
    return payments


def reconcile_order(
    session: Session,
    order_no: str,
    now: datetime,
    *,
    config: PayConfig | None = None,
    http: httpx.Client | None = None,
    actor: str = "system.reconcile",
) -> NotifyOutcome:
    """Ask the provider about an order whose notify never came, and post it the same way."""
    config = config or get_pay_config()
    order = _lock_order(session, order_no)
    if order is None:
        return _rejected("unknown order")
    if order.status != OrderStatus.CREATED:
        result = (
            NotifyResult.DUPLICATE if order.status == OrderStatus.PAID else NotifyResult.IGNORED
        )
        return NotifyOutcome(result, f"order is {order.status}", order_no)
    provider = Provider(order.provider)
    if provider is Provider.BANK_TRANSFER:
        return NotifyOutcome(
            NotifyResult.IGNORED, "bank transfers arrive in the bank file", order_no
        )
    keys = load_keys(config)
    client = http or _client(config)
    try:
        if provider is Provider.ALIPAY:
            trade = alipay.query_trade(
                client,
                gateway=config.alipay_gateway,
                app_id=config.alipay_app_id,
                private_key=keys.alipay_app_private,
                alipay_public_key=keys.alipay_public,
                out_trade_no=order_no,
                now=now,
            )
        else:
            trade = wechatpay.query_trade(
                client, _merchant(config, keys), out_trade_no=order_no, now=now
            )
    finally:
        if http is None:
            client.close()
    if trade is None:
        return NotifyOutcome(NotifyResult.IGNORED, "provider has no such trade yet", order_no)
    if trade.out_trade_no != order_no or trade.merchant != _merchant_id(provider, config):
        return _rejected("answer is for another order", order_no)
    return _settle_order(session, order, trade, now, actor=actor)
