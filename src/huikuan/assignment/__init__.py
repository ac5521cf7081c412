"""Case allocation (分案), manual re-assignment (调案) and what an agency may see (委外).

Data flow::

    cases frame + agents frame + AllocationRules + as_of
      --engine.allocate--> AllocationResult(assignments, unassigned, recalled, load)
    cases + agents + case ids + target agent --engine.reassign--> AssignmentChange records
    agency code + VisibilityPolicy --engine.visible_fields--> the columns an agency may see

Everything here is pure: frames in, frames and records out, no database, no clock. The
nightly run and the team lead's 调案 screen call these functions and store what they return.
"""
