"""Imports every domain's tables so ``Base.metadata`` is complete (migrations, tests)."""

from __future__ import annotations

from huikuan.accounts import models as accounts_models
from huikuan.db.base import Base
from huikuan.nightly import models as nightly_models
from huikuan.org import models as org_models
from huikuan.payments import models as payments_models

__all__ = ["Base", "accounts_models", "nightly_models", "org_models", "payments_models"]
metadata = Base.metadata
