"""The foundation's acceptance over the real datasets, through the running product."""
import requests


def search(stack, **params):
    resp = requests.get(stack.url("search") + "/v1/search", params=params, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_the_product_is_up_with_the_real_data_within_three_minutes(stack):
    assert stack.ready_after < 180
    for service in ("ingest", "search"):
        assert requests.get(stack.url(service) + "/readyz", timeout=5).json()["status"] == "ready"
    log = stack.output.read_text()
    assert stack.url("search") in log and stack.url("ingest") in log  # the URLs are printed


def test_tennis_near_ps_121_finds_the_junior_tennis_league_there_first(stack):
    body = search(stack, q="tennis", lat=40.8661, lon=-73.8510, radius_km=2)
    first = body["results"][0]
    assert first["provider"]["name"] == "New York Junior Tennis League"
    assert "P.S. 121" in first["venue"]["name"]
    assert first["distance_km"] is not None and first["distance_km"] < 0.1
    assert body["facets"]["category"] and body["facets"]["district"]


def test_russian_stemming_finds_football_sections(stack):
    body = search(stack, q="футболом", per_page=100)
    assert body["total"] >= 200
    assert any(r["title"] == "Футбол" for r in body["results"])


def test_yo_folding_finds_the_district_spelled_without_it(stack, datasets_root):
    import csv

    rows = list(csv.DictReader(open(datasets_root / "moscow-sections/451_sportivnye_sektsii_goroda_moskvy.csv",
                                    encoding="utf-8"), delimiter="\t"))
    in_district = sum(1 for r in rows if r["Район"] == "Савелки")
    assert in_district > 0
    for q in ("Савёлки", "Савелки"):
        body = search(stack, q=q, per_page=100)
        assert body["total"] >= in_district
        assert all("Савёлки" in (r["venue"]["district"] or "") or "Савелки" in r["description"]
                   for r in body["results"][:in_district])


def test_a_childs_age_keeps_elementary_and_drops_seniors_and_adults(stack):
    body = search(stack, q="Elementary", age=8, per_page=100)
    assert body["total"] > 100
    for q in ("Seniors", "Adults"):
        total = search(stack, q=q)["total"]
        assert total > 0
        kept = search(stack, q=q, age=8, per_page=100)["results"]
        assert all(r["age_min"] is None or r["age_min"] <= 8 for r in kept)
        assert search(stack, q=q, age=8)["total"] < total


def test_a_submission_approved_by_an_editor_becomes_searchable(stack):
    token = (stack.env["AFTERCLASSES_DATA_DIR"] + "/editor-token")
    token = open(token).read().strip()
    ingest = stack.url("ingest")
    sub = requests.post(ingest + "/v1/submissions", json={
        "kind": "activity", "provider": {"name": "Bronx Robotics Lab"},
        "activity": {"title": "Robotics for beginners", "category": "science.robotics", "age_min": 9, "age_max": 13,
                     "venue": {"name": "Library", "lat": 40.867, "lon": -73.85}}}, timeout=10).json()
    resp = requests.post(f"{ingest}/v1/review/{sub['id']}/approve", headers={"Authorization": f"Bearer {token}"},
                         json={"note": "ok"}, timeout=10)
    assert resp.status_code == 200
    stack.wait_until(lambda: search(stack, q="robotics beginners")["total"] == 1, timeout=15,
                     what="the approved entry to be searchable")
