"""The canonical fields of each import kind, and how a file's headers map onto them.

Data flow: :data:`FIELDS` is the rule table (per :class:`ImportKind`, each :class:`Field` with
its kind, whether it is required, its default and its accepted headers in Chinese and English).
:func:`resolve` takes the headers as written in a file and a creditor's :class:`ColumnMapping`
(overrides first, then the default aliases, compared after :func:`header_key` normalisation)
and returns a :class:`Resolved`: field → header, the headers nobody uses (ignored), and a
:class:`~huikuan.imports.report.RowError` on row 1 for each missing required column and each
field claimed by two headers.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from huikuan.core.contacts import DataSource
from huikuan.core.money import CURRENCY_EXPONENT
from huikuan.imports.report import ErrorCode, RowError, row_error

MAX_AMOUNT_MINOR = 10**13
"""The largest amount an import accepts, in minor units (100 billion yuan)."""

TEXT_LIMIT = 200
"""Characters allowed in any cell."""

CODE_LIMIT = 64
"""Characters allowed in account numbers, references and other codes."""

IGNORE = ""
"""A :class:`ColumnMapping` override to this value makes the header ignored."""


class ImportKind(StrEnum):
    PLACEMENTS = "placements"  # 委案: new cases
    PAYMENTS = "payments"  # 还款: payments made at the creditor
    UPDATES = "updates"  # 余额更新: balance refresh
    RECALL = "recall"  # 撤案 / 退案


class FieldKind(StrEnum):
    """How a cell is checked and what type it becomes."""

    TEXT = "text"  # free text, kept as written (never executed: stored with bound parameters)
    NAME = "name"  # a person's name: CJK, letters, middle dot, spaces
    AMOUNT = "amount"  # money in major units, stored as Int64 minor units
    DATE = "date"
    INT = "int"
    ID_NUMBER = "id_number"  # 18-character resident ID, GB 11643 check digit
    MOBILE = "mobile"  # mainland mobile, stored as 11 digits
    EMAIL = "email"
    CODE = "code"  # account numbers, references, product codes
    ENUM = "enum"  # one of a few codes, accepted in Chinese or English


@dataclass(frozen=True, slots=True)
class Field:
    """A canonical field: ``aliases[0]`` is the Chinese header a sample file uses."""

    name: str
    required: bool
    kind: FieldKind
    aliases: tuple[str, ...]
    label_en: str = ""
    default: str | None = None  # canonical value for a blank cell or an absent column
    minimum: int | None = None  # amounts (minor units) and ints
    maximum: int | None = None
    choices: tuple[tuple[str, str], ...] = ()  # ENUM: (accepted spelling, canonical code)
    max_length: int = TEXT_LIMIT
    upper: bool = False  # CODE: stored upper-case (product codes)
    not_after_as_of: bool = False  # DATE: an event that has happened by the business date

    @property
    def label_zh(self) -> str:
        return self.aliases[0]

    @property
    def codes(self) -> tuple[str, ...]:
        """The canonical codes of an ENUM field, in table order without repeats."""
        return tuple(dict.fromkeys(code for _, code in self.choices))


def _enum(*groups: tuple[str, tuple[str, ...]]) -> tuple[tuple[str, str], ...]:
    """Choices from (code, other spellings) groups; the code itself is always accepted."""
    return tuple((spelling, code) for code, others in groups for spelling in (code, *others))


CURRENCIES = _enum(
    ("CNY", ("人民币", "RMB", "元")),
    ("USD", ("美元",)),
    ("HKD", ("港币", "港元")),
    ("EUR", ("欧元",)),
    ("JPY", ("日元",)),
)
assert {code for _, code in CURRENCIES} == set(CURRENCY_EXPONENT)

LANGUAGES = _enum(
    ("zh", ("中文", "汉语", "简体中文", "chinese", "zh-cn")),
    ("en", ("英文", "英语", "english", "en-us")),
)

DATA_SOURCES = _enum(
    *((source.value, (source.label_zh,)) for source in DataSource),
    ("contract", ("合同",)),
    ("debtor_named_contact", ("债务人预留的联系人",)),
)

RELATIONSHIPS = _enum(
    ("spouse", ("配偶", "夫妻", "丈夫", "妻子")),
    ("parent", ("父母", "父亲", "母亲")),
    ("child", ("子女", "儿子", "女儿")),
    ("sibling", ("兄弟姐妹", "兄弟", "姐妹")),
    ("friend", ("朋友",)),
    ("colleague", ("同事",)),
    ("other", ("其他", "其它")),
)

CHANNELS = _enum(
    ("bank_transfer", ("银行转账", "转账", "银行")),
    ("alipay", ("支付宝",)),
    ("wechat_pay", ("微信", "微信支付")),
    ("cash", ("现金",)),
    ("other", ("其他", "其它")),
)

_ACCOUNT_NO = Field(
    "account_no",
    True,
    FieldKind.CODE,
    (
        "账号",
        "合同号",
        "借据号",
        "账户号",
        "贷款账号",
        "Account No",
        "Account Number",
        "Contract No",
    ),
    "Account No",
    max_length=CODE_LIMIT,
)


def _amount(
    name: str,
    required: bool,
    aliases: tuple[str, ...],
    label_en: str,
    *,
    minimum: int = 0,
    default: str | None = None,
) -> Field:
    return Field(
        name,
        required,
        FieldKind.AMOUNT,
        aliases,
        label_en,
        default=default,
        minimum=minimum,
        maximum=MAX_AMOUNT_MINOR,
    )


def _currency() -> Field:
    return Field(
        "currency",
        False,
        FieldKind.ENUM,
        ("币种", "货币", "Currency"),
        "Currency",
        default="CNY",
        choices=CURRENCIES,
    )


_PRINCIPAL_ALIASES = ("本金", "剩余本金", "欠款本金", "Principal", "Outstanding Principal")
_INTEREST_ALIASES = ("利息", "欠款利息", "Interest")
_PENALTY_ALIASES = ("罚息", "违约金", "Penalty")
_FEE_ALIASES = ("费用", "手续费", "滞纳金", "Fee", "Fees")

PLACEMENT_FIELDS: tuple[Field, ...] = (
    _ACCOUNT_NO,
    Field(
        "debtor_no",
        True,
        FieldKind.CODE,
        ("客户号", "客户编号", "债务人编号", "Debtor No", "Customer No", "Customer ID"),
        "Debtor No",
        max_length=CODE_LIMIT,
    ),
    Field(
        "name",
        True,
        FieldKind.NAME,
        ("姓名", "客户姓名", "债务人姓名", "Name", "Customer Name"),
        "Name",
    ),
    Field(
        "id_number",
        True,
        FieldKind.ID_NUMBER,
        ("证件号码", "身份证号", "身份证号码", "证件号", "ID Number", "ID No"),
        "ID Number",
    ),
    Field(
        "mobile",
        True,
        FieldKind.MOBILE,
        ("手机号", "手机号码", "手机", "Mobile", "Mobile No"),
        "Mobile",
    ),
    Field(
        "product_code",
        True,
        FieldKind.CODE,
        ("产品代码", "产品编码", "产品", "Product Code", "Product"),
        "Product Code",
        max_length=32,
        upper=True,
    ),
    _currency(),
    _amount("principal", True, _PRINCIPAL_ALIASES, "Principal"),
    _amount("interest", False, _INTEREST_ALIASES, "Interest", default="0"),
    _amount("penalty", False, _PENALTY_ALIASES, "Penalty", default="0"),
    _amount("fee", False, _FEE_ALIASES, "Fee", default="0"),
    Field(
        "first_due",
        True,
        FieldKind.DATE,
        ("首期还款日", "首次还款日", "首期应还日", "First Due", "First Due Date"),
        "First Due",
    ),
    _amount(
        "instalment",
        True,
        ("每期应还", "每期还款额", "月供", "期供", "最低还款额", "Instalment", "Installment"),
        "Instalment",
        minimum=1,
    ),
    Field(
        "cycles",
        False,
        FieldKind.INT,
        ("期数", "总期数", "分期期数", "Cycles", "Terms", "Term"),
        "Cycles",
        minimum=1,
        maximum=600,
    ),
    _amount(
        "paid_to_schedule",
        False,
        ("已还金额", "累计已还", "累计已还金额", "Paid To Schedule", "Paid"),
        "Paid To Schedule",
        default="0",
    ),
    Field(
        "charge_start",
        False,
        FieldKind.DATE,
        ("计费起始日", "罚息起算日", "计息起始日", "Charge Start"),
        "Charge Start",
    ),
    Field(
        "placed_on",
        False,
        FieldKind.DATE,
        ("委案日期", "委案日", "Placed On", "Placement Date"),
        "Placed On",
    ),
    Field(
        "region",
        False,
        FieldKind.TEXT,
        ("地区", "地区代码", "行政区划", "省份", "Region"),
        "Region",
    ),
    Field(
        "language",
        False,
        FieldKind.ENUM,
        ("语言", "Language"),
        "Language",
        default="zh",
        choices=LANGUAGES,
    ),
    Field("email", False, FieldKind.EMAIL, ("电子邮箱", "邮箱", "Email", "E-mail"), "Email"),
    Field("address", False, FieldKind.TEXT, ("地址", "联系地址", "家庭地址", "Address"), "Address"),
    # The debtor's own mobile usually comes from the loan contract (合同约定).
    Field(
        "contact_source",
        False,
        FieldKind.ENUM,
        ("手机号来源", "联系方式来源", "Contact Source"),
        "Contact Source",
        default=DataSource.CONTRACT.value,
        choices=DATA_SOURCES,
    ),
    Field(
        "emergency_name",
        False,
        FieldKind.NAME,
        ("紧急联系人", "紧急联系人姓名", "Emergency Contact", "Emergency Name"),
        "Emergency Name",
    ),
    Field(
        "emergency_mobile",
        False,
        FieldKind.MOBILE,
        (
            "紧急联系人手机号",
            "紧急联系人电话",
            "紧急联系人手机",
            "Emergency Mobile",
            "Emergency Phone",
        ),
        "Emergency Mobile",
    ),
    Field(
        "emergency_relationship",
        False,
        FieldKind.ENUM,
        ("紧急联系人关系", "与债务人关系", "关系", "Emergency Relationship", "Relationship"),
        "Emergency Relationship",
        choices=RELATIONSHIPS,
    ),
    # Applied only where an emergency contact is given: the debtor named them (债务人预留).
    Field(
        "emergency_source",
        False,
        FieldKind.ENUM,
        ("紧急联系人来源", "Emergency Source"),
        "Emergency Source",
        default=DataSource.DEBTOR_NAMED_CONTACT.value,
        choices=DATA_SOURCES,
    ),
)

PAYMENT_FIELDS: tuple[Field, ...] = (
    _ACCOUNT_NO,
    _amount(
        "amount",
        True,
        ("还款金额", "实还金额", "金额", "Amount", "Payment Amount"),
        "Amount",
        minimum=1,
    ),
    Field(
        "received_on",
        True,
        FieldKind.DATE,
        ("还款日期", "到账日期", "交易日期", "Received On", "Payment Date"),
        "Received On",
        not_after_as_of=True,
    ),
    Field(
        "channel",
        False,
        FieldKind.ENUM,
        ("还款渠道", "渠道", "支付方式", "Channel"),
        "Channel",
        default="other",
        choices=CHANNELS,
    ),
    Field(
        "reference",
        True,
        FieldKind.CODE,
        ("交易流水号", "流水号", "交易号", "Reference", "Transaction ID", "Txn ID"),
        "Reference",
        max_length=CODE_LIMIT,
    ),
    _currency(),
)

UPDATE_FIELDS: tuple[Field, ...] = (
    _ACCOUNT_NO,
    _amount("principal", True, _PRINCIPAL_ALIASES, "Principal"),
    # A balance refresh states the whole balance: a blank component is zero, not "unchanged".
    _amount("interest", False, _INTEREST_ALIASES, "Interest", default="0"),
    _amount("penalty", False, _PENALTY_ALIASES, "Penalty", default="0"),
    _amount("fee", False, _FEE_ALIASES, "Fee", default="0"),
    Field(
        "as_of",
        True,
        FieldKind.DATE,
        ("数据日期", "余额日期", "截至日期", "As Of", "As-of Date"),
        "As Of",
        not_after_as_of=True,
    ),
    _currency(),
)

RECALL_FIELDS: tuple[Field, ...] = (
    _ACCOUNT_NO,
    Field(
        "recalled_on",
        True,
        FieldKind.DATE,
        ("撤案日期", "退案日期", "Recalled On", "Recall Date"),
        "Recalled On",
    ),
    Field("reason", False, FieldKind.TEXT, ("撤案原因", "退案原因", "原因", "Reason"), "Reason"),
)

FIELDS: Mapping[ImportKind, tuple[Field, ...]] = MappingProxyType(
    {
        ImportKind.PLACEMENTS: PLACEMENT_FIELDS,
        ImportKind.PAYMENTS: PAYMENT_FIELDS,
        ImportKind.UPDATES: UPDATE_FIELDS,
        ImportKind.RECALL: RECALL_FIELDS,
    }
)

UNIQUE_KEY: Mapping[ImportKind, str] = MappingProxyType(
    {
        ImportKind.PLACEMENTS: "account_no",
        ImportKind.PAYMENTS: "reference",  # the creditor's transaction id
        ImportKind.UPDATES: "account_no",
        ImportKind.RECALL: "account_no",
    }
)
"""The field that must not repeat within one file."""

_ALL_FIELD_NAMES = frozenset(f.name for fields in FIELDS.values() for f in fields)
_SEPARATORS = re.compile(r"[\s_\-.:：/*]+")
_UNIT_SUFFIX = re.compile(r"\((?:元|人民币|yuan|cny|rmb)\)$")


def header_key(text: str) -> str:
    """The form headers are compared in: NFKC, case-folded, no spaces, separators or unit suffix.

    >>> header_key("Account_No"), header_key("*本金（元）"), header_key("ＩＤ Number")
    ('accountno', '本金', 'idnumber')
    """
    key = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())
    return _UNIT_SUFFIX.sub("", key)


def field_map(kind: ImportKind) -> Mapping[str, Field]:
    return {f.name: f for f in FIELDS[kind]}


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """A creditor's own header names: ``overrides`` maps a file header to a field name.

    Overrides win over the default aliases; an override to :data:`IGNORE` (``""``) makes the
    header ignored. One mapping serves every import kind of the creditor, so an override to a
    field the kind lacks is ignored for that kind.
    """

    creditor_code: str
    overrides: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.overrides.values()) - _ALL_FIELD_NAMES - {IGNORE})
        if unknown:
            raise ValueError(f"column mapping names unknown fields: {', '.join(unknown)}")
        frozen = MappingProxyType({header_key(k): v for k, v in self.overrides.items()})
        object.__setattr__(self, "overrides", frozen)

    @classmethod
    def default(cls, creditor_code: str) -> ColumnMapping:
        return cls(creditor_code)


@dataclass(frozen=True, slots=True)
class Resolved:
    """Which header feeds which field; ``errors`` are on row 1 (the header row)."""

    kind: ImportKind
    columns: Mapping[str, str]  # field name -> header as written in the file
    unmapped: tuple[str, ...]  # headers no field uses: ignored
    errors: tuple[RowError, ...]

    def header_for(self, field_name: str) -> str | None:
        return self.columns.get(field_name)


def _alias_index(kind: ImportKind) -> dict[str, str]:
    index: dict[str, str] = {}
    for f in FIELDS[kind]:
        for alias in (f.name, *f.aliases):
            key = header_key(alias)
            owner = index.setdefault(key, f.name)
            if owner != f.name:
                raise AssertionError(f"alias {alias!r} belongs to {owner} and {f.name}")
    return index


_ALIASES: Mapping[ImportKind, Mapping[str, str]] = MappingProxyType(
    {kind: MappingProxyType(_alias_index(kind)) for kind in ImportKind}
)


def resolve(headers: Sequence[str], kind: ImportKind, mapping: ColumnMapping) -> Resolved:
    """Map ``headers`` to the fields of ``kind``: overrides, then default aliases."""
    fields = field_map(kind)
    aliases = _ALIASES[kind]
    columns: dict[str, str] = {}
    unmapped: list[str] = []
    errors: list[RowError] = []
    for header in headers:
        key = header_key(header)
        target = mapping.overrides.get(key)
        if target is None:
            target = aliases.get(key)
        if not target or target not in fields:
            unmapped.append(header)
            continue
        first = columns.setdefault(target, header)
        if first != header:
            errors.append(row_error(1, header, target, header, ErrorCode.AMBIGUOUS_COLUMN, first))
    for f in fields.values():
        if f.required and f.name not in columns:
            accepted = " / ".join(f.aliases)
            errors.append(row_error(1, f.label_zh, f.name, "", ErrorCode.MISSING_COLUMN, accepted))
    return Resolved(
        kind=kind,
        columns=MappingProxyType(columns),
        unmapped=tuple(unmapped),
        errors=tuple(errors),
    )
