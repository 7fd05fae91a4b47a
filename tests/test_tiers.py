import numpy as np
import pytest

from routerlab.errors import ConfigError
from routerlab.tiers import DEFAULT_TIERS, TierMap

TABLE = ("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06", "o1-mini-2024-09-12", "other")


def test_default_maps_the_study_pool_onto_the_openai_trio():
    tiers = TierMap.of()
    assert tiers.mapping == DEFAULT_TIERS
    idx = tiers.indices(["gpt-4.1", "gpt-4.1-nano", "o4-mini", "gpt-4.1"], TABLE)
    assert idx.tolist() == [1, 0, 2, 1]
    assert "stand-ins" in tiers.describe() and "o4-mini -> o1-mini-2024-09-12" in tiers.describe()


def test_parse_keeps_order_and_works_on_a_sweep():
    tiers = TierMap.parse(" a=other , b=gpt-4o-2024-08-06 ,")
    assert tiers.tiers == (("a", "other"), ("b", "gpt-4o-2024-08-06"))
    sweep = np.array([["a", "b"], ["b", "b"]], dtype=object)
    assert tiers.indices(sweep, TABLE).tolist() == [[3, 1], [1, 1]]


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("", "at least one"),
        ("a", "not 'pool_model=table_model'"),
        ("a=b=c", "not 'pool_model=table_model'"),
        ("a=x,a=y", "more than once"),
        ("=x", "empty side"),
    ],
)
def test_parse_rejects_bad_specs(spec, needle):
    with pytest.raises(ConfigError, match=needle):
        TierMap.parse(spec)


def test_choices_outside_the_map_or_targets_outside_the_table_are_named():
    tiers = TierMap.parse("a=nope,b=other")
    with pytest.raises(ConfigError, match=r"\['c'\].*maps a, b"):
        tiers.indices(["a", "c"], TABLE)
    with pytest.raises(ConfigError, match=r"\['nope'\], which the table lacks"):
        tiers.indices(["a"], TABLE)
    with pytest.raises(ConfigError, match=r"no table model for pool model\(s\) \['z'\]"):
        tiers.check(["a", "z"], TABLE)
