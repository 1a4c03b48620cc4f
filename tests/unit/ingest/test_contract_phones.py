"""Phones in the contract: what departments publish passes, words that are not a number do not."""
import pytest
from marshmallow import ValidationError

from afterclasses.contracts.schemas import ContactSchema, ProviderFieldsSchema


@pytest.mark.parametrize("phone", [
    "+1 718-231-3239", "+7 499 261-07-11, +7 499 261-03-83", "+1 718-231-3239 ext. 12",
    "(495) 123-45-67 доб.123 (495) 765-43-21", "718.555.0100 or 718.555.0101", "555-1234", "718-555-0100 x12/13",
])
def test_published_shapes_of_phone_cells_are_phones(phone):
    assert ContactSchema().load({"phone": phone})["phone"] == phone
    assert ProviderFieldsSchema().load({"name": "Club", "phone": phone})["phone"] == phone


@pytest.mark.parametrize("phone", ["call me", "12", "ask at the desk 12345", "<script>alert(1)</script> 12345",
                                   "٠١٢٣٤٥٦٧", "𝟏𝟐𝟑𝟒𝟓𝟔",
                                   "5" * 101])
def test_what_is_not_a_number_is_a_field_error(phone):
    with pytest.raises(ValidationError) as err:
        ContactSchema().load({"phone": phone})
    assert list(err.value.messages) == ["phone"]
