"""Value parsers and the Moscow gazetteer of the declarative importer."""

import csv

import pytest

from afterclasses.geo import contains, representative_point
from afterclasses_ingest.importer import PARSERS, ParseContext, ParseError, load_gazetteer
from afterclasses_ingest.importer import parsers as p
from afterclasses_ingest.importer.gazetteer import GAZETTEER_DIR, _features


@pytest.mark.parametrize(
    "value, expected",
    [
        ("6 and up", (6, None)),
        ("16+", (16, None)),
        ("14 to 24", (14, 24)),
        ("Elementary", (5, 11)),
        ("Middle School", (11, 14)),
        ("High School", (14, 18)),
        (" High School", (14, 18)),
        ("Elem/MS", (5, 14)),
        ("MS/HS", (11, 18)),
        ("Elem/MS/HS", (5, 18)),
        ("OST", (5, 18)),
        ("grades 6 to 8", (11, 14)),
        ("20-May", (5, 20)),
        ("14-Nov", (11, 14)),
        ("A parent 16 Years Old or Older ", (16, None)),
        ("Adults", (18, None)),
        ("Adult", (18, None)),
        ("Seniors", (60, None)),
        ("ESOL/Civics", (18, None)),
        ("All Ages", (None, None)),
        ("Все возраста", (None, None)),
        ("", (None, None)),
        ("   ", (None, None)),
        ("3 и старше", (3, None)),
        ("18-50", (18, 50)),
        ("до 18", (None, 18)),
        ("с 7 лет", (7, None)),
        ("7 - 17 лет", (7, 17)),
        ("от 7 до 17 лет", (7, 17)),
        ("3,5 и старше", (3.5, None)),
        ("5,5-18", (5.5, 18)),
        ("8-12, 5 и старше", (5, None)),
        ("7-15; 55 и старше", (7, None)),
        ("10-18,  6-9", (6, 18)),
        ("7-12, 14", (7, 14)),
        ("Инвалиды 7-18", (7, 18)),
        ("инвалиды  7-18", (7, 18)),
        ("10-17 (Инвалиды по слуху)", (10, 17)),
        ("7-16, инвалиды", (7, 16)),
        ("Инвалиды от 12", (12, None)),
        ("Инвалиды все возраста", (None, None)),
        ("Пенсионеры-инвалиды", (55, None)),
    ],
)
def test_age_range(value, expected):
    assert p.age_range(value) == expected


@pytest.mark.parametrize(
    "value", ["Adults", "Adult", "Seniors", "ESOL/Civics", "18 и старше", "Пенсионеры-инвалиды"]
)
def test_adult_programmes_keep_a_lower_bound_that_excludes_children(value):
    low, _ = p.age_range(value)
    assert low is not None and low >= 18


@pytest.mark.parametrize("value", ["toddlers", "30-10", "130+", "15-Foo", "6 to"])
def test_age_range_refuses_to_guess(value):
    with pytest.raises(ParseError) as exc:
        p.age_range(value)
    assert exc.value.reason


def test_every_age_value_in_the_department_files_parses(datasets_root):
    files = [
        ("nyc-dycd-afterschool/DYCD_after-school_programs.csv", ",", "Grade Level / Age Group "),
        (
            "moscow-sections/451_sportivnye_sektsii_goroda_moskvy.csv",
            "\t",
            "Возраст занимающихся спортсменов",
        ),
    ]
    for path, delimiter, column in files:
        with open(datasets_root / path, encoding="utf-8", newline="") as f:
            values = {row[column] for row in csv.DictReader(f, delimiter=delimiter)}
        for value in values:
            low, high = p.age_range(value)
            assert low is None or high is None or low <= high, value


@pytest.mark.parametrize(
    "value, expected",
    [
        ("мужской/женский", "any"),
        ("мужской", "boys"),
        ("женский", "girls"),
        ("", "any"),
        (" Мужской ", "boys"),
    ],
)
def test_gender(value, expected):
    assert p.gender(value) == expected


def test_gender_unknown():
    with pytest.raises(ParseError):
        p.gender("взрослые")


