"""Who may see which cases and which personal data: the one place tenancy is enforced.

Every query for cases goes through :func:`huikuan.access.policy.case_filter`; every unmasked
look at personal data through :func:`huikuan.access.policy.reveal`, which checks the role and the
case scope, decrypts, and writes an audit entry in the same transaction.
"""
