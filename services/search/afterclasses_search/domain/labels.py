"""Facet labels in the API's languages (``lang``) for values that are codes: weekdays and price.
Categories take theirs from the taxonomy; age bands and districts are their own labels."""
from __future__ import annotations

DAYS = {
    "en": {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
           "sat": "Saturday", "sun": "Sunday"},
    "ru": {"mon": "Понедельник", "tue": "Вторник", "wed": "Среда", "thu": "Четверг", "fri": "Пятница",
           "sat": "Суббота", "sun": "Воскресенье"},
}
PRICES = {"en": {"true": "free", "false": "paid"}, "ru": {"true": "бесплатно", "false": "платно"}}


def day_label(day: str, language: str) -> str:
    return DAYS.get(language, DAYS["en"])[day]


def price_label(free: str, language: str) -> str:
    """``free`` is the facet's value, "true" or "false"."""
    return PRICES.get(language, PRICES["en"])[free]
