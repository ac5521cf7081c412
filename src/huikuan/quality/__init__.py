"""质检 QA and compliance casework: contact samples, score sheets, complaints and disputes.

Data flow (details in ``docs.md``): contact attempts (``huikuan.compliance.models``) → a seeded
sample, screened for banned wording (``huikuan.compliance.content``) → a score sheet per
contact (``scorecard``, stored in ``qa_reviews``) → :func:`service.quality_score` for the
commission run. Complaints and disputes are stored with their deadlines (``sla``) and put the case
on a hold (``huikuan.cases.models.Hold``) that the compliance guard enforces until they close.
"""
