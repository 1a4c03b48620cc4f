"""Declarative mappings: the shipped ones on the real department files, and the format itself."""

import csv
import io
import time

import pytest

from afterclasses_ingest.importer import (
    ImportRecord,
    MappingError,
    RowError,
    load_mapping,
    read_records,
    shipped_mappings,
    validate_record,
)
from afterclasses_ingest.importer.mapping import MAPPINGS_DIR

EXPECTED_ROWS = {
    "nyc-dycd.toml": 1599,
    "moscow-sports.toml": 1761,
    "moscow-music-schools.toml": 107,
    "moscow-art-schools.toml": 20,
    "moscow-arts-schools.toml": 47,
}


@pytest.fixture(scope="module")
def imported(datasets_root):
    """Every shipped mapping read once: file name -> (mapping, items)."""
    return {
        path.name: (m := load_mapping(path), list(read_records(m, datasets_root)))
        for path in shipped_mappings()
    }


def records(imported, name):
    return [item for item in imported[name][1] if isinstance(item, ImportRecord)]


def raw_rows(datasets_root, mapping):
    with open(datasets_root / mapping.file, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=mapping.delimiter))


def test_every_shipped_mapping_is_covered():
    assert sorted(p.name for p in shipped_mappings()) == sorted(EXPECTED_ROWS)


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_every_row_yields_a_valid_record_or_a_row_error(imported, name):
    mapping, items = imported[name]
    assert len(items) == EXPECTED_ROWS[name]
    for item in items:
        if isinstance(item, RowError):
            assert item.reason and item.line >= 2
        else:
            assert (
                isinstance(item, ImportRecord) and item.source == mapping.source and item.source_id
            )
            assert validate_record(item) is None, item
    lines = [item.line for item in items]
    assert lines == sorted(set(lines)) and lines[0] == 2


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_source_ids_are_stable_across_reads(imported, datasets_root, name):
    mapping, first = imported[name]
    again = list(read_records(mapping, datasets_root))
    assert [i.source_id for i in again] == [i.source_id for i in first]
    assert [i.activity for i in again if isinstance(i, ImportRecord)] == [
        i.activity for i in first if isinstance(i, ImportRecord)
    ]


def test_nyc_identical_rows_share_an_id_and_distinct_rows_do_not(imported, datasets_root):
    mapping, items = imported["nyc-dycd.toml"]
    rows = raw_rows(datasets_root, mapping)
    distinct_rows = {tuple(row.values()) for row in rows}
    assert len({item.source_id for item in items}) == len(distinct_rows) == 1598


