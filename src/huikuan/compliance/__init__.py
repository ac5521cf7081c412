"""The compliance guard (合规守卫): every contact checked against versioned rule packs.

Data flow: a contact-check request (``request.py``: the debtor, debts, earlier events and the
proposed contact, the JSON format of ``shared/compliance-check-request.md``) → every rule of
every pack that applies to the jurisdiction and is in force on the contact's date
(``packs.py``; the CN packs in ``cn.py``, the US Regulation F pack in ``us.py``, content
screening in ``content.py``) → findings (block, defer until a time, warn) → one
:class:`~huikuan.compliance.verdict.Verdict` (``engine.py``): blocked if any rule blocks,
deferred to the first time every deferring rule allows, otherwise allowed; every reason names
its rule id, pack and pack version, in English and Chinese. Pure: no I/O, no clock.
"""
