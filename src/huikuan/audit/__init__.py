"""The append-only audit log: who changed what, and who saw which unmasked personal data.

Data flow: a service that changes a record, imports a file or reveals an unmasked ID or phone
number calls :func:`huikuan.audit.chain.append` with the previous record (the log's head), the
caller-supplied timestamp and a masked ``detail`` → the new record is inserted in the same
transaction as the change it describes, and the head ``(seq, hash)`` is kept beside the log.
``huikuan audit verify`` streams the log in ``seq`` order through
:func:`huikuan.audit.chain.verify_chain` and reports every edited, deleted or inserted row.
"""
