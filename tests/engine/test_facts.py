import pytest

from matchmaker.engine import FACTS, MISSING, FactType, read_facts


def fact(profile, name):
    return read_facts(profile)[FACTS[name].slot]


def test_registry_lists_the_first_facts_in_a_fixed_order():
    assert list(FACTS) == [
        "country",
        "partner_countries",
        "sectors",
        "trl",
        "has_demo",
        "employees",
        "founded_year",
        "prior_pilots",
    ]
    assert [f.slot for f in FACTS.values()] == list(range(len(FACTS)))


def test_registry_gives_each_fact_its_type_label_and_bounds():
    trl = FACTS["trl"]
    assert (trl.type, trl.label, trl.minimum, trl.maximum) == (FactType.INTEGER, "TRL", 1, 9)
    assert FACTS["country"].type is FactType.COUNTRY
    assert FACTS["partner_countries"].type is FactType.COUNTRIES
    assert FACTS["sectors"].type is FactType.SECTORS
    assert FACTS["has_demo"].type is FactType.BOOLEAN
    assert (FACTS["employees"].minimum, FACTS["employees"].maximum) == (0, None)
    assert (FACTS["founded_year"].minimum, FACTS["founded_year"].maximum) == (1800, 2100)


def test_a_full_profile_reads_into_one_slot_per_fact():
    facts = read_facts(
        {
            "country": "ru",
            "partner_countries": ["tw", "IL"],
            "sectors": ["energy", "mobility", "energy"],
            "trl": 6,
            "has_demo": False,
            "employees": 0,
            "founded_year": 2015,
            "prior_pilots": 3,
        }
    )
    assert facts == (
        "RU",
        frozenset({"TW", "IL"}),
        frozenset({"energy", "mobility"}),
        6,
        False,
        0,
        2015,
        3,
    )


def test_an_empty_profile_knows_nothing():
    assert read_facts({}) == (MISSING,) * len(FACTS)


def test_an_empty_partner_list_is_known_but_an_absent_one_is_missing():
    assert fact({"partner_countries": []}, "partner_countries") == frozenset()
    assert fact({}, "partner_countries") is MISSING
    assert fact({"partner_countries": None}, "partner_countries") is MISSING


def test_an_empty_sector_list_is_known():
    assert fact({"sectors": []}, "sectors") == frozenset()


@pytest.mark.parametrize(
    "raw",
    ["RUS", "R", "", "r1", 7, None, ["RU"], "\u0420\u0423"],  # the last: Cyrillic letters
)
def test_a_country_that_is_not_a_two_letter_code_is_missing(raw):
    assert fact({"country": raw}, "country") is MISSING


@pytest.mark.parametrize(
    "raw",
    ["RU", "RU,TW", {"RU": True}, 5, ["RU", 5], ["RU", "RUS"], [None]],
)
def test_partner_countries_that_are_not_a_list_of_codes_are_missing(raw):
    assert fact({"partner_countries": raw}, "partner_countries") is MISSING


def test_partner_countries_accept_any_collection_of_codes():
    assert fact({"partner_countries": ("ru",)}, "partner_countries") == frozenset({"RU"})
    assert fact({"partner_countries": {"RU", "TW"}}, "partner_countries") == frozenset({"RU", "TW"})


@pytest.mark.parametrize("raw", ["energy", ["energy", 3], [""], [["energy"]], 1])
def test_sectors_that_are_not_a_list_of_codes_are_missing(raw):
    assert fact({"sectors": raw}, "sectors") is MISSING


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (6, 6),
        (6.0, 6),
        (1, 1),
        (9, 9),
        (0, MISSING),
        (10, MISSING),
        (6.5, MISSING),
        (True, MISSING),
        ("6", MISSING),
        (float("nan"), MISSING),
        (float("inf"), MISSING),
    ],
)
def test_trl_reads_whole_numbers_within_its_bounds(raw, expected):
    assert fact({"trl": raw}, "trl") == expected


def test_unbounded_integers_accept_large_values_but_not_negative_ones():
    assert fact({"employees": 250_000}, "employees") == 250_000
    assert fact({"employees": -1}, "employees") is MISSING
    assert fact({"founded_year": 1799}, "founded_year") is MISSING


@pytest.mark.parametrize(
    ("raw", "expected"), [(True, True), (False, False), (1, MISSING), ("yes", MISSING)]
)
def test_booleans_must_be_real_booleans(raw, expected):
    assert fact({"has_demo": raw}, "has_demo") is expected


@pytest.mark.parametrize("profile", [None, [], "profile", 42, {1: 2}])
def test_something_that_is_not_a_profile_reads_as_nothing_known(profile):
    assert read_facts(profile) == (MISSING,) * len(FACTS)


def test_a_profile_mapping_that_raises_reads_as_nothing_known():
    class Hostile(dict):
        def get(self, key, default=None):
            raise RuntimeError("no")

    assert read_facts(Hostile()) == (MISSING,) * len(FACTS)


def test_unknown_keys_are_ignored():
    assert read_facts({"trl": 5, "colour": "blue"})[FACTS["trl"].slot] == 5
