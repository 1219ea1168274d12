"""``uid_kyr``: a full refresh of every enrolled resident, then a later delta (A/U/D)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generator import names as nm
from generator.feeds.common import DATES, Ctx
from generator.noise import dates_as_written, render_names, stray_spaces
from generator.photos import write_photos
from generator.population import AS_OF
from generator.profiles import FieldNoise
from generator.vec import cat, fmt_date, fmt_ts, nullify, to_str, where, ymd
from generator.writer import write_csv

COLUMNS = ["uid", "name", "name_local", "gender", "dob", "co", "house", "street", "lm", "loc",
           "vtc", "subdist", "dist", "state", "pc", "phone", "email", "photo_file",
           "last_updated"]


def _local_names(res_first, res_mid, res_last) -> pa.Array:
    """Devanagari name where every token has a known rendering, else null."""
    v = nm.vocab()
    f = v.local[res_first]
    m = np.where(res_mid >= 0, v.local[np.maximum(res_mid, 0)], "")
    m_ok = (res_mid < 0) | np.array([x is not None for x in m], dtype=bool)
    lst = v.local[res_last]
    ok = (f != None) & (lst != None) & m_ok  # noqa: E711 (object arrays)
    m = np.where(res_mid >= 0, m, None)
    names = cat(pa.array(np.where(ok, f, None), pa.string()), pa.array(m, pa.string()),
                pa.array(np.where(ok, lst, None), pa.string()), sep=" ")
    return nullify(names, ok)


def _rows(ctx: Ctx, rng, idx: np.ndarray, village_idx: np.ndarray, updated: np.ndarray,
          photo_names: np.ndarray | None, fx_name: str) -> dict:
    res = ctx.residents
    prof = ctx.profile
    fx = ctx.fx(fx_name)
    # KYR itself is clean: of the field kinds only a dropped surname and a swapped dob
    name_fx = None if fx is None else (replace(FieldNoise(), drop_surname=fx[0].kyr_drop_surname),
                                       fx[1])
    vil = ctx.villages
    n = len(idx)
    g = res["gender"].to_numpy()[idx]
    first, mid, last = (res[c].to_numpy()[idx] for c in ("first", "mid", "last"))
    age = res["age"].to_numpy()[idx]
    uid = res["uid"].to_numpy()[idx]
    uid_s = to_str(uid)
    spaced = rng.random(n) < 0.12
    uid_col = where(spaced, cat(pc.utf8_slice_codeunits(uid_s, 0, 4),
                                pc.utf8_slice_codeunits(uid_s, 4, 8),
                                pc.utf8_slice_codeunits(uid_s, 8, 12), sep=" "), uid_s)
    name = render_names(rng, first, mid, last, g, age, prof.names["uid_kyr"], fx=name_fx)
    local = _local_names(first, mid, last)
    local = nullify(local, rng.random(n) < 0.45)
    # dob: full date, year only, or the "declared" 01-01-YYYY of older enrolments
    dob = res["dob"].to_numpy()[idx]
    y, _, _ = ymd(dob)
    r = rng.random(n)
    year_only = r < np.where(age >= 40, *prof.kyr_year_only)
    jan1 = ~year_only & (r < np.where(age >= 40, *prof.kyr_jan1))
    if fx is not None:
        dob = dates_as_written(fx, dob, 0.0, fx[0].kyr_dob_swap)
    dob_s = where(year_only, to_str(y), where(jan1, cat("01-01-", to_str(y)),
                                               fmt_date(dob, "%d-%m-%Y")))
    # care-of line
    married = (res["hu_first"].to_numpy()[idx] >= 0) & (g == "F")
    v = nm.vocab()
    rel_first = np.where(married, res["hu_first"].to_numpy()[idx], res["fa_first"].to_numpy()[idx])
    rel_last = np.where(married, last, res["fa_last"].to_numpy()[idx])
    rel_name = cat(pa.array(v.tokens[rel_first], pa.string()),
                   pa.array(v.tokens[rel_last], pa.string()), sep=" ")
    kind = np.where(married, "W/O", np.where(g == "F", "D/O", "S/O")).astype(object)
    kind[rng.random(n) < 0.05] = "C/O"
    sep = np.where(rng.random(n) < 0.6, ": ", " ").astype(object)
    co = nullify(cat(pa.array(kind, pa.string()), pa.array(sep, pa.string()), rel_name),
                 rng.random(n) < 0.9)
    house = nullify(cat("H.No. ", to_str(rng.integers(1, 400, n))), rng.random(n) < 0.7)
    street = nullify(cat(pa.array(np.array(["Ward ", "Gali No. ", "Mohalla "], dtype=object)[
        rng.integers(0, 3, n)], pa.string()), to_str(rng.integers(1, 25, n))),
        rng.random(n) < 0.3)
    lm = nullify(pa.array(np.array(["Near School", "Near Hanuman Mandir", "Near Panchayat Bhawan",
                                    "Near Talab", "Near Ration Dukan", "Behind Anganwadi"],
                                   dtype=object)[rng.integers(0, 6, n)], pa.string()),
                 rng.random(n) < 0.2)
    loc = nullify(cat(pa.array(v.tokens[last], pa.string()), " Para"), rng.random(n) < 0.3)
    vtc = vil["village_name"].to_numpy()[village_idx]
    subdist = nullify(pa.array(vil["block_name"].to_numpy()[village_idx], pa.string()),
                      rng.random(n) < 0.85)
    dist = ctx.speller.district(rng, village_idx, p_old=prof.old_district["uid_kyr"],
                                p_alias=0.0, p_typo=0.0)
    pc_ = nullify(to_str(vil["pincode"].to_numpy()[village_idx]), rng.random(n) < 0.85)
    phone = res["phone"].to_numpy()[idx]
    phone_s = nullify(to_str(phone), (phone > 0) & (rng.random(n) < 0.8))
    email = nullify(cat(pc.utf8_lower(pa.array(v.tokens[first], pa.string())),
                        to_str(rng.integers(10, 999, n)), "@gmail.com"), rng.random(n) < 0.05)
    cols = {
        "uid": uid_col, "name": stray_spaces(rng, name, 0.01), "name_local": local,
        "gender": g, "dob": dob_s, "co": co, "house": house, "street": street, "lm": lm,
        "loc": loc, "vtc": vtc, "subdist": subdist, "dist": dist,
        "state": np.where(rng.random(n) < 0.97, "Chhattisgarh", "CHHATTISGARH"),
        "pc": pc_, "phone": phone_s, "email": email,
        "photo_file": pa.array(photo_names if photo_names is not None
                               else np.full(n, None, dtype=object), pa.string()),
        "last_updated": fmt_ts(updated),
    }
    return cols


def build(ctx: Ctx) -> None:
    rng = ctx.rng("uid_kyr")
    res = ctx.residents
    status = res["kyr_status"].to_numpy()
    full = np.flatnonzero(status == "full")
    n = len(full)
    # last update times spread over the years before the refresh
    t_end = (AS_OF - np.timedelta64(1, "D")).astype("datetime64[s]")
    updated = t_end - (rng.random(n) * 9 * 365 * 86400).astype(np.int64) * np.timedelta64(1, "s")
    k = min(ctx.photos, n)
    photo_names = np.full(n, None, dtype=object)
    photo_names[:k] = [f"P{ctx.seed % 1000:03d}{i:07d}.jpg" for i in range(k)]
    cols = _rows(ctx, rng, full, res["orig_village_idx"].to_numpy()[full], updated, photo_names,
                 "uid_kyr")
    path = write_csv(ctx.landing, "uid_kyr", DATES["uid_kyr"], "kyr_full_refresh", cols, COLUMNS)
    write_photos(path.parent / "photos", list(photo_names[:k]), ctx.seed)
    ctx.log(f"uid_kyr full refresh: {n:,} rows, {k} photos")

    # ---- delta: new enrolments (A), moves and corrections (U), deactivations of the dead (D)
    rng = ctx.rng("uid_kyr_delta")
    dead = res["is_deceased"].to_numpy()
    new = np.flatnonzero(status == "delta_add")
    moved = np.flatnonzero(res["moved"].to_numpy() & (status == "full") & ~dead)
    deact = np.flatnonzero((status == "full") & dead & (rng.random(len(res)) < 0.3))
    fixes = full[rng.random(n) < 0.004]
    fixes = np.setdiff1d(fixes, np.concatenate([moved, deact]))  # one row per uid
    idx = np.concatenate([new, moved, fixes, deact])
    action = np.concatenate([np.full(len(new), "A"), np.full(len(moved), "U"),
                             np.full(len(fixes), "U"), np.full(len(deact), "D")]).astype(object)
    m = len(idx)
    t0 = AS_OF.astype("datetime64[s]") + np.timedelta64(1, "D")
    upd = t0 + (rng.random(m) * 26 * 86400).astype(np.int64) * np.timedelta64(1, "s")
    perm = rng.permutation(m)
    idx, action, upd = idx[perm], action[perm], upd[perm]
    cols = _rows(ctx, rng, idx, res["village_idx"].to_numpy()[idx], upd, None, "uid_kyr_delta")
    cols["action"] = action
    order = COLUMNS[:-2] + ["action", "last_updated"]  # photo_file left out of the delta
    order = [c for c in order if c != "photo_file"]
    write_csv(ctx.landing, "uid_kyr", DATES["uid_kyr_delta"], "kyr_delta", cols, order)
    ctx.extra["kyr_deactivated"] = res["resident_key"].to_numpy()[deact]
    ctx.log(f"uid_kyr delta: {m:,} rows (A {len(new):,}, U {len(moved) + len(fixes):,}, "
            f"D {len(deact):,})")
