"""Registering creditors and their products (with policies), and looking them up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from huikuan.audit.service import record
from huikuan.core.policy import ProductPolicy, policy_to_dict
from huikuan.org.models import Creditor, Product

DEFAULT_PRODUCT = "STD"


class CreditorExistsError(ValueError):
    pass


class UnknownCreditorError(LookupError):
    pass


def default_policy(creditor_code: str) -> ProductPolicy:
    """The default product policy: no post-delinquency charges until the creditor sets them."""
    return ProductPolicy(code=f"{creditor_code}.{DEFAULT_PRODUCT}")


DEFAULT_HOTLINE = "95588"
"""The hotline printed for a creditor that has not given its own (set it: ``--hotline``)."""

_HOTLINE_CHARS = frozenset("0123456789+-() ")


def hotline_of(creditor: Creditor | None) -> str:
    """The number a creditor's debtors call with questions."""
    return (creditor.hotline if creditor is not None else None) or DEFAULT_HOTLINE


def add_creditor(
    session: Session,
    code: str,
    name: str,
    *,
    actor: str,
    at: datetime,
    hotline: str | None = None,
) -> Creditor:
    """Register a creditor (委托方) with the default product and policy."""
    code = code.strip().upper()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 32:
        raise ValueError(f"creditor code {code!r} must be 1–32 letters, digits, - or _")
    if session.scalars(select(Creditor).where(Creditor.code == code)).first() is not None:
        raise CreditorExistsError(f"creditor {code} already exists")
    if hotline is not None and (
        not hotline.strip() or len(hotline) > 32 or not set(hotline) <= _HOTLINE_CHARS
    ):
        raise ValueError(f"hotline {hotline!r} must be up to 32 digits, spaces, +, - or ()")
    creditor = Creditor(code=code, name=name.strip(), hotline=hotline.strip() if hotline else None)
    session.add(creditor)
    session.flush()
    add_product(session, creditor, DEFAULT_PRODUCT, "默认产品", default_policy(code))
    record(
        session,
        at=at,
        actor=actor,
        action="creditor.add",
        entity="creditor",
        entity_id=creditor.id,
        detail={"code": code, "name": creditor.name, "hotline": creditor.hotline},
    )
    return creditor


def add_product(
    session: Session, creditor: Creditor, code: str, name: str, policy: ProductPolicy
) -> Product:
    product = Product(
        creditor_id=creditor.id,
        code=code,
        name=name,
        policy_code=policy.code,
        policy_version=policy.version,
        policy=policy_to_dict(policy),
    )
    session.add(product)
    session.flush()
    return product


def get_creditor(session: Session, code: str) -> Creditor:
    creditor = session.scalars(select(Creditor).where(Creditor.code == code.upper())).first()
    if creditor is None:
        raise UnknownCreditorError(f"unknown creditor {code!r}: add it with `huikuan creditor add`")
    return creditor


def products_of(session: Session, creditor_id: int) -> dict[str, Product]:
    rows = session.scalars(select(Product).where(Product.creditor_id == creditor_id))
    return {product.code: product for product in rows}
