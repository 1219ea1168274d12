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

from generator import names as nm
from generator import places as pl
from generator.vec import cat, where


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


# The rates per source live in ``profiles.py`` (one profile per kind of state).


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
                 noise: NameNoise, fx=None, late: np.ndarray | None = None) -> pa.Array:
    """Names as a department writes them.

    ``fx`` is a ``(FieldNoise, rng)`` pair for the field profile's kinds of noise (drawn from
    their own stream, so the tuning profile, which passes None, is unchanged); ``late`` marks
    names of dead relatives that may carry a 'Late' prefix.
    """
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
    if fx is not None:
        f, m, lst = _field_tokens(fx[1], fx[0], v, (first, f), (mid, m), (last, lst))
    a = np.where(swap, lst, f)
    c = np.where(swap, f, lst)
    out = cat(pa.array(a, pa.string()), pa.array(m, pa.string()), pa.array(c, pa.string()),
              sep=" ")
    if fx is not None and late is not None and fx[0].late_prefix:
        frng = fx[1]
        lt = late & (frng.random(n) < fx[0].late_prefix)
        pre = np.array(LATE_PREFIXES, dtype=object)[frng.integers(0, len(LATE_PREFIXES), n)]
        out = where(lt, cat(pa.array(pre, pa.string()), out, sep=" "), out)
    if noise.honorific:
        h = rng.random(n) < noise.honorific
        hon = np.where(
            female,
            np.where(age < 18, np.array(nm.HONORIFIC_GIRL, dtype=object)[rng.integers(0, 3, n)],
                     np.array(nm.HONORIFIC_FEMALE, dtype=object)[rng.integers(0, 4, n)]),
            np.array(nm.HONORIFIC_MALE, dtype=object)[rng.integers(0, 4, n)])
        out = where(h, cat(pa.array(hon, pa.string()), out, sep=" "), out)
    return apply_case(rng, out, noise.case)


LATE_PREFIXES = ["Late", "Late", "Swa.", "Swargiya", "Lt.", "Swargiy", "Late."]


def _field_tokens(frng: np.random.Generator, fx, v: nm.Vocab, *tokens):
    """The field profile's name noise on (ids, rendered) token pairs of first, middle, last.

    Only tokens still in their canonical spelling are folded or mistyped (the tuning kinds
    of noise stay as drawn); a dropped surname leaves first (and middle) name only.
    """
    ft = nm.field_tables()
    out = []
    typo_tok = frng.integers(0, len(tokens), len(tokens[0][0]))
    typo = frng.random(len(typo_tok)) < fx.key_typo
    for k, (ids, forms) in enumerate(tokens):
        forms = forms.copy()
        safe = np.maximum(ids, 0)
        plain = (ids >= 0) & (forms == v.tokens[safe])
        fold = plain & (ft.n_folds[safe] > 0) & (frng.random(len(ids)) < fx.fold)
        j = (frng.random(int(fold.sum())) * ft.n_folds[safe[fold]]).astype(np.int64)
        forms[fold] = ft.folds[safe[fold], j]
        kt = plain & ~fold & typo & (typo_tok == k)
        forms[kt] = ft.keys[safe[kt], frng.integers(0, ft.N_KEY, int(kt.sum()))]
        out.append(forms)
    f, m, lst = out
    if fx.drop_surname:
        lst[frng.random(len(lst)) < fx.drop_surname] = None
    return f, m, lst


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


