"""Debtors and their accounts: balances by component, schedules, pauses and bucket history.

The ``accounts`` table holds exactly the nightly state of
:class:`huikuan.core.accrual.AccountState` plus its references; ``service.py`` moves it to and
from the nightly pipeline's Polars frame in bulk.
"""