def test_text_and_lists():
    assert p.text("Rugby-Remsen Village" + " " * 55) == "Rugby-Remsen Village"
    assert p.text(" \n ") is None
    assert p.split_list("After-School Programs,Summer Program, Summer Camp,,Summer Program") == (
        "After-School Programs",
        "Summer Program",
        "Summer Camp",
    )


def test_numbers_and_coordinates():
    assert p.number(" 40.86608 ") == 40.86608
    assert p.number("3,5") == 3.5
    assert p.number("") is None
    assert p.latitude("-73.85") == -73.85
    with pytest.raises(ParseError):
        p.number("n/a")
    with pytest.raises(ParseError):
        p.latitude("140")


def test_point_in_nyc_location_text():
    location = "2750 THROOP AVENUE10469\n(40.86647902999, -73.850941591207)"
    assert p.point_in_text(location) == (40.86647902999, -73.850941591207)
    assert p.point_in_text("") is None
    assert p.point_in_text("Program Site 10468") is None


@pytest.mark.parametrize(
    "value, expected",
    [
        (
            "2750 THROOP AVENUE10469\n(40.86647902999, -73.850941591207)",
            "2750 Throop Avenue, 10469",
        ),
        ("2201 Avenue\nU 11229\n(40.601233507321, -73.944368541175)", "2201 Avenue U, 11229"),
        ("40 32 99th Street11368\n(40.749678220374, -73.853040688577)", "40 32 99th Street, 11368"),
        ("6302 AVENUE\nU 11234\n(40.61636866748, -73.927732249743)", "6302 Avenue U, 11234"),
        ("", None),
    ],
)
def test_nyc_address(value, expected):
    assert p.nyc_address(value) == expected


def test_contacts():
    assert p.phone("(718) 234-2655ï¿½") == "(718) 234-2655"
    assert p.phone("718.556.1565          ") == "718.556.1565"
    assert p.phone("  ") is None
    # in the international format, so that a tel: link dials them from anywhere
    assert p.international_phone("(718) 234-2655ï¿½", "US") == "+1 718-234-2655"
    assert p.international_phone("(499) 261-07-11, (499) 261-03-83", "RU") == "+7 499 261-07-11, +7 499 261-03-83"
    assert p.international_phone("8 (495) 123-45-67 доб. 12", "RU") == "+7 495 123-45-67 ext. 12"
    assert p.international_phone("ask at the desk: 123", "US") == "ask at the desk: 123"  # kept as written
    assert p.international_phone("нет", "RU") is None
    assert p.email(" dmsh@mail.ru ") == "dmsh@mail.ru"
    assert p.email("") is None
    with pytest.raises(ParseError):
        p.email("нет")
    assert p.website("msprokofiev.ru") == "http://msprokofiev.ru"
    assert p.website("http://dmsh23.ru/") == "http://dmsh23.ru/"
    assert p.website("vk.com›dmsh89") == "http://vk.com/dmsh89"
    assert p.website("сайт в разработке") is None


def test_ru_short_name():
    legal = (
        "Государственное бюджетное образовательное учреждение дополнительного образования детей "
        "города Москвы "
    )
    assert p.ru_short_name(legal + "«Детская музыкальная школа имени А.Н.Скрябина»") == (
        "Детская музыкальная школа имени А.Н.Скрябина"
    )
    assert p.ru_short_name(
        legal + "«Детская школа искусств «Старт» архитектурно-художественного профиля»"
    ) == ("Детская школа искусств «Старт» архитектурно-художественного профиля")
    assert p.ru_short_name(legal + "«Детская художественная школа «Бабенская игрушка»") == (
        "Детская художественная школа «Бабенская игрушка»"
    )
    assert (
        p.ru_short_name(
            "Государственное бюджетное образовательное учреждение города Москвы детская школа "
            "искусств «Юность»"
        )
        == "Детская школа искусств «Юность»"
    )
    assert p.ru_short_name("ДМШ «Весна»") == "ДМШ «Весна»"


