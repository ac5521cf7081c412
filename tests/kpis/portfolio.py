"""A small portfolio, built as frames, whose KPIs for March 2026 are worked out by hand.

Period: 2026-03-01 … 2026-03-31 (snapshot "at start" = close of 2026-02-28).

Accounts (creditor 1 unless noted; buckets M0 < M1 < M2 < M3 for both products):

====  ====  =======  ===========  ========  ==========  =================================
acct  case  product  placed       balance   settled_on  bucket history / payments
====  ====  =======  ===========  ========  ==========  =================================
A1    10    CARD     2026-01-10   50,000    —           M1 01-10, M2 02-10, M1 03-15; 20,000 03-15
A2    11    CARD     2026-02-01   0         2026-03-20  M1 02-01; paid 30,000 on 03-20
A3    12    LOAN     2026-02-01   100,000   —           M3 02-01; creditor 2; nothing paid
A4    13    CARD     2026-03-10   40,000    —           M1 03-10, M2 03-25; paid 10,000 04-02 (late)
A5    10    LOAN     2026-01-10   0         2026-02-20  M1 01-10; settled before the period
A6    14    CARD     2026-02-01   60,000    —           M2 02-01, M0 03-31; paid 15,000 on 03-31
====  ====  =======  ===========  ========  ==========  =================================

Satisfaction surveys (agent = the agent of the surveyed contact, not the case's):

==  ====  =====  ======  ========  =====
id  case  agent  sent    answered  score
==  ====  =====  ======  ========  =====
S1  10    7      03-02   03-03     5
S2  11    8      03-05   03-06     3      (case 11's current agent is 7)
S3  12    8      03-10   —         —
S4  13    7      02-25   03-01     4      (sent before the period, answered in it)
S5  14    —      03-30   04-02     1      (a page action; answered after the period)
S6  10    7      04-01   —         —      (after the period: in no figure)
==  ====  =====  ======  ========  =====
"""

from __future__ import annotations

from datetime import date

from huikuan.kpis import frames as kf

