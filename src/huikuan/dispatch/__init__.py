"""Outbound messages through a transactional outbox.

Data flow::

    decision (guard allows a contact)            same transaction
        └─ outbox.stage(session, [NewMessage…]) ──► outbox_messages row, status ``pending``,
                                                    unique ``send_key``; a second stage of the
                                                    same key is skipped (idempotent)
    worker.run_worker(engine, channels, …)        any number, on any machines
        ├─ outbox.claim(…)   one short transaction: due rows → ``sending`` (claimed_by/at);
        │                    PostgreSQL ``FOR UPDATE SKIP LOCKED``, SQLite one atomic
        │                    ``UPDATE … RETURNING``; rows past ``expires_at`` → ``expired``;
        │                    claims older than the lease (a dead worker's) are taken over
        ├─ outbox.mark_handed(…)   commit "about to hand to the provider" (``handed_at``)
        ├─ channel.send(OutboundMessage)   e.g. SMTP, ``Message-ID`` = the send key
        └─ outbox.mark_sent / mark_retry / mark_failed   own transaction per message;
                             a ``DeliveryReceipt`` row per outcome; permanent failures mark
                             the contact point ``invalid``; a retry that would land after
                             ``expires_at`` expires the message instead of sending it late

Exactly once: the only window in which a message can be sent twice is between the provider
accepting it and ``mark_sent`` committing (a crash there). Such a message is recognisable: it
is found ``sending`` with ``handed_at`` set after its lease ran out ("in doubt"). It is sent
again with the *same* send key (the SMTP ``Message-ID``), so the receiver can discard the
copy, and an ``in_doubt`` receipt records it. Messages claimed but not yet handed over
(``handed_at`` null) are never in doubt. A worker has at most ``concurrency`` messages handed
over and not yet recorded (``huikuan worker --concurrency``, 8 by default), so a crash leaves
at most that many in doubt.
"""
