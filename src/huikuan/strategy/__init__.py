"""Collection strategies (催收策略): segments mapped to treatments, champion / challenger arms.

Data flow, once a night after ageing (DPD and bucket are known):

1. :func:`~huikuan.strategy.document.load_strategy` / ``default_strategy()``: a versioned YAML
   document → a frozen :class:`~huikuan.strategy.document.Strategy`; every mistake is
   reported with its path and YAML line.
2. :func:`~huikuan.strategy.planning.assign_segments`: accounts frame → ``segment`` column,
   first matching segment wins, null when none matches (:func:`dry_run` lists them).
3. :func:`~huikuan.strategy.planning.assign_arms`: a stable BLAKE2b hash of strategy code and
   account id → slot 0…9999 → champion / challenger / hold-out arm.
4. :func:`~huikuan.strategy.planning.due_actions`: the steps firing on the day (DPD or a
   day offset from the due date, e.g. D-3 and D-1 pre-due reminders), less those stopped by
   an exit condition and the hold-out arm, each action carrying its arm.
5. Dispatch (elsewhere) puts every action through the compliance guard before it goes out.
"""

from huikuan.strategy.document import (
    Arm,
    Channel,
    ExitOn,
    Segment,
    Step,
    Strategy,
    StrategyError,
    Treatment,
    default_strategy,
    load_strategy,
    strategy_from_yaml,
)
from huikuan.strategy.planning import (
    ACTION_SCHEMA,
    DryRun,
    arm_of,
    arm_slot,
    assign_arms,
    assign_segments,
    dry_run,
    due_actions,
)

__all__ = [
    "ACTION_SCHEMA",
    "Arm",
    "Channel",
    "DryRun",
    "ExitOn",
    "Segment",
    "Step",
    "Strategy",
    "StrategyError",
    "Treatment",
    "arm_of",
    "arm_slot",
    "assign_arms",
    "assign_segments",
    "default_strategy",
    "dry_run",
    "due_actions",
    "load_strategy",
    "strategy_from_yaml",
]
