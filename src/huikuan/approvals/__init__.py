"""The team lead's domain: the team board, 调案, maker–checker approvals of proposed plans
(limits per role in :mod:`huikuan.approvals.limits`) and overrides of presumed contact-rule
violations. See ``docs.md`` beside this file for the data flow."""
