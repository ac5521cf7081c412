"""Imports every domain's tables so ``Base.metadata`` is complete (migrations, tests)."""

from __future__ import annotations

from huikuan.accounts import models as accounts_models
from huikuan.audit import models as audit_models
from huikuan.calls import models as calls_models
from huikuan.cases import models as cases_models
from huikuan.compliance import models as compliance_models
from huikuan.cycle import models as cycle_models
from huikuan.db.base import Base
from huikuan.dispatch import models as dispatch_models
from huikuan.imports import models as imports_models
from huikuan.messaging import models as messaging_models
from huikuan.nightly import models as nightly_models
from huikuan.org import models as org_models
from huikuan.payments import models as payments_models
from huikuan.web import models as web_models

__all__ = [
    "Base",
    "accounts_models",
    "audit_models",
    "calls_models",
    "cases_models",
    "compliance_models",
    "cycle_models",
    "dispatch_models",
    "imports_models",
    "messaging_models",
    "nightly_models",
    "org_models",
    "payments_models",
    "web_models",
]
metadata = Base.metadata
