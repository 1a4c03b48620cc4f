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
    import math

    lat0, lon0, r = 55.75, 37.6, 10
    lat_min, lat_max, lon_min, lon_max = bbox(lat0, lon0, r)
    for k in range(360):  # points on the circle, by destination formula
        b, d = math.radians(k), r / 6371.0088
        la0, lo0 = math.radians(lat0), math.radians(lon0)
        la = math.asin(math.sin(la0) * math.cos(d) + math.cos(la0) * math.sin(d) * math.cos(b))
        lo = lo0 + math.atan2(math.sin(b) * math.sin(d) * math.cos(la0), math.cos(d) - math.sin(la0) * math.sin(la))
        assert lat_min <= math.degrees(la) <= lat_max and lon_min <= math.degrees(lo) <= lon_max
    assert haversine_km([lat_max], [lon0], lat0, lon0)[0] <= r + 0.001


def test_bbox_across_the_antimeridian_and_near_a_pole_leaves_longitude_open():
    assert bbox(0, 179.999, 5)[2:] == (-180.0, 180.0)
    assert bbox(89.99, -100, 5)[2:] == (-180.0, 180.0)
