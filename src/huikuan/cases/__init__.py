"""Placements (委案批次) and cases: who owes what to whom, who works it, and what happened.

A placement hands a creditor's accounts to an agency (or keeps them in-house) for a period; a
case groups one debtor's accounts within a placement and moves through the life-cycle of
:mod:`huikuan.core.lifecycle`, every transition recorded. Assignment history, holds, promises
and plans hang off the case.
"""
