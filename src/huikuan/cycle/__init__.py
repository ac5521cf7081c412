"""The daily cycle (日终与自动触达): ``huikuan run-day --date D``.

Named, timed stages, each idempotent: ``ingest`` (receipts waiting to post) → ``nightly`` (close
the day: accrual, DPD, bucket, roll) → ``allocate`` (分案) → ``plan`` (the strategy's actions due
today, each asked of the compliance guard; allowed SMS and email are staged in the outbox with a
unique send key in the same transaction as the decision, call tasks go to the case's agent,
letters and legal referrals are listed) → the summary is stored, so a second run for the same
date changes nothing and returns the stored figures. Sending is the worker's job
(``huikuan worker``).
"""
