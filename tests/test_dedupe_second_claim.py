"""Two records of one source seeded to one UID are kept together on the seeding's own
posterior that *both* are that UID's person (``dedupe.check_pairs``' ``seeding_keep``):
the joint posterior of the two claims, not the product of the two records' posteriors.

The second record's posterior carries the prior of a person listed twice
(``claimed_weight``, seed.provisional's claimed candidate); the UID's top record's does
not, so the product took the top record to be the UID's person whatever the other's claim.
Read jointly, "only the second one is the UID's person, the top one a namesake" is as
likely a priori as the converse: the top record's doubt weighs 1 / 2^claimed_weight
times more. Tuning 1M seed 7, pairs kept on the seeding alone (no pair model edge) whose
top record was under 0.999: 10 of 22 were two people, where the product said 5%."""

from __future__ import annotations

from test_dedupe_decision import _run

V1 = {"village_code": "V1"}


def test_a_second_claim_beside_a_doubtful_top_record_goes_to_review():
    # b claims T1 at p ~1 after the listed-twice prior; the top record a (more weight,
    # but a runner-up of its own) is at 0.998: the product 0.998 kept them together,
    # jointly either may be the namesake (0.94)
    recs = {"a": V1, "b": V1}
    prov = {"a": ("seeded", "T1", 30.0, 0.998), "b": ("seeded", "T1", 29.0, 0.99999)}
    res, seeding, _ = _run(recs, [("a", "b", 0.6)], prov)
    assert res["a"] != res["b"]
    assert seeding.loc["b", "reason"] == "uid_conflict"   # the weaker claim: a person
    assert seeding.loc["a", "match_status"] == "seeded"
    # the product (joint_claims off) kept them together
    res, _, _ = _run(recs, [("a", "b", 0.6)], prov, joint_claims=False)
    assert res["a"] == res["b"]
    # the pair model's own evidence still keeps them (the conflict threshold)
    res, seeding, _ = _run(recs, [("a", "b", 0.995)], prov)
    assert res["a"] == res["b"] and seeding.loc["b", "match_status"] == "seeded"


def test_a_copy_beside_a_certain_top_record_stays():
    # the top record at p ~1: the joint posterior is the second record's own (0.99)
    recs = {"a": V1, "b": V1}
    prov = {"a": ("seeded", "T1", 40.0, 0.999999), "b": ("seeded", "T1", 25.0, 0.99)}
    res, seeding, _ = _run(recs, [("a", "b", 0.6)], prov)
    assert res["a"] == res["b"] and seeding.loc["b", "match_status"] == "seeded"


def _together(source_weight: float | None, default_weight: float) -> bool:
    """The first test's pair, with the listed-twice prior ``default_weight`` for every
    source and ``source_weight`` for the test's own source 'pds' (None: the default)."""
    from dataclasses import replace

    import test_dedupe_decision as tdd

    real = tdd.load_settings

    def weights():
        s = real()
        srcs = {k: replace(v, claimed_weight=default_weight) for k, v in s.sources.items()}
        if source_weight is not None:
            srcs["pds"] = replace(s.defaults, claimed_weight=source_weight)
        return replace(s, defaults=replace(s.defaults, claimed_weight=default_weight),
                       sources=srcs)

    tdd.load_settings = weights
    try:
        prov = {"a": ("seeded", "T1", 30.0, 0.998), "b": ("seeded", "T1", 29.0, 0.99999)}
        res, _, _ = _run({"a": V1, "b": V1}, [("a", "b", 0.6)], prov)
    finally:
        tdd.load_settings = real
    return res["a"] == res["b"]


def test_without_a_listed_twice_prior_the_joint_is_the_product():
    # claimed_weight 0 (no prior on the second record either): the product, 0.998
    assert _together(None, 0.0)


def test_a_sources_own_listed_twice_prior_is_the_one_read():
    # the defaults carry no prior, the source its own: the source's decides
    assert not _together(-5.0, 0.0)
    assert _together(0.0, -5.0)
