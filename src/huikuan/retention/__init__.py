"""Retention (数据保留与删除): ``huikuan retention run --date D``.

Ends agency placements whose period is over (the agency loses access to those cases: nothing
was ever copied out of the platform, so ending the access is the return), and anonymises the
personal data of debtors whose every case closed longer ago than the retention period. Money
records and the audit chain are kept intact.
"""
