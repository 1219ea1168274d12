"""The synthetic state: households and residents (vectorised, no per-person Python loops).

Households have a head, usually a spouse, children, sometimes the head's parents, and in
older households a married son's wife and grandchildren. Every resident carries the name ids
of the father, mother and husband used by departmental ``father_husband_name`` columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.uid import verhoeff_check_digits
from generator import names as nm
from generator.vec import DAY, age_on, d

AS_OF = d("2025-01-06")  # date of the KYR full refresh; the "today" of the synthetic state
DEATH_WINDOW_START = d("2022-01-01")

ROLES = ["HEAD", "SPOUSE", "SON", "DAUGHTER", "FATHER", "MOTHER", "DAUGHTER_IN_LAW",
         "GRANDSON", "GRANDDAUGHTER"]
R = {r: i for i, r in enumerate(ROLES)}


def _first_names(rng, v, gender, probs_m, probs_f, ids_m, ids_f):
    n = len(gender)
    out = np.empty(n, dtype=np.int64)
    male = gender == "M"
    out[male] = ids_m[rng.choice(len(ids_m), size=int(male.sum()), p=probs_m)]
    out[~male] = ids_f[rng.choice(len(ids_f), size=int((~male).sum()), p=probs_f)]
    return out


def make_uids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` unique 12-digit UIDs (first digit 2-9, Verhoeff check digit) as int64."""
    payload = np.empty(0, dtype=np.int64)
    while len(payload) < n:
        k = n - len(payload) + 16
        new = rng.integers(2 * 10**10, 10**11, size=k, dtype=np.int64)
        payload = np.unique(np.concatenate([payload, new]))
    payload = rng.permutation(payload)[:n]
    digits = (payload[:, None] // (10 ** np.arange(10, -1, -1, dtype=np.int64))) % 10
    check = verhoeff_check_digits(digits).astype(np.int64)
    return payload * 10 + check


def _fewer_first_names(rng, first, gender, district, n_dist, k, pools) -> np.ndarray:
    """Namesake density: each district uses only ``k`` first names per gender (the others
    drawn are mapped onto those, by popularity)."""
    out = first.copy()
    for ids, p, sel in pools(gender):
        pos = np.full(int(ids.max()) + 1, -1)
        pos[ids] = np.arange(len(ids))
        k_ = min(k, len(ids))
        table = np.empty((n_dist, len(ids)), dtype=np.int64)
        for d_ in range(n_dist):
            kept = rng.choice(len(ids), size=k_, replace=False, p=p)
            to = kept[rng.choice(k_, size=len(ids), p=p[kept] / p[kept].sum())]
            to[kept] = kept
            table[d_] = ids[to]
        out[sel] = table[district[sel], pos[first[sel]]]
    return out


def build(rng: np.random.Generator, n_residents: int, villages: pd.DataFrame,
          profile=None) -> pd.DataFrame:
    """Households and residents; ``profile`` (default tuning) sets movers and namesakes."""
    from generator.profiles import TUNING

    profile = profile or TUNING
    v = nm.vocab()
    pools = nm.surname_pools(v)
    ids_m = v.ids(nm.MALE_FIRST)
    ids_f = v.ids(nm.FEMALE_FIRST)
    pm = nm.first_name_probs(len(ids_m), rng, profile.first_name_zipf)
    pf = nm.first_name_probs(len(ids_f), rng, profile.first_name_zipf)
    mid_m = v.ids(nm.MIDDLE_MALE)
    mid_f = v.ids(nm.MIDDLE_FEMALE)

    H = int(n_residents / 4.3) + 50
    # ---- households
    vw = villages["weight"].to_numpy()
    hv = rng.choice(len(villages), size=H, p=vw / vw.sum())
    tribal = rng.random(H) < villages["tribal_share"].to_numpy()[hv]
    surname = np.empty(H, dtype=np.int64)
    caste = np.empty(H, dtype=object)
    for key, mask in (("tribal", tribal), ("plains", ~tribal)):
        ids, p, castes = pools[key]
        pick = rng.choice(len(ids), size=int(mask.sum()), p=p)
        surname[mask] = ids[pick]
        caste[mask] = castes[pick]
    head_age = np.clip(np.round(rng.normal(43, 13, H)), 21, 88).astype(np.int64)
    head_female = rng.random(H) < np.where(head_age > 55, 0.18, 0.05)
    has_spouse = ~head_female & (rng.random(H) < np.where(head_age < 26, 0.6, 0.9))

    parts = []  # list of dicts of arrays; global ids assigned later

    def add(hh, role, gender, age, **extra):
        parts.append(dict(hh=hh, role=np.full(len(hh), R[role]) if isinstance(role, str)
                          else role, gender=gender, age=age, **extra))

    hh_all = np.arange(H)
    add(hh_all, "HEAD", np.where(head_female, "F", "M"), head_age)
    sp_hh = hh_all[has_spouse]
    sp_age = np.maximum(18, head_age[has_spouse] - np.clip(
        np.round(rng.normal(4, 3, len(sp_hh))), 0, 12).astype(np.int64))
    add(sp_hh, "SPOUSE", np.full(len(sp_hh), "F"), sp_age)
    # mother's age for the children
    mother_age = head_age.copy()
    mother_age[has_spouse] = sp_age
    mother_age[~has_spouse & ~head_female] = head_age[~has_spouse & ~head_female] - 4
    lam = np.where(tribal, 2.6, 2.1)
    nk = np.minimum(rng.poisson(lam), 6)
    nk[(~has_spouse) & (~head_female) & (head_age < 30)] = 0
    k_hh = np.repeat(hh_all, nk)
    k_ord = np.arange(len(k_hh)) - np.repeat(np.cumsum(nk) - nk, nk)
    k_age = (mother_age[k_hh] - 20 - k_ord * 3 - rng.integers(0, 4, len(k_hh))).astype(np.int64)
    k_gender = np.where(rng.random(len(k_hh)) < 0.515, "M", "F")
    # adult daughters have mostly married out; sons mostly stay
    stay = (k_age >= 0) & ~((k_age >= 20) & (k_gender == "F") & (rng.random(len(k_hh)) < 0.88)) \
        & ~((k_age >= 25) & (k_gender == "M") & (rng.random(len(k_hh)) < 0.35))
    k_hh, k_age, k_gender = k_hh[stay], k_age[stay], k_gender[stay]
    add(k_hh, np.where(k_gender == "M", R["SON"], R["DAUGHTER"]), k_gender, k_age)
    # the head's parents
    pf_alive = rng.random(H) < np.clip((70 - head_age) / 60, 0, 0.45)
    pm_alive = rng.random(H) < np.clip((78 - head_age) / 60, 0, 0.55)
    ef_age = np.minimum(head_age + rng.integers(22, 34, H), 97)
    em_age = np.minimum(head_age + rng.integers(18, 30, H), 99)
    add(hh_all[pf_alive], "FATHER", np.full(int(pf_alive.sum()), "M"), ef_age[pf_alive])
    add(hh_all[pm_alive], "MOTHER", np.full(int(pm_alive.sum()), "F"), em_age[pm_alive])

    # daughters-in-law for adult sons living at home, and their children
    son_i = np.flatnonzero((k_gender == "M") & (k_age >= 21))
    married = rng.random(len(son_i)) < np.clip((k_age[son_i] - 20) / 8, 0, 0.9)
    son_i = son_i[married]
    dil_hh = k_hh[son_i]
    dil_age = np.maximum(18, k_age[son_i] - rng.integers(1, 6, len(son_i)))
    add(dil_hh, "DAUGHTER_IN_LAW", np.full(len(son_i), "F"), dil_age, son_local=son_i)
    ng = np.minimum(rng.poisson(np.clip((dil_age - 19) / 5, 0, 2.2)), 4)
    g_src = np.repeat(np.arange(len(son_i)), ng)
    g_ord = np.arange(len(g_src)) - np.repeat(np.cumsum(ng) - ng, ng)
    g_age = dil_age[g_src] - 20 - g_ord * 3 - rng.integers(0, 3, len(g_src))
    okg = g_age >= 0
    g_src, g_age = g_src[okg], g_age[okg]
    g_gender = np.where(rng.random(len(g_src)) < 0.515, "M", "F")
    add(dil_hh[g_src], np.where(g_gender == "M", R["GRANDSON"], R["GRANDDAUGHTER"]), g_gender,
        g_age.astype(np.int64), dil_local=g_src)

    # ---- assemble: offsets give each part a global id range
    offs = np.cumsum([0] + [len(p["hh"]) for p in parts])
    hh = np.concatenate([p["hh"] for p in parts])
    role = np.concatenate([p["role"] for p in parts]).astype(np.int64)
    gender = np.concatenate([p["gender"] for p in parts]).astype(object)
    age = np.concatenate([p["age"] for p in parts]).astype(np.int64)
    n = len(hh)
    # positional references by household: head / spouse / elder father / elder mother
    head_id = np.full(H, -1)
    head_id[parts[0]["hh"]] = offs[0] + np.arange(len(parts[0]["hh"]))
    spouse_id = np.full(H, -1)
    spouse_id[parts[1]["hh"]] = offs[1] + np.arange(len(parts[1]["hh"]))
    efather_id = np.full(H, -1)
    efather_id[parts[3]["hh"]] = offs[3] + np.arange(len(parts[3]["hh"]))
    emother_id = np.full(H, -1)
    emother_id[parts[4]["hh"]] = offs[4] + np.arange(len(parts[4]["hh"]))
    kid_global = offs[2] + np.arange(len(parts[2]["hh"]))
    dil_global = offs[5] + np.arange(len(parts[5]["hh"]))

    # names
    first = _first_names(rng, v, gender, pm, pf, ids_m, ids_f)
    if profile.first_names_per_district:
        n_dist = int(villages["district_idx"].max()) + 1
        first = _fewer_first_names(
            rng, first, gender,
            villages["district_idx"].to_numpy()[hv[hh]], n_dist,
            profile.first_names_per_district,
            lambda g: ((ids_m, pm, g == "M"), (ids_f, pf, g != "M")))
    last = surname[hh]
    mid = np.full(n, -1, dtype=np.int64)
    mm = (gender == "M") & (rng.random(n) < 0.12)
    mid[mm] = mid_m[rng.integers(0, len(mid_m), int(mm.sum()))]
    ff = (gender == "F") & (rng.random(n) < 0.14)
    mid[ff] = mid_f[rng.integers(0, 2, int(ff.sum()))]  # Bai / Devi

    # family references: father / mother / husband as global ids (-1 unknown)
    father = np.full(n, -1)
    mother = np.full(n, -1)
    husband = np.full(n, -1)
    head_is_m = ~head_female
    # children of head
    kh = parts[2]["hh"]
    father[kid_global] = np.where(head_is_m[kh], head_id[kh], -1)
    mother[kid_global] = np.where(head_is_m[kh], spouse_id[kh], head_id[kh])
    # head's parents
    father[head_id] = efather_id
    mother[head_id] = emother_id
    husband[spouse_id[has_spouse]] = head_id[has_spouse]
    husband[emother_id[pm_alive]] = efather_id[pm_alive]
    # daughter-in-law's husband is the son; grandchildren's parents
    husband[dil_global] = kid_global[son_i]
    g_global = offs[6] + np.arange(len(parts[6]["hh"]))
    father[g_global] = husband[dil_global[g_src]]
    mother[g_global] = dil_global[g_src]

    # synthetic names for relatives who are not residents (dead or elsewhere)
    syn_fa_first = ids_m[rng.choice(len(ids_m), size=n, p=pm)]
    syn_mo_first = ids_f[rng.choice(len(ids_f), size=n, p=pf)]
    fa_first = np.where(father >= 0, first[np.maximum(father, 0)], syn_fa_first)
    fa_last = last.copy()
    # women married in keep their father's (maiden) surname on the father line
    married_in = np.isin(role, [R["SPOUSE"], R["DAUGHTER_IN_LAW"], R["MOTHER"]]) | (
        (role == R["HEAD"]) & (gender == "F"))
    maiden = np.empty(n, dtype=np.int64)
    tpick = rng.random(n) < 0.5
    for key, mask in (("tribal", tpick), ("plains", ~tpick)):
        ids, p, _ = pools[key]
        maiden[mask] = ids[rng.choice(len(ids), size=int(mask.sum()), p=p)]
    fa_last = np.where(married_in & (father < 0), maiden, fa_last)
    mo_first = np.where(mother >= 0, first[np.maximum(mother, 0)], syn_mo_first)
    hu_first = np.where(husband >= 0, first[np.maximum(husband, 0)], -1)
    # widows heading a household / elder mothers without husband: dead husband's name
    widow_syn = married_in & (husband < 0)
    hu_first = np.where(widow_syn, syn_fa_first[::-1], hu_first)
    hu_mid = np.where(husband >= 0, mid[np.maximum(husband, 0)], -1)
    fa_mid = np.where(father >= 0, mid[np.maximum(father, 0)], -1)

    # dates of birth
    dob = AS_OF - (age * 365.25 + rng.uniform(0, 365, n)).astype(np.int64) * DAY
    age = age_on(dob, AS_OF)

    # order by household then role then age, and remap references
    order = np.lexsort((-age, role, hh))
    inv = np.empty(n, dtype=np.int64)
    inv[order] = np.arange(n)

    def remap(ref):
        r = ref[order]
        return np.where(r >= 0, inv[np.maximum(r, 0)], -1)

    cols = dict(hh=hh, role=role, gender=gender, age=age, dob=dob, first=first, mid=mid,
                last=last, fa_first=fa_first, fa_last=fa_last, fa_mid=fa_mid,
                mo_first=mo_first, hu_first=hu_first, hu_mid=hu_mid)
    df = pd.DataFrame({k: val[order] for k, val in cols.items()})
    df["father_ref"] = remap(father)
    df["mother_ref"] = remap(mother)
    df["husband_ref"] = remap(husband)
    df = df.iloc[:n_residents].reset_index(drop=True)
    n = len(df)
    for c in ("father_ref", "mother_ref", "husband_ref"):
        df.loc[df[c] >= n, c] = -1
    # households kept, renumbered densely in order of appearance
    hh_old = df["hh"].to_numpy()
    uniq, hh_new = np.unique(hh_old, return_inverse=True)
    df["household_key"] = hh_new.astype(np.int64) + 1
    df["village_idx"] = hv[hh_old]
    df["caste"] = caste[hh_old]
    df["tribal"] = tribal[hh_old]
    df["resident_key"] = np.arange(1, n + 1, dtype=np.int64)
    # a handful of transgender residents
    t = rng.random(n) < 0.0004
    df.loc[t & (df["age"].to_numpy() >= 15), "gender"] = "T"

    # deaths in the last three years, by age
    a = df["age"].to_numpy()
    q = np.select([a < 1, a < 45, a < 60, a < 70, a < 80, a < 90],
                  [0.02, 0.0025, 0.008, 0.02, 0.05, 0.11], 0.2) * 3.0
    dead = rng.random(n) < q
    window = (AS_OF - DEATH_WINDOW_START).astype(np.int64) - 8
    dod = DEATH_WINDOW_START + rng.integers(0, window, n) * DAY
    dod = np.maximum(dod, df["dob"].to_numpy() + DAY)
    df["is_deceased"] = dead
    df["date_of_death"] = np.where(dead, dod, np.datetime64("NaT"))
    # widowhood: a wife whose husband is dead (or absent) is a widow
    href = df["husband_ref"].to_numpy()
    husband_dead = (href >= 0) & dead[np.maximum(href, 0)]
    role_arr = df["role"].to_numpy()
    married_in = np.isin(role_arr, [R["SPOUSE"], R["DAUGHTER_IN_LAW"], R["MOTHER"]]) | (
        (role_arr == R["HEAD"]) & (df["gender"].to_numpy() == "F"))
    df["is_widow"] = married_in & ((href < 0) | husband_dead) & (a >= 25)
    df["is_disabled"] = rng.random(n) < np.where(a >= 60, 0.05, 0.015)
    # phones: most adults; a household shares the head's number on lists
    phone = rng.integers(6 * 10**9, 10**10, n, dtype=np.int64)
    has_phone = (a >= 18) & (rng.random(n) < 0.62)
    df["phone"] = np.where(has_phone, phone, 0)
    # UIDs; enrolment in KYR: infants often not enrolled, a few adults neither
    df["uid"] = make_uids(rng, n)
    not_enrolled = rng.random(n) < np.where(a < 5, 0.45, 0.012)
    late = not_enrolled & (rng.random(n) < 0.35) & ~dead  # enrol before the delta delivery
    df["kyr_status"] = np.where(not_enrolled, np.where(late, "delta_add", "none"), "full")
    df.loc[not_enrolled & ~late, "uid"] = 0
    # households that moved since the departments listed them (KYR delta carries the move)
    moved_hh = rng.random(len(uniq)) < profile.moved_households
    mv = moved_hh[hh_new]
    far = rng.random(len(uniq)) < profile.moved_far
    orig = df["village_idx"].to_numpy()
    blk = villages["block_idx"].to_numpy()
    b_start = np.searchsorted(blk, np.arange(blk.max() + 1), side="left")
    b_count = np.bincount(blk, minlength=blk.max() + 1)
    # new village per household: another in the same block (70%) or anywhere in the state
    h_orig = np.zeros(len(uniq), dtype=np.int64)
    h_orig[hh_new] = orig
    hb = blk[h_orig]
    near = b_start[hb] + (rng.random(len(uniq)) * b_count[hb]).astype(np.int64)
    anywhere = rng.integers(0, len(villages), len(uniq))
    h_new = np.where(far, anywhere, near)
    h_new = np.where(h_new == h_orig, (h_new + 1) % len(villages), h_new)
    new_v = np.where(mv, h_new[hh_new], orig)
    df["orig_village_idx"] = orig
    df["village_idx"] = new_v
    df["moved"] = new_v != orig
    return df
