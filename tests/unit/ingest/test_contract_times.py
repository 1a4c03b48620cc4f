"""Session times in the contract: HH:MM in ASCII digits, nothing after."""
import pytest
from marshmallow import ValidationError

from afterclasses.contracts.schemas import SessionSchema


def test_a_time_is_hh_mm():
    assert SessionSchema().load({"weekday": "mon", "start": "15:00", "end": "16:30"})["end"] == "16:30"


@pytest.mark.parametrize("start", ["15:00\n", "１５:００", "٣:٠٠", "24:00", "9:00", "15:00:00"])
def test_anything_else_is_a_field_error(start):
    with pytest.raises(ValidationError) as err:
        SessionSchema().load({"weekday": "mon", "start": start, "end": "16:30"})
    assert "start" in err.value.messages
