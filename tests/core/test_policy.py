"""Product policies survive storage unchanged, and bad ones are refused."""

import json

import pytest
from hypothesis import given

from huikuan.core.policy import ProductPolicy, cost_cap_from_lpr, policy_from_dict, policy_to_dict
from tests.strategies import policies_strategy


@given(policies_strategy)
def test_policy_round_trips_through_json(policy: ProductPolicy) -> None:
    stored = json.loads(json.dumps(policy_to_dict(policy)))
    assert policy_from_dict(stored) == policy


def test_unknown_fields_and_bad_values_are_refused() -> None:
    stored = policy_to_dict(ProductPolicy(code="CC"))
    with pytest.raises(ValueError, match="unknown field"):
        policy_from_dict({**stored, "interest_rat_ppm": 5})
    with pytest.raises(ValueError, match="negative"):
        ProductPolicy(code="X", interest_rate_ppm=-1)
    with pytest.raises(ValueError, match="ceiling below its floor"):
        ProductPolicy(code="X", late_fee_floor=1_000, late_fee_ceiling=500)


def test_four_times_lpr() -> None:
    assert cost_cap_from_lpr(30_000) == 120_000
    assert cost_cap_from_lpr(30_000, multiple=6) == 180_000
