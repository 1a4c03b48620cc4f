from afterclasses_search.adapters.columns import BAND_BITS, band_bits, bbox, day_bits, haversine_km


def bands(lo, hi):
    bits = band_bits(lo, hi)
    return [label for label, bit in BAND_BITS.items() if bits & bit]


def test_age_bands_an_activity_falls_in():
    assert bands(5, 11) == ["3-5", "6-9", "10-13"]
    assert bands(18, None) == ["18+"]
    assert bands(None, None) == list(BAND_BITS)
    assert bands(7.5, 7.5) == ["6-9"]


def test_day_bits():
    assert day_bits(["mon", "mon", "sun"]) == 1 | 64


def test_bbox_contains_the_circle():
    lat_min, lat_max, lon_min, lon_max = bbox(55.75, 37.6, 10)
    for lat, lon in [(lat_min, 37.6), (lat_max, 37.6), (55.75, lon_min), (55.75, lon_max)]:
        assert haversine_km([lat], [lon], 55.75, 37.6)[0] <= 10.001