def test_nyc_lines_point_at_the_start_of_multiline_records(imported, datasets_root):
    mapping, items = imported["nyc-dycd.toml"]
    lines = (datasets_root / mapping.file).read_text("utf-8").split("\n")
    assert items[-1].line > len(items) + 1  # Location 1 spans lines, so lines outrun rows
    header = next(csv.reader(io.StringIO(lines[0])))
    for item in items[:: len(items) // 40]:
        row = next(csv.reader(io.StringIO("\n".join(lines[item.line - 1 : item.line + 3]))))
        assert mapping.source_id.of(dict(zip(header, row))) == item.source_id


def test_nyc_throop_school_is_placed(imported):
    throop = [
        r
        for r in records(imported, "nyc-dycd.toml")
        if r.activity["venue"]["name"] == "P.S. 121 THE THROOP SCHOOL"
        and r.provider["name"] == "New York Junior Tennis League"
    ]
    assert throop
    for record in throop:
        venue = record.activity["venue"]
        assert venue["lat"] == pytest.approx(40.866, abs=1e-3)
        assert venue["lon"] == pytest.approx(-73.851, abs=1e-3)
        assert venue["address"] == "2750 Throop Avenue, 10469"
        assert venue["district"] == "Allerton-Pelham Gardens"
        assert record.activity["title"] == "Out of School Time at P.S. 121 THE THROOP SCHOOL"
        assert record.activity["category"] == "education.after-school"
        # the site's own phone; the League runs 31 sites, so it has none of its own
        assert record.activity["contact"] == {"phone": "+1 718-231-3239"} and not record.provider.get("phone")


def test_nyc_points_come_from_columns_or_location_text(imported):
    venues = [r.activity["venue"] for r in records(imported, "nyc-dycd.toml")]
    placed = [v for v in venues if v["lat"] is not None]
    assert all(v["lon"] is not None for v in placed)
    assert len(placed) >= 1191 + 380  # geocoded columns plus "(lat, lon)" in Location 1


def test_nyc_adult_groups_are_out_of_reach_of_children(imported, datasets_root):
    mapping, items = imported["nyc-dycd.toml"]
    rows = raw_rows(datasets_root, mapping)
    assert len(rows) == len(items)
    adult = [
        (row, item)
        for row, item in zip(rows, items)
        if row["Grade Level / Age Group "].strip() in ("Seniors", "Adults", "Adult")
    ]
    assert len(adult) == 55 + 54 + 20
    assert all(item.activity["age_min"] >= 18 for _, item in adult)


def test_nyc_categories_tags_and_price(imported):
    recs = records(imported, "nyc-dycd.toml")
    by_category = {}
    for r in recs:
        by_category.setdefault(r.activity["category"], []).append(r)
    assert {
        "education.after-school",
        "careers",
        "education.literacy",
        "education.languages",
        "adults",
        "family.housing",
        "social.youth-development",
        "family.immigration",
    } <= set(by_category)
    assert all("Seniors" in r.activity["title"] for r in by_category["adults"])
    assert all(
        r.activity["price"] == {"free": True} and r.activity["language"] == "en" for r in recs
    )
    assert all(r.provider["kind"] == "non-profit" for r in recs)
    tags = {t for r in recs for t in r.activity["tags"]}
    assert {"After-School Programs", "Summer Camp", "Manhattan", "Brooklyn"} <= tags
    assert "Brookyn" not in tags and "New York" not in tags


def test_moscow_sports_rows_all_import_with_a_category_and_a_district(imported):
    _, items = imported["moscow-sports.toml"]
    assert all(isinstance(i, ImportRecord) for i in items)
    for record in items:
        activity = record.activity
        assert activity["category"]
        assert activity["venue"]["district"]
        assert activity["venue"]["approximate"] == (activity["venue"]["lat"] is not None)
        assert record.provider["kind"] == "public"
    assert {r.source_id for r in items} == {str(n) for n in range(1, 1762)}


def test_moscow_sports_savelki_resolves_to_the_canonical_district(imported, datasets_root):
    mapping, items = imported["moscow-sports.toml"]
    rows = raw_rows(datasets_root, mapping)
    savelki = [item for row, item in zip(rows, items) if row["Район"] == "Савелки"]
    assert savelki
    for record in savelki:
        venue = record.activity["venue"]
        assert venue["district"] == "Савёлки" and venue["approximate"] is True
        assert 55.9 < venue["lat"] < 56.1
        assert "ЗелАО" in record.activity["tags"]


def test_moscow_sports_fields(imported):
    first = records(imported, "moscow-sports.toml")[0]
    assert first.source_id == "1"
    assert first.activity["title"] == "Армспорт"
    assert (first.activity["age_min"], first.activity["age_max"]) == (12, 17)
    assert first.activity["gender"] == "any"
    assert first.activity["venue"]["address"] == "Москва, Мичуринский проспект, дом 42"
    assert first.activity["venue"]["district"] == "Раменки"
    assert first.provider["name"] == "ГБУ ЦФКиС ЗАО"
    assert first.activity["contact"] == {"phone": "+7 916 418-86-54"}  # the section's own, not the organiser's
    categories = {
        r.activity["title"]: r.activity["category"] for r in records(imported, "moscow-sports.toml")
    }
    assert categories["Футбол"] == "sports.team.football"
    assert categories["Плавание"] == "sports.water"
    assert categories["Шахматы"] == "sports.mind"
    assert categories["Дзюдо"] == "sports.martial-arts"
    assert categories["Настольный теннис"] == "sports.racket.table-tennis"


def test_moscow_schools_resolve_old_district_names(imported):
    districts = {
        r.activity["venue"]["district"]
        for name in (
            "moscow-music-schools.toml",
            "moscow-art-schools.toml",
            "moscow-arts-schools.toml",
        )
        for r in records(imported, name)
    }
    assert {
        "Матушкино",
        "Силино",
        "Восточный",
        "Михайлово-Ярцевское",
        "Рязановское",
        "Московский",
    } <= districts
    okrugs = {t for r in records(imported, "moscow-arts-schools.toml") for t in r.activity["tags"]}
    assert "НАО" in okrugs  # from the typo "Новомосковкий АО"


def test_reading_both_large_files_is_fast(datasets_root):
    started = time.perf_counter()
    for name in ("nyc-dycd.toml", "moscow-sports.toml"):
        for _ in read_records(load_mapping(MAPPINGS_DIR / name), datasets_root):
            pass
    assert time.perf_counter() - started < 2.0


# --- the mapping format, on a made-up department ------------------------------------------

DEPARTMENT_CSV = (
    "id;name;ages;kind;lat;lon;note\n"
    '1;Chess club;7-12;chess;59.9;30.3;"two\nlines"\n'
    "2;;7-12;chess;;;\n"
    "3;Swim;someday;swim;;;\n"
    "\n"
    "4;Judo;5+;judo\n"
    "5;Art;3-6;painting;;;\n"
)

DEPARTMENT_MAPPING = """
source = "spb-test"
file = "spb/sections.csv"
[format]
delimiter = ";"
[source_id]
column = "id"
[activity]
language = "ru"
tags = ["spb"]
[activity.title]
template = ["{name}", " ({kind})"]
required = true
[activity.category]
column = "kind"
lookup = "kinds"
default = "sports.other"
[activity.age_min]
column = "ages"
parser = "age_range"
item = 0
[activity.venue.lat]
column = "lat"
parser = "latitude"
[activity.venue.lon]
column = "lon"
parser = "longitude"
[provider]
name = "Комитет по спорту"
[lookups.kinds]
chess = "sports.mind"
swim = "sports.water"
painting = "arts.visual"
"""


@pytest.fixture
def department(tmp_path):
    (tmp_path / "spb").mkdir()
    (tmp_path / "spb" / "sections.csv").write_text(DEPARTMENT_CSV, "utf-8")
    path = tmp_path / "spb.toml"
    path.write_text(DEPARTMENT_MAPPING, "utf-8")
    return tmp_path, path


def test_a_new_department_needs_only_a_mapping_file(department):
    root, path = department
    items = list(read_records(load_mapping(path), root))
    assert [type(i).__name__ for i in items] == [
        "ImportRecord",
        "RowError",
        "RowError",
        "RowError",
        "ImportRecord",
    ]
    chess, no_title, bad_age, short, art = items
    assert chess.line == 2 and chess.source_id == "1"
    assert chess.activity == {
        "language": "ru",
        "tags": ["spb"],
        "title": "Chess club (chess)",
        "category": "sports.mind",
        "age_min": 7.0,
        "venue": {"lat": 59.9, "lon": 30.3},
    }
    assert chess.provider == {"name": "Комитет по спорту"}
    assert (no_title.line, no_title.source_id) == (4, "2") and "title" in no_title.reason
    assert bad_age.line == 5 and "age_min" in bad_age.reason and "someday" in bad_age.reason
    assert short.line == 7 and "fields" in short.reason  # the blank line 6 is not a row
    assert art.line == 8 and art.activity["category"] == "arts.visual"
    assert all(validate_record(i) is None for i in (chess, art))


def test_records_do_not_share_mutable_values(department):
    root, path = department
    chess, *_, art = read_records(load_mapping(path), root)
    chess.activity["tags"].append("changed")
    assert art.activity["tags"] == ["spb"]


@pytest.mark.parametrize(
    "change, message",
    [
        (('parser = "age_range"', 'parser = "no_such_parser"'), "unknown parser"),
        (('painting = "arts.visual"', 'painting = "arts.sculpture"'), "unknown category"),
        (("[activity.age_min]", "[activity.age_from]"), "not a field"),
        (('lookup = "kinds"', 'lookup = "sorts"'), "no [lookups.sorts]"),
        (('column = "id"', 'colum = "id"'), "source_id"),
        (("item = 0", "item = 0\nitems = 1"), "unknown key"),
        (("[activity.title]", "[activity.heading]"), "title is required"),
        (('delimiter = ";"', 'delimiter = ";;"'), "delimiter"),
        (('delimiter = ";"', 'delimiter = ";"\nencoding = "klingon"'), "unknown encoding"),
        (('source = "spb-test"', "source = 7"), "must be a string"),
    ],
)
def test_broken_mappings_are_refused_when_loaded(department, change, message):
    _, path = department
    path.write_text(DEPARTMENT_MAPPING.replace(*change), "utf-8")
    with pytest.raises(MappingError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_mapping(path)


def test_a_file_without_a_mapped_column_is_refused_before_any_row(department):
    root, path = department
    path.write_text(DEPARTMENT_MAPPING.replace('column = "ages"', 'column = "age"'), "utf-8")
    with pytest.raises(MappingError, match="lacks column"):
        next(read_records(load_mapping(path), root))


def test_validate_turns_contract_violations_into_row_errors(department):
    root, path = department
    (root / "spb" / "sections.csv").write_text(
        "id;name;ages;kind;lat;lon;note\n1;Chess;7-12;chess;59.9;;\n", "utf-8"
    )
    mapping = load_mapping(path)
    [record] = read_records(mapping, root)
    assert isinstance(record, ImportRecord)  # lat without lon: only the contract knows it is wrong
    [error] = read_records(mapping, root, validate=True)
    assert isinstance(error, RowError) and "lon" in error.reason and error.source_id == "1"


def test_an_unreadable_row_is_reported_and_reading_goes_on(department):
    root, path = department
    huge = "x" * 200_000  # above the csv module's field limit
    (root / "spb" / "sections.csv").write_text(
        f"id;name;ages;kind;lat;lon;note\n1;{huge};;chess;;;\n2;Go;;chess;;;\n", "utf-8"
    )
    error, record = read_records(load_mapping(path), root)
    assert isinstance(error, RowError) and error.line == 2 and "field limit" in error.reason
    assert isinstance(record, ImportRecord) and record.line == 3 and record.source_id == "2"
