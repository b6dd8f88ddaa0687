"""The unified social credit code (GB 32100-2015): 18 characters, its alphabet and its check character."""

import pytest
from django.core.exceptions import ValidationError

from orders.institutions.credit_code import check_character, normalise, validate_credit_code
from orders.institutions.forms import ApplicationForm
from tests.institutions.world import UNION_CODE


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B", UNION_CODE])
def test_well_formed_codes_with_the_right_check_character_pass(code):
    validate_credit_code(code)


def test_a_code_typed_with_spaces_and_in_lower_case_is_read_as_written_on_the_licence():
    assert normalise(" 91350100m000 100y43 ") == "91350100M000100Y43"
    validate_credit_code(" 91350100m000 100y43 ")


def test_check_character_is_thirty_one_minus_the_weighted_sum():
    assert check_character("91350100M000100Y4") == "3"


def test_a_wrong_check_character_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_credit_code("91350100M000100Y44")
    assert error.value.code == "check"


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y433", ""])
def test_a_wrong_length_is_refused(code):
    with pytest.raises(ValidationError) as error:
        validate_credit_code(code)
    assert error.value.code == "length"


@pytest.mark.parametrize("code", ["9135010OM000100Y43", "91350100M000100I43", "91AB0100M000100Y43"])
def test_letters_outside_the_alphabet_or_letters_in_the_division_code_are_refused(code):
    with pytest.raises(ValidationError) as error:
        validate_credit_code(code)
    assert error.value.code == "characters"


@pytest.mark.django_db
def test_the_application_form_tells_what_is_wrong_with_the_code():
    form = ApplicationForm({"credit_code": "91350100M000100Y44"})

    assert not form.is_valid()
    assert "does not check out" in form.errors["credit_code"][0]