def relative_names(rng, res_view: dict, case: str, noise: NameNoise, fx=None,
                   dead: np.ndarray | None = None) -> tuple[pa.Array, np.ndarray]:
    """``father_husband_name``: husband for married women, else father. Returns (names, type).

    ``fx`` (field profile: ``(FieldNoise, rng)``) may add a middle 'Kumar' to the name and,
    where ``dead`` marks a dead relative, a 'Late' prefix.
    """
    married = (res_view["hu_first"] >= 0) & (res_view["gender"] == "F")
    first = np.where(married, res_view["hu_first"], res_view["fa_first"])
    mid = np.where(married, res_view["hu_mid"], res_view["fa_mid"])
    last = np.where(married, res_view["last"], res_view["fa_last"])
    g = np.full(len(first), "M", dtype=object)
    age = np.full(len(first), 50)
    if fx is not None and fx[0].relative_kumar:
        kumar = (mid < 0) & (fx[1].random(len(mid)) < fx[0].relative_kumar)
        mid = np.where(kumar, nm.vocab().index["Kumar"], mid)
    names = render_names(rng, first, mid, last, g, age,
                         NameNoise(**{**noise.__dict__, "case": case}), fx=fx, late=dead)
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

    def district(self, rng, village_idx: np.ndarray, p_old: float, p_alias: float,
                 p_typo: float, fx=None) -> np.ndarray:
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
        if fx is not None and fx[0].district_loose:
            # field: the name written loosely - mostly old parent names (a quarter as often
            # for current names): a letter dropped or swapped, "(CG)", the HQ town in brackets
            frng, p_loose = fx[1], fx[0].district_loose
            shown = np.where(old, par, di)
            lo = ~al & ~ty & (frng.random(n) < np.where(old, p_loose, p_loose / 4))
            loose = self._loose_table()
            out[lo] = loose[shown[lo], frng.integers(0, loose.shape[1], int(lo.sum()))]
        return out

    def _loose_table(self) -> np.ndarray:
        if not hasattr(self, "_loose"):
            rng = np.random.default_rng(2203)
            rows = []
            for name in pl.DISTRICT_NAMES:
                drop, swap = _drop_letter(name, rng), _swap_letters(name, rng)
                hq = pl.DISTRICT_HQ[name]
                rows.append([drop, swap, f"{name} (CG)", f"{name} (C.G.)", f"{drop} (CG)",
                             f"{name} ({hq})" if hq != name else f"{name} Dist.",
                             f"{swap} ({hq})" if hq != name else f"{name}, Chhattisgarh"])
            self._loose = np.array(rows, dtype=object)
        return self._loose

    def block(self, rng, village_idx: np.ndarray, p_typo: float) -> np.ndarray:
        bi = self.v_block[village_idx]
        out = self.block_names[bi].copy()
        ty = rng.random(len(bi)) < p_typo
        out[ty] = self.btypo[bi[ty], rng.integers(0, 2, int(ty.sum()))]
        return out

    def village(self, rng, village_idx: np.ndarray, p_typo: float, fx=None) -> np.ndarray:
        out = self.vname[village_idx].copy()
        ty = rng.random(len(village_idx)) < p_typo
        out[ty] = self.vtypo[village_idx[ty], rng.integers(0, 2, int(ty.sum()))]
        if fx is not None:
            # field: spellings two edits away, and ward numbers in brackets or after a dash
            frng, f = fx[1], fx[0]
            n = len(village_idx)
            far = ~ty & (frng.random(n) < f.village_far)
            out[far] = self._far_table()[village_idx[far], frng.integers(0, 2, int(far.sum()))]
            wd = frng.random(n) < f.village_ward
            form = np.array(["{} (Ward {})", "{} - {}", "{}-Ward No. {}", "{} (W.No.{})",
                             "{} Ward-{}"], dtype=object)[frng.integers(0, 5, n)]
            ward = frng.integers(1, 21, n)
            out[wd] = [fm.format(v, w) for fm, v, w in zip(form[wd], out[wd], ward[wd],
                                                             strict=True)]
        return out

    def _far_table(self) -> np.ndarray:
        if not hasattr(self, "_far"):
            rng = np.random.default_rng(2204)
            self._far = np.array([[nm._typos(t, rng, 1)[0] for t in nm._typos(x, rng, 2)]
                                  for x in self.vname], dtype=object)
        return self._far


def _drop_letter(name: str, rng: np.random.Generator) -> str:
    i = int(rng.integers(1, len(name) - 1))
    while not name[i].isalpha():
        i = (i % (len(name) - 2)) + 1
    return name[:i] + name[i + 1:]


def _swap_letters(name: str, rng: np.random.Generator) -> str:
    for _ in range(20):
        i = int(rng.integers(1, len(name) - 2))
        if name[i].isalpha() and name[i + 1].isalpha() and name[i] != name[i + 1]:
            return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    return name[:-1] + name[-1] * 2


# ---------------------------------------------------------------- dates and ages (field)

def ages_off(fx, age: np.ndarray) -> np.ndarray:
    """Field profile: a further share of ages off by 1 or 2 years (2 as often as 1)."""
    if fx is None or not fx[0].age_off:
        return age
    frng = fx[1]
    e = frng.random(len(age)) < fx[0].age_off
    age = age.copy()
    age[e] = age[e] + frng.choice([-2, -1, 1, 2], size=int(e.sum()))
    return np.clip(age, 0, 110)


def dates_as_written(fx, dob: np.ndarray, p_year_only: float, p_swap: float) -> np.ndarray:
    """Field profile: a date known by its year only (written 01-01 or 01-07 where the format
    needs a full date), or with day and month swapped (where the day is 12 or less)."""
    if fx is None or not (p_year_only or p_swap):
        return dob
    from generator.vec import ymd

    frng = fx[1]
    n = len(dob)
    y, m, d_ = ymd(dob)
    year_only = frng.random(n) < p_year_only
    # (not in the last year: a swapped date there could fall after the extract)
    swap = ~year_only & (d_ <= 12) & (d_ != m) & (y <= 2023) & (frng.random(n) < p_swap)
    jul = frng.random(n) < 0.3
    out = dob.astype("datetime64[D]").copy()
    ystr = y.astype(str)
    out[year_only] = np.array([f"{yy}-{'07' if j else '01'}-01" for yy, j in
                               zip(ystr[year_only], jul[year_only], strict=True)],
                              dtype="datetime64[D]")
    out[swap] = np.array([f"{yy}-{dd:02d}-{mm:02d}" for yy, mm, dd in
                          zip(ystr[swap], m[swap], d_[swap], strict=True)], dtype="datetime64[D]")
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
