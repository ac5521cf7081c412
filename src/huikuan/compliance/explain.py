"""A verdict written for a person: what was decided, why, by which rule, and when to try again."""

from __future__ import annotations

from huikuan.compliance.verdict import Decision, Verdict

_HEADLINE = {
    Decision.ALLOWED: ("允许", "allowed"),
    Decision.BLOCKED: ("禁止", "blocked"),
    Decision.DEFERRED: ("暂缓", "deferred"),
}


def explain(verdict: Verdict) -> str:
    zh, en = _HEADLINE[verdict.decision]
    lines = [f"结论 / decision: {zh} / {en}"]
    if verdict.next_allowed_at is not None:
        lines.append(f"最早可联系时间 / next allowed: {verdict.next_allowed_at.isoformat()}")
    for title, items in (
        ("原因 / reasons", verdict.reasons),
        ("提示 / warnings", verdict.warnings),
    ):
        if not items:
            continue
        lines.append(f"{title}:")
        for item in items:
            override = (
                " (可申请主管复核 / supervisor override possible)" if item.override_eligible else ""
            )
            lines.append(f"  - [{item.pack} {item.pack_version}] {item.rule_id}{override}")
            lines.append(f"    {item.message_zh}")
            lines.append(f"    {item.message}")
    if verdict.decision is Decision.ALLOWED and not verdict.warnings:
        lines.append("没有规则阻止此次联系 / no rule stops this contact")
    return "\n".join(lines)
