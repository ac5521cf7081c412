"""ID numbers, mobile numbers and the masks staff see."""

import pytest

from huikuan.core.identity import (
    gb11643_check_char,
    is_valid_cn_id,
    is_valid_cn_mobile,
    mask_id_number,
    mask_phone,
)


def test_gb11643_check_digit_on_the_standards_example() -> None:
    assert gb11643_check_char("11010519491231002") == "X"
    assert is_valid_cn_id("11010519491231002X")
    assert is_valid_cn_id("11010519491231002x")  # lower-case x is accepted
    assert not is_valid_cn_id("110105194912310021")  # wrong check digit
    assert not is_valid_cn_id("1101051949123100")  # too short
    with pytest.raises(ValueError, match="17"):
        gb11643_check_char("1101051949123100A")


def test_mobile_numbers() -> None:
    assert is_valid_cn_mobile("13812345678")
    assert not is_valid_cn_mobile("12812345678")  # no 12x networks
    assert not is_valid_cn_mobile("1381234567")


def test_masks() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("12345") == "*****"
