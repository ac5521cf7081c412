"""The pure core: money, calendar, delinquency, accrual, allocation, plans, promises, commissions.

Nothing in this package does I/O or reads the clock: every function takes its business date
(``as_of``) and its policy as parameters, so the same inputs always give the same outputs. The
vectorised nightly run in :mod:`huikuan.nightly` applies the same rules to whole portfolios.
"""