def test_ru_accessibility():
    assert p.ru_accessibility("Футбол 7-15") is None
    assert "слуха" in p.ru_accessibility("Бадминтон (для лиц с нарушением слуха) 7-18")
    assert (
        p.ru_accessibility("Плавание Инвалиды 7-18")
        == "Адаптивная секция для людей с инвалидностью"
    )
    assert p.ru_accessibility("Хоккей-следж (для лиц с ПОДА) 10-18").endswith("для лиц с ПОДА")


def test_registry_entries_take_value_and_context(datasets_root):
    ctx = ParseContext(datasets_root)
    assert PARSERS["age_range"]("16+", ctx) == (16, None)
    assert PARSERS["moscow_okrug"]("Восточный АО", ctx) == "ВАО"
    assert {
        "text",
        "split_list",
        "float",
        "latitude",
        "longitude",
        "point_in_text",
        "nyc_address",
        "phone",
        "gender",
        "age_range",
        "moscow_district",
    } <= set(PARSERS)


# --- gazetteer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alias, canonical",
    [
        ("Савелки", "Савёлки"),
        ("  савёлки ", "Савёлки"),
        ("Теплый Стан", "Тёплый Стан"),
        ("Филевский парк", "Филёвский Парк"),
        ("Таганское", "Таганский"),
        ("Поселок Восточный", "Восточный"),
        ("Орехово-Борисово-Северное", "Орехово-Борисово Северное"),
        ("Михайло-Ярцеславское", "Михайлово-Ярцевское"),
        ("Рязановская", "Рязановское"),
        ("Московкий", "Московский"),
        ("Матушкино-Савелки", "Матушкино"),
        ("Панфиловский", "Силино"),
        ("Мосрентген", '"Мосрентген"'),
        ("район Раменки", "Раменки"),
    ],
)
def test_gazetteer_resolves_district_spellings(datasets_root, alias, canonical):
    assert load_gazetteer(datasets_root).district(alias).name == canonical


@pytest.mark.parametrize(
    "name, abbrev",
    [
        ("Восточный АО", "ВАО"),
        ("ВАО", "ВАО"),
        ("ЗелАО", "ЗелАО"),
        ("Зеленоградский АО", "ЗелАО"),
        ("Новомосковкий АО", "НАО"),
        ("Троицкий АО", "ТАО"),
        ("Центральный административный округ", "ЦАО"),
    ],
)
def test_gazetteer_resolves_okrugs(datasets_root, name, abbrev):
    assert load_gazetteer(datasets_root).okrug(name).abbrev == abbrev


def test_gazetteer_district_fields_and_misses(datasets_root):
    gazetteer = load_gazetteer(datasets_root)
    savelki = gazetteer.district("Савелки")
    assert (savelki.okrug, savelki.okrug_name) == ("ЗелАО", "Зеленоградский")
    assert 55.9 < savelki.lat < 56.1 and 37.1 < savelki.lon < 37.3
    assert gazetteer.district("Атлантида") is None
    assert gazetteer.district("") is None
    assert gazetteer.okrug("Атлантида") is None
    assert len(gazetteer.districts()) == 146
    assert load_gazetteer(str(datasets_root)) is gazetteer  # parsed once per directory


def test_representative_points_lie_inside_their_district(datasets_root):
    for feature in _features(datasets_root / GAZETTEER_DIR / "mo.geojson"):
        geometry = feature["geometry"]
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        x, y = representative_point(geometry)
        assert any(contains(polygon[0], x, y) for polygon in polygons), feature["properties"][
            "NAME"
        ]


def test_representative_point_of_a_concave_polygon():
    # a "U": the centroid of the ring falls in the notch, outside the shape
    ring = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]
    x, y = representative_point({"type": "Polygon", "coordinates": [ring]})
    assert contains(ring, x, y)


def test_moscow_district_parser(datasets_root):
    ctx = ParseContext(datasets_root)
    known = p.moscow_district("Савелки", ctx)
    assert (
        known["district"] == "Савёлки"
        and known["okrug"] == "ЗелАО"
        and known["approximate"] is True
    )
    unknown = p.moscow_district("  Атлантида ", ctx)
    assert unknown == {
        "district": "Атлантида",
        "okrug": None,
        "lat": None,
        "lon": None,
        "approximate": False,
    }
    assert p.moscow_okrug("Атлантида АО", ctx) == "Атлантида АО"
