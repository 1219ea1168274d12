"""Noise injected into departmental records, vectorised over token ids.

Names: transliteration variants, typos, honorifics, initials, swapped order, middle names
dropped or added (Bai / Devi), heavy corruption for a small share. Places: old district
names from before the splits, department spellings, typos, case. Identifiers: wrong and
invalid pre-seeded UIDs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from srdh.generator import names as nm
from srdh.generator import places as pl
from srdh.generator.vec import cat, where


@dataclass(frozen=True)
class NameNoise:
    variant: float = 0.06      # per token: transliteration variant
    typo: float = 0.05         # per record: one typo in one token
    honorific: float = 0.0     # per record: Shri / Smt. / Ku. prefix
    initial: float = 0.02      # first name reduced to an initial ("R. Sahu")
    swap: float = 0.02         # surname first ("Sahu Ramesh")
    drop_middle: float = 0.3   # middle name dropped (of those with one)
    add_middle: float = 0.03   # Bai / Devi / Kumar added
    heavy: float = 0.02        # heavy corruption (several of the above at once)
    case: str = "title"        # title / upper / mixed


KYR_NOISE = NameNoise(variant=0.01, typo=0.01, initial=0.0, swap=0.0, drop_middle=0.0,
                      add_middle=0.0, heavy=0.0)
RELATIVE_NOISE = NameNoise(variant=0.05, typo=0.03, initial=0.05, swap=0.0, drop_middle=0.4,
                           add_middle=0.0, heavy=0.0)


def _token_forms(rng, v: nm.Vocab, ids: np.ndarray, p_variant: float) -> np.ndarray:
    """Canonical spelling, or a variant with probability ``p_variant`` (where one exists)."""
    safe = np.maximum(ids, 0)
    out = v.tokens[safe]
    has = (ids >= 0) & (v.n_variants[safe] > 0) & (rng.random(len(ids)) < p_variant)
    if has.any():
        j = (rng.random(int(has.sum())) * v.n_variants[safe[has]]).astype(np.int64)
        out[has] = v.variants[safe[has], j]
    return out


def render_names(rng: np.random.Generator, first: np.ndarray, mid: np.ndarray,
                 last: np.ndarray, gender: np.ndarray, age: np.ndarray,
                 noise: NameNoise) -> pa.Array:
    v = nm.vocab()
    n = len(first)
    mid = mid.copy()
    female = gender == "F"
    # middle names dropped / added
    if noise.drop_middle:
        mid[(mid >= 0) & (rng.random(n) < noise.drop_middle)] = -1
    if noise.add_middle:
        add = (mid < 0) & (rng.random(n) < noise.add_middle) & (age >= 18)
        f_ids = v.ids(["Bai", "Devi"])
        m_ids = v.ids(["Kumar", "Prasad"])
        mid[add & female] = f_ids[rng.integers(0, 2, int((add & female).sum()))]
        mid[add & ~female] = m_ids[rng.integers(0, 2, int((add & ~female).sum()))]
    heavy = rng.random(n) < noise.heavy
    f = _token_forms(rng, v, first, noise.variant)
    m = np.where(mid >= 0, _token_forms(rng, v, mid, noise.variant), None)
    lst = _token_forms(rng, v, last, noise.variant)
    # one typo in first or last name; heavy: typos in both
    typo = (rng.random(n) < noise.typo) | heavy
    which = rng.random(n) < 0.5
    tf = typo & (which | heavy)
    tl = typo & (~which | heavy)
    f[tf] = v.typos[first[tf], rng.integers(0, v.N_TYPO, int(tf.sum()))]
    lst[tl] = v.typos[last[tl], rng.integers(0, v.N_TYPO, int(tl.sum()))]
    # heavy: women's surname replaced by Bai/Devi, men's by nothing (first + middle only)
    h2 = heavy & (rng.random(n) < 0.4)
    lst[h2 & female] = np.where(rng.random(int((h2 & female).sum())) < 0.5, "Bai", "Devi")
    lst[h2 & ~female] = None
    initial = (rng.random(n) < noise.initial) | (heavy & (rng.random(n) < 0.3))
    if initial.any():
        f[initial] = pc.utf8_slice_codeunits(pa.array(f[initial], pa.string()), 0,
                                             1).to_numpy(zero_copy_only=False) + "."
        m[initial & (mid >= 0)] = pc.utf8_slice_codeunits(
            pa.array(m[initial & (mid >= 0)], pa.string()), 0, 1).to_numpy(
            zero_copy_only=False) + "."
    swap = (rng.random(n) < noise.swap) | (heavy & (rng.random(n) < 0.3))
    a = np.where(swap, lst, f)
    c = np.where(swap, f, lst)
    out = cat(pa.array(a, pa.string()), pa.array(m, pa.string()), pa.array(c, pa.string()),
              sep=" ")
    if noise.honorific:
        h = rng.random(n) < noise.honorific
        hon = np.where(
            female,
            np.where(age < 18, np.array(nm.HONORIFIC_GIRL, dtype=object)[rng.integers(0, 3, n)],
                     np.array(nm.HONORIFIC_FEMALE, dtype=object)[rng.integers(0, 4, n)]),
            np.array(nm.HONORIFIC_MALE, dtype=object)[rng.integers(0, 4, n)])
        out = where(h, cat(pa.array(hon, pa.string()), out, sep=" "), out)
    return apply_case(rng, out, noise.case)


def apply_case(rng: np.random.Generator, arr: pa.Array, case: str) -> pa.Array:
    if case == "upper":
        return pc.utf8_upper(arr)
    if case == "mixed":
        r = rng.random(len(arr))
        return where(r < 0.4, pc.utf8_upper(arr), where(r < 0.45, pc.utf8_lower(arr), arr))
    return arr


def stray_spaces(rng: np.random.Generator, arr: pa.Array, p: float) -> pa.Array:
    """Leading / trailing blanks on a share of values (senders are sloppy)."""
    m = rng.random(len(arr)) < p
    return where(m, cat(" ", arr, " "), arr)


def relative_names(rng, res_view: dict, case: str) -> tuple[pa.Array, np.ndarray]:
    """``father_husband_name``: husband for married women, else father. Returns (names, type)."""
    married = (res_view["hu_first"] >= 0) & (res_view["gender"] == "F")
    first = np.where(married, res_view["hu_first"], res_view["fa_first"])
    mid = np.where(married, res_view["hu_mid"], res_view["fa_mid"])
    last = np.where(married, res_view["last"], res_view["fa_last"])
    g = np.full(len(first), "M", dtype=object)
    age = np.full(len(first), 50)
    names = render_names(rng, first, mid, last, g, age,
                         NameNoise(**{**RELATIVE_NOISE.__dict__, "case": case}))
    rel = np.where(married, "W/O", np.where(res_view["gender"] == "F", "D/O", "S/O"))
    return names, rel


# ---------------------------------------------------------------- places

class PlaceSpeller:
    """Spell districts, blocks and villages the way a department does."""

    def __init__(self, villages) -> None:
        rng = np.random.default_rng(7)
        self.dist_names = np.array(pl.DISTRICT_NAMES, dtype=object)
        parents = pl.parent_of()
        idx = {nme: i for i, nme in enumerate(pl.DISTRICT_NAMES)}
        self.parent = np.array([idx[parents[x][0]] if x in parents else -1
                                for x in pl.DISTRICT_NAMES])
        self.split_year = np.array([parents[x][1] if x in parents else 0
                                    for x in pl.DISTRICT_NAMES])
        aliases = [pl.district_aliases(x) for x in pl.DISTRICT_NAMES]
        self.n_alias = np.array([len(a) for a in aliases])
        self.alias = np.array([[a[j % len(a)] for j in range(4)] for a in aliases], dtype=object)
        self.dist_typo = np.array([nm._typos(x, rng, 3) for x in pl.DISTRICT_NAMES], dtype=object)
        self.vname = villages["village_name"].to_numpy()
        self.vtypo = np.array([nm._typos(x, rng, 2) for x in self.vname], dtype=object)
        self.bname = villages["block_name"].to_numpy()
        blocks = pl.blocks_frame()
        self.block_names = blocks["block_name"].to_numpy().astype(object)
        self.btypo = np.array([nm._typos(x, rng, 2) for x in self.block_names], dtype=object)
        self.v_block = villages["block_idx"].to_numpy()
        self.v_dist = villages["district_idx"].to_numpy()
        self.gp = villages["gp_name"].to_numpy()

    def district(self, rng, village_idx: np.ndarray, p_old: float, p_alias: float = 0.08,
                 p_typo: float = 0.015) -> np.ndarray:
        di = self.v_dist[village_idx]
        n = len(di)
        out = self.dist_names[di].copy()
        par = self.parent[di]
        # old names: more likely the more recent the split
        yr = self.split_year[di]
        p = np.where(yr >= 2022, p_old, np.where(yr >= 2020, p_old * 0.7,
                                                np.where(yr >= 2012, p_old * 0.35, p_old * 0.1)))
        old = (par >= 0) & (rng.random(n) < p)
        out[old] = self.dist_names[par[old]]
        al = ~old & (rng.random(n) < p_alias)
        out[al] = self.alias[di[al], (rng.random(int(al.sum())) * self.n_alias[di[al]]).astype(
            np.int64)]
        ty = ~old & ~al & (rng.random(n) < p_typo)
        out[ty] = self.dist_typo[di[ty], rng.integers(0, 3, int(ty.sum()))]
        return out

    def block(self, rng, village_idx: np.ndarray, p_typo: float = 0.03) -> np.ndarray:
        bi = self.v_block[village_idx]
        out = self.block_names[bi].copy()
        ty = rng.random(len(bi)) < p_typo
        out[ty] = self.btypo[bi[ty], rng.integers(0, 2, int(ty.sum()))]
        return out

    def village(self, rng, village_idx: np.ndarray, p_typo: float = 0.04) -> np.ndarray:
        out = self.vname[village_idx].copy()
        ty = rng.random(len(village_idx)) < p_typo
        out[ty] = self.vtypo[village_idx[ty], rng.integers(0, 2, int(ty.sum()))]
        return out


# ---------------------------------------------------------------- identifiers

def corrupt_uid(rng: np.random.Generator, uid: np.ndarray) -> np.ndarray:
    """Change one digit: Verhoeff catches every single-digit error, so the result is invalid."""
    n = len(uid)
    pos = rng.integers(1, 12, n)  # keep the first digit (2-9)
    p10 = 10 ** (11 - pos)
    digit = (uid // p10) % 10
    new = (digit + rng.integers(1, 10, n)) % 10
    return uid + (new - digit) * p10


def seed_uids(rng, true_uid: np.ndarray, other_uid: np.ndarray, present: float,
              wrong: float, invalid: float) -> tuple[np.ndarray, np.ndarray]:
    """Pre-seeded aadhaar: returns (value int64, 0 = empty) and status (none/correct/wrong/invalid).

    ``other_uid`` is some other real resident's UID (e.g. a family member's) used for wrong seeds.
    Records whose person has no UID (ghosts, unenrolled) can only carry wrong or invalid seeds.
    """
    n = len(true_uid)
    has = rng.random(n) < present
    r = rng.random(n)
    has_true = true_uid > 0
    status = np.full(n, "none", dtype=object)
    val = np.zeros(n, dtype=np.int64)
    is_wrong = has & ((r < wrong) | (~has_true & (r < 0.5))) & (other_uid > 0)
    is_invalid = has & ~is_wrong & ((r < wrong + invalid) | ~has_true)
    base = np.where(has_true, true_uid, np.where(other_uid > 0, other_uid, 0))
    is_invalid &= base > 0
    is_correct = has & ~is_wrong & ~is_invalid & has_true
    val[is_correct] = true_uid[is_correct]
    status[is_correct] = "correct"
    val[is_wrong] = other_uid[is_wrong]
    status[is_wrong] = "wrong"
    val[is_invalid] = corrupt_uid(rng, base[is_invalid])
    status[is_invalid] = "invalid"
    return val, status
