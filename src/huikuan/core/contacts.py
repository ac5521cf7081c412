"""Contact points: whose they are, where they came from, and whether they may be used.

Every phone, email, address or IM id is held with its owner type and one of the six lawful data
sources the CBA 2026 guideline lists (COMPLIANCE-RULES.md §1.2, "Lawful sources of contact
data"); a contact point without a lawful source is refused.
"""

from __future__ import annotations

from enum import StrEnum


class ContactKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    EMAIL = "email"
    ADDRESS = "address"
    WECHAT = "wechat"  # WeChat / IM id


class OwnerType(StrEnum):
    """Whose contact point it is."""

    SELF = "self"  # 本人
    SPOUSE = "spouse"  # 配偶
    GUARANTOR = "guarantor"  # 担保人
    EMERGENCY_CONTACT = "emergency_contact"  # 紧急联系人
    EMPLOYER = "employer"  # 单位
    OTHER = "other"


class DataSource(StrEnum):
    """The six lawful sources of contact data (CBA 2026 guideline, ch. 3)."""

    CONTRACT = "contract"  # 合同约定
    DEBTOR_PROVIDED = "debtor_provided"  # 债务人预留
    DEBTOR_AUTHORISED = "debtor_authorised"  # 债务人授权
    PUBLIC_RECORD = "public_record"  # 合法公开渠道
    DEBTOR_NAMED_CONTACT = "debtor_named_contact"  # 债务人预留的联系人
    CREDIT_REPORTING = "credit_reporting"  # 经授权的征信等机构

    @property
    def label_zh(self) -> str:
        return _SOURCE_ZH[self]


_SOURCE_ZH = {
    DataSource.CONTRACT: "合同约定",
    DataSource.DEBTOR_PROVIDED: "债务人预留",
    DataSource.DEBTOR_AUTHORISED: "债务人授权",
    DataSource.PUBLIC_RECORD: "合法公开渠道",
    DataSource.DEBTOR_NAMED_CONTACT: "债务人预留联系人",
    DataSource.CREDIT_REPORTING: "征信等机构（经授权）",
}


class ContactStatus(StrEnum):
    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    INVALID = "invalid"  # 无效: a wrong or dead number; never dialled again


def lawful_source(value: str | None) -> DataSource:
    """The data source for ``value``, or a clear error: no contact point without a lawful source."""
    if not value:
        raise ValueError("a contact point needs its data source (one of the six lawful sources)")
    try:
        return DataSource(value.strip())
    except ValueError as exc:
        known = ", ".join(source.value for source in DataSource)
        raise ValueError(f"unknown data source {value!r}; lawful sources are: {known}") from exc
