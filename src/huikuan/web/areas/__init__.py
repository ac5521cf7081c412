"""Workbench areas: each screen family (calls and promises, approvals, QA, legal, creditor
portal …) is one module in this package, found at start-up, so adding an area touches no
shared file.

An area module defines:

* ``router``: a FastAPI ``APIRouter`` with its HTML pages and its JSON routes under ``/api``
  (both over the same service functions);
* ``NAV``: a tuple of :class:`NavItem` (the label's catalogue key, the link, the roles that see it,
  the order in the menu);
* ``ZH`` and ``EN``: its catalogue entries (keys prefixed with the area's name); a test checks
  both languages have the same keys and no key is defined twice;
* optionally ``HOME``: the landing page of roles whose main work is in this area.

Templates live in ``web/templates/<area>/``; services live in the business domain packages
(``huikuan.cases``, ``huikuan.legal`` …), never here.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from huikuan.org.models import Role


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str  # catalogue key
    href: str
    roles: frozenset[Role]
    order: int = 100


@cache
def modules() -> tuple[ModuleType, ...]:
    """Every area module of this package, by name (the order is stable)."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda item: item.name):
        if not info.name.startswith("_"):
            found.append(importlib.import_module(f"{__name__}.{info.name}"))
    return tuple(found)


def nav_items() -> tuple[NavItem, ...]:
    items = [item for module in modules() for item in getattr(module, "NAV", ())]
    return tuple(sorted(items, key=lambda item: (item.order, item.href)))


def catalogue(language: str) -> dict[str, str]:
    """The areas' catalogue entries of ``language`` (``ZH`` or ``EN``), merged."""
    merged: dict[str, str] = {}
    for module in modules():
        entries: Mapping[str, str] = getattr(module, language.upper(), {})
        duplicated = set(entries) & set(merged)
        if duplicated:
            raise ValueError(f"{module.__name__}: catalogue keys defined twice: {duplicated}")
        merged.update(entries)
    return merged


def homes() -> dict[Role, str]:
    found: dict[Role, str] = {}
    for module in modules():
        found.update(getattr(module, "HOME", {}))
    return found
