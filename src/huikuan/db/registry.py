"""Imports every domain's tables so ``Base.metadata`` is complete (migrations, tests).

Each business domain keeps its tables in ``huikuan.<domain>.models`` (or a ``models`` module in
a sub-package); they are found here by walking the package, so a new domain needs no edit.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import huikuan
from huikuan.db.base import Base


def _model_modules() -> tuple[ModuleType, ...]:
    found = []
    for info in pkgutil.walk_packages(huikuan.__path__, prefix="huikuan."):
        if info.name.rsplit(".", 1)[-1] == "models" and ".migrations" not in info.name:
            found.append(importlib.import_module(info.name))
    return tuple(found)


MODEL_MODULES = _model_modules()
metadata = Base.metadata

__all__ = ["MODEL_MODULES", "Base", "metadata"]
