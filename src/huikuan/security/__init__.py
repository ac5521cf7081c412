"""Protection of personal data at rest: field encryption, key rotation and blind search hashes.

Data flow: settings hold a key-ring spec (``HUIKUAN_DATA_KEYS``, e.g. ``"k2:…,k1:…"``, current
key first) and a separate search key → :class:`~huikuan.security.crypto.FieldCipher` is built
once at start-up → services call ``encrypt`` before writing an ID or phone number (the token goes
into the ``*_enc`` column, ``search_hash`` into the ``*_hash`` column, the masked form is what
screens show by default) and ``decrypt`` only when a permitted user reveals a value, which the
caller records in the audit log (:mod:`huikuan.audit`). A rotation job walks old rows, finds
tokens with ``needs_rotation`` and replaces them with ``rotate``; once none are left, the old key
can be dropped from the spec.
"""