START, END = date(2026, 3, 1), date(2026, 3, 31)


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def portfolio() -> kf.KpiFrames:
    accounts = kf.frame(
        [
            (1, 10, 1, "CARD", 100, d(1, 10), 50_000, None),
            (2, 11, 1, "CARD", 100, d(2, 1), 0, d(3, 20)),
            (3, 12, 2, "LOAN", 200, d(2, 1), 100_000, None),
            (4, 13, 1, "CARD", 100, d(3, 10), 40_000, None),
            (5, 10, 1, "LOAN", 100, d(1, 10), 0, d(2, 20)),
            (6, 14, 1, "CARD", 100, d(2, 1), 60_000, None),
        ],
        kf.ACCOUNTS,
    )
    cases = kf.frame(
        [
            (10, 1, 100, None, 1, 7, "active", d(1, 10), None),
            (11, 1, 100, None, 1, 7, "settled", d(2, 1), d(3, 20)),
            (12, 2, 200, 5, 2, 8, "active", d(2, 1), None),
            (13, 1, 100, None, 1, 7, "active", d(3, 10), None),
            (14, 1, 100, None, 2, 8, "active", d(2, 1), None),
            (15, 1, 100, None, 2, 8, "recalled", d(1, 5), d(2, 15)),
        ],
        kf.CASES,
    )
    history = kf.frame(
        [
            (1, d(1, 10), "M1"),
            (5, d(1, 10), "M1"),
            (2, d(2, 1), "M1"),
            (3, d(2, 1), "M3"),
            (6, d(2, 1), "M2"),
            (1, d(2, 10), "M2"),
            (4, d(3, 10), "M1"),
            (1, d(3, 15), "M1"),
            (4, d(3, 25), "M2"),
            (6, d(3, 31), "M0"),
        ],
        kf.HISTORY,
    )
    payments = kf.frame(
        [
            (5, d(2, 20), 8_000),  # before the period: ignored by every KPI
            (1, d(3, 15), 20_000),
            (2, d(3, 20), 30_000),
            (6, d(3, 31), 15_000),
            (4, d(4, 2), 10_000),  # after: only rebuilds A4's opening balance
        ],
        kf.PAYMENTS,
    )
    attempts = kf.frame(
        [
            (10, d(3, 2), "phone", "consumer", "conversation", True, "allowed", [], 7),  # t1 RPC
            (10, d(3, 2), "phone", "consumer", "unanswered", True, "allowed", [], 7),  # t2
            (11, d(3, 3), "phone", "consumer", "conversation", True, "allowed", [], 7),  # t3 RPC
            (12, d(3, 5), "sms", "consumer", "sent", True, "allowed", [], None),  # t4
            (12, d(3, 5), "phone", "consumer", None, False, "blocked", ["CN-QUIET", "CN-CAP6"], 8),
            (14, d(3, 6), "phone", "third_party", "conversation", True, "allowed", [], 8),  # t6
            (14, d(3, 6), "visit", "consumer", "conversation", True, "allowed", [], 8),  # t7 RPC
            (11, d(2, 27), "phone", "consumer", "conversation", True, "allowed", [], 7),  # t8
            (13, d(3, 21), "phone", "consumer", None, False, "deferred", ["CN-QUIET"], 7),  # t9
            (12, d(3, 8), "phone", "consumer", "conversation", True, "allowed", [], 8),  # t10 RPC
        ],
        kf.ATTEMPTS,
    )
    stopped = kf.frame(
        [(13, d(3, 7), "blocked", ["CN-HOLD"]), (13, d(2, 10), "blocked", ["CN-HOLD"])],
        kf.STOPPED_ACTIONS,
    )
    promises = kf.frame(
        [
            (10, d(3, 2), d(3, 10), "kept", 20_000),  # p1
            (11, d(3, 3), d(3, 15), "broken", 30_000),  # p2
            (14, d(2, 20), d(3, 5), "kept", 5_000),  # p4: made in February, due in March
            (14, d(3, 6), d(3, 25), "pending", 5_000),  # p5: due, not judged yet
        ],
        kf.PROMISES,
    )
    complaints = kf.frame([(12, d(3, 9)), (10, d(4, 1))], kf.COMPLAINTS)
    legal = kf.frame([(12, d(2, 20), d(3, 12)), (10, d(3, 1), d(4, 3))], kf.LEGAL)
    activity = kf.frame([(7, d(3, 2)), (7, d(3, 4)), (8, d(2, 2))], kf.ACTIVITY)
    staff = kf.frame([(7, 1, None), (8, 2, 5)], kf.STAFF)
    arms = kf.frame(
        [
            (1, "champion"),
            (2, "challenger"),
            (3, "holdout"),
            (4, "champion"),
            (5, "champion"),
            (6, "challenger"),
        ],
        kf.ARMS,
    )
    severity = kf.frame(
        [(p, b, i) for p in ("CARD", "LOAN") for i, b in enumerate(("M0", "M1", "M2", "M3"))],
        kf.SEVERITY,
    )
    return kf.KpiFrames(
        accounts=accounts,
        cases=cases,
        history=history,
        payments=payments,
        attempts=attempts,
        stopped_actions=stopped,
        promises=promises,
        complaints=complaints,
        legal=legal,
        activity=activity,
        staff=staff,
        arms=arms,
        severity=severity,
        surveys=kf.frame(
            [
                (1, 10, 7, d(3, 2), d(3, 3), 5),
                (2, 11, 8, d(3, 5), d(3, 6), 3),
                (3, 12, 8, d(3, 10), None, None),
                (4, 13, 7, d(2, 25), d(3, 1), 4),
                (5, 14, None, d(3, 30), d(4, 2), 1),
                (6, 10, 7, d(4, 1), None, None),
            ],
            kf.SURVEYS,
        ),
    )
