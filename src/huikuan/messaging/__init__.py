"""Message templates (消息模板): a versioned store of Jinja2 texts, screened when saved.

Data flow:

1. A person (``huikuan template save``) or :func:`~huikuan.messaging.catalogue.install_defaults`
   hands a subject and body to :func:`~huikuan.messaging.service.save_template`.
2. The service parses them in a sandboxed Jinja2 environment (syntax errors come back with their
   line), renders them with each sample value set, screens every rendering and every literal of
   the source with :func:`huikuan.compliance.content.screen`, and checks the disclosures that
   :mod:`huikuan.messaging.disclosures` requires for the channel and jurisdiction.
3. Any problem refuses the save (all problems listed in English and Chinese, nothing written).
   A clean template becomes a new immutable :class:`~huikuan.messaging.models.MessageTemplate`
   version with its screen report, active if asked (the previous active one retired in the same
   transaction), and the audit log records the save.
4. The day cycle calls :func:`~huikuan.messaging.service.render` with its values; it gets the
   subject, body, row id and version to record, and the text still goes through the contact
   guard before it is sent.
"""
