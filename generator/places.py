"""Chhattisgarh's 33 districts, their blocks, the district-split history, and synthetic villages.

District centroids and spreads are rough but inside the right part of the state; block names
are real-ish development blocks of each district. Villages are synthetic (names, LGD codes,
PIN codes, coordinates) and are laid out around their block's centre.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STATE_NAME = "Chhattisgarh"
STATE_LGD = 22
LAT_RANGE = (17.8, 24.1)
LON_RANGE = (80.2, 84.4)

# name, lat, lon, spread (deg), population weight, tribal share, official blocks,
# spellings departments also use (Hindi-in-Latin, old official names, common typos)
DISTRICTS: list[tuple] = [
    ("Balod", 20.73, 81.20, 0.20, 0.85, 0.15,
     ["Balod", "Gunderdehi", "Gurur", "Dondi", "Dondi Lohara"], ["Baalod", "Balodh"]),
    ("Baloda Bazar-Bhatapara", 21.66, 82.16, 0.22, 1.30, 0.10,
     ["Baloda Bazar", "Bhatapara", "Palari", "Kasdol", "Simga"],
     ["Baloda Bazar", "Balodabazar", "Baloda Bajar"]),
    ("Balrampur-Ramanujganj", 23.60, 83.60, 0.25, 0.75, 0.60,
     ["Balrampur", "Ramanujganj", "Rajpur", "Shankargarh", "Kusmi", "Wadrafnagar"],
     ["Balrampur", "Balrampur Ramanujganj", "Balarampur"]),
    ("Bastar", 19.10, 81.95, 0.25, 0.85, 0.70,
     ["Jagdalpur", "Bastar", "Bakawand", "Lohandiguda", "Tokapal", "Darbha", "Bastanar"],
     ["Bastar Jagdalpur", "Basthar"]),
    ("Bemetara", 21.70, 81.53, 0.18, 0.80, 0.08,
     ["Bemetara", "Berla", "Nawagarh", "Saja", "Thankhamharia"], ["Bemetra", "Bemetaraa"]),
    ("Bijapur", 18.80, 80.80, 0.25, 0.28, 0.80,
     ["Bijapur", "Bhopalpatnam", "Usur", "Bhairamgarh"], ["Beejapur", "Vijapur"]),
    ("Bilaspur", 22.08, 82.15, 0.22, 1.60, 0.15,
     ["Bilha", "Masturi", "Takhatpur", "Kota"], ["Bilaaspur", "Belaspur"]),
    ("Dantewada", 18.90, 81.35, 0.20, 0.30, 0.78,
     ["Dantewada", "Geedam", "Katekalyan", "Kuakonda"],
     ["Dakshin Bastar Dantewada", "Dantewara", "Dantewda"]),
    ("Dhamtari", 20.70, 81.55, 0.20, 0.80, 0.26,
     ["Dhamtari", "Kurud", "Magarlod", "Nagri"], ["Dhamtri", "Dhamatari"]),
    ("Durg", 21.19, 81.28, 0.15, 1.70, 0.05,
     ["Durg", "Dhamdha", "Patan"], ["Durgh", "Drug"]),
    ("Gariaband", 20.63, 82.06, 0.25, 0.60, 0.35,
     ["Gariaband", "Chhura", "Fingeshwar", "Mainpur", "Deobhog"],
     ["Gariyaband", "Gariabandh"]),
    ("Gaurela-Pendra-Marwahi", 22.75, 81.90, 0.15, 0.35, 0.50,
     ["Gaurela", "Pendra", "Marwahi"], ["Gaurela Pendra Marwahi", "GPM", "Pendra Road"]),
    ("Janjgir-Champa", 21.97, 82.58, 0.15, 1.00, 0.10,
     ["Akaltara", "Baloda", "Bamhnidih", "Nawagarh", "Pamgarh"],
     ["Janjgir Champa", "Janjgir", "Janjgeer-Champa"]),
    ("Jashpur", 22.88, 84.14, 0.20, 0.85, 0.65,
     ["Jashpur", "Kunkuri", "Pathalgaon", "Bagicha", "Duldula", "Farsabahar", "Kansabel",
      "Manora"], ["Jashpurnagar", "Jaspur"]),
    ("Kabirdham", 22.00, 81.23, 0.22, 0.82, 0.20,
     ["Kawardha", "Bodla", "Pandariya", "Sahaspur Lohara"], ["Kawardha", "Kabeerdham"]),
    ("Kanker", 20.27, 81.49, 0.25, 0.75, 0.55,
     ["Kanker", "Bhanupratappur", "Charama", "Durgkondal", "Koylibeda", "Narharpur",
      "Antagarh"], ["Uttar Bastar Kanker", "Kankar", "North Bastar Kanker"]),
    ("Khairagarh-Chhuikhadan-Gandai", 21.42, 80.98, 0.12, 0.36, 0.15,
     ["Khairagarh", "Chhuikhadan"], ["Khairagarh", "KCG", "Khairagarh Chhuikhadan Gandai"]),
    ("Kondagaon", 19.60, 81.66, 0.22, 0.58, 0.70,
     ["Kondagaon", "Keshkal", "Makdi", "Pharasgaon", "Baderajpur"], ["Kondagoan", "Kondagao"]),
    ("Korba", 22.35, 82.68, 0.22, 1.20, 0.40,
     ["Korba", "Katghora", "Pali", "Podi-Uproda", "Kartala"], ["Korbaa", "Korva"]),
    ("Koriya", 23.26, 82.56, 0.15, 0.45, 0.45,
     ["Baikunthpur", "Sonhat"], ["Korea", "Koria"]),
    ("Mahasamund", 21.10, 82.10, 0.22, 1.03, 0.27,
     ["Mahasamund", "Bagbahara", "Basna", "Pithora", "Saraipali"],
     ["Mahasamand", "Mahasmund"]),
    ("Manendragarh-Chirmiri-Bharatpur", 23.35, 82.05, 0.20, 0.38, 0.45,
     ["Manendragarh", "Khadgawan", "Bharatpur"], ["MCB", "Manendragarh", "Chirmiri"]),
    ("Mohla-Manpur-Ambagarh Chowki", 20.60, 80.75, 0.15, 0.28, 0.60,
     ["Mohla", "Manpur", "Ambagarh Chowki"], ["Mohla Manpur", "MMAC", "Mohala-Manpur"]),
    ("Mungeli", 22.07, 81.68, 0.15, 0.70, 0.10,
     ["Mungeli", "Lormi", "Pathariya"], ["Mungelli", "Mungali"]),
    ("Narayanpur", 19.72, 81.25, 0.20, 0.14, 0.78,
     ["Narayanpur", "Orchha"], ["Narainpur", "Narayanpurr"]),
    ("Raigarh", 21.90, 83.40, 0.22, 1.10, 0.35,
     ["Raigarh", "Pussore", "Kharsia", "Gharghoda", "Tamnar", "Lailunga", "Dharamjaigarh"],
     ["Raygarh", "Raigad"]),
    ("Raipur", 21.25, 81.63, 0.15, 2.20, 0.05,
     ["Abhanpur", "Arang", "Dharsiwa", "Tilda"], ["Raypur", "Raipure"]),
    ("Rajnandgaon", 21.10, 81.03, 0.15, 0.90, 0.20,
     ["Rajnandgaon", "Dongargaon", "Dongargarh", "Chhuriya"],
     ["Rajnandgoan", "Raj Nandgaon", "Rajnandgao"]),
    ("Sakti", 22.03, 82.96, 0.12, 0.65, 0.15,
     ["Sakti", "Dabhra", "Jaijaipur", "Malkharoda"], ["Shakti", "Sakthi"]),
    ("Sarangarh-Bilaigarh", 21.60, 83.08, 0.15, 0.60, 0.25,
     ["Sarangarh", "Bilaigarh", "Baramkela"], ["Sarangarh", "Sarangarh Bilaigarh"]),
    ("Sukma", 18.40, 81.66, 0.22, 0.25, 0.83,
     ["Sukma", "Chhindgarh", "Konta"], ["Sukama", "Sukmaa"]),
    ("Surajpur", 23.22, 82.87, 0.20, 0.79, 0.45,
     ["Surajpur", "Bhaiyathan", "Odgi", "Pratappur", "Premnagar", "Ramanujnagar"],
     ["Surajpur", "Soorajpur"]),
    ("Surguja", 23.12, 83.20, 0.20, 0.85, 0.55,
     ["Ambikapur", "Lakhanpur", "Udaipur", "Lundra", "Batauli", "Mainpat", "Sitapur"],
     ["Sarguja", "Ambikapur", "Surgujaa"]),
]

# (child district, parent district, year it was carved out)
DISTRICT_SPLITS: list[tuple[str, str, int]] = [
    ("Narayanpur", "Bastar", 2007),
    ("Bijapur", "Dantewada", 2007),
    ("Balod", "Durg", 2012),
    ("Bemetara", "Durg", 2012),
    ("Baloda Bazar-Bhatapara", "Raipur", 2012),
    ("Gariaband", "Raipur", 2012),
    ("Balrampur-Ramanujganj", "Surguja", 2012),
    ("Surajpur", "Surguja", 2012),
    ("Kondagaon", "Bastar", 2012),
    ("Mungeli", "Bilaspur", 2012),
    ("Sukma", "Dantewada", 2012),
    ("Gaurela-Pendra-Marwahi", "Bilaspur", 2020),
    ("Mohla-Manpur-Ambagarh Chowki", "Rajnandgaon", 2022),
    ("Khairagarh-Chhuikhadan-Gandai", "Rajnandgaon", 2022),
    ("Sarangarh-Bilaigarh", "Raigarh", 2022),
    ("Manendragarh-Chirmiri-Bharatpur", "Koriya", 2022),
    ("Sakti", "Janjgir-Champa", 2022),
]

# district headquarters towns, written in brackets after a district name on some lists
DISTRICT_HQ: dict[str, str] = {
    "Balod": "Balod", "Baloda Bazar-Bhatapara": "Baloda Bazar",
    "Balrampur-Ramanujganj": "Balrampur", "Bastar": "Jagdalpur", "Bemetara": "Bemetara",
    "Bijapur": "Bijapur", "Bilaspur": "Bilaspur", "Dantewada": "Dantewada",
    "Dhamtari": "Dhamtari", "Durg": "Durg", "Gariaband": "Gariaband",
    "Gaurela-Pendra-Marwahi": "Gaurela", "Janjgir-Champa": "Janjgir", "Jashpur": "Jashpur Nagar",
    "Kabirdham": "Kawardha", "Kanker": "Kanker", "Khairagarh-Chhuikhadan-Gandai": "Khairagarh",
    "Kondagaon": "Kondagaon", "Korba": "Korba", "Koriya": "Baikunthpur",
    "Mahasamund": "Mahasamund", "Manendragarh-Chirmiri-Bharatpur": "Manendragarh",
    "Mohla-Manpur-Ambagarh Chowki": "Mohla", "Mungeli": "Mungeli", "Narayanpur": "Narayanpur",
    "Raigarh": "Raigarh", "Raipur": "Raipur", "Rajnandgaon": "Rajnandgaon", "Sakti": "Sakti",
    "Sarangarh-Bilaigarh": "Sarangarh", "Sukma": "Sukma", "Surajpur": "Surajpur",
    "Surguja": "Ambikapur",
}

# PIN prefix (first four digits) per district; Chhattisgarh PINs run 490xxx-497xxx.
_PIN_BASE = {
    "Raipur": 4921, "Durg": 4910, "Bilaspur": 4950, "Rajnandgaon": 4914, "Raigarh": 4960,
    "Bastar": 4940, "Surguja": 4970, "Korba": 4956, "Janjgir-Champa": 4956,
}

_VILLAGE_HEADS = [
    "Amli", "Bhai", "Bor", "Chand", "Chhuri", "Dev", "Dhaur", "Dongar", "Ganga", "Gond",
    "Harra", "Jam", "Kanhar", "Karan", "Khair", "Kohka", "Kos", "Kud", "Kusum", "Lakh",
    "Mahua", "Mal", "Mohan", "Nawa", "Pali", "Pipar", "Ram", "Rani", "Sem", "Sarai", "Sendh",
    "Son", "Tendu", "Teli", "Bel", "Baghmar", "Kera", "Jhal", "Parsa", "Bhatha", "Murra",
    "Sirri", "Kurmi", "Bhand", "Hathi", "Chor", "Bahera", "Aonra", "Koti", "Nandan",
]
_VILLAGE_TAILS = [
    "pur", "para", "gaon", "dih", "bandh", "khar", "tola", "bahra", "kona", "garh", "pali",
    "bhata", "nagar", "dabri", "khol", "tikra", "dongri", "kasa", "pani", "jhar",
]
_VILLAGE_SUFFIX = ["", "", "", "", "", "", " Khurd", " Kala", " Bada", " Chhota"]

DISTRICT_NAMES = [d[0] for d in DISTRICTS]


def districts_frame() -> pd.DataFrame:
    """One row per district: code (LGD-like, 2 digits), name, centroid, spread, weight."""
    rows = []
    for i, (name, lat, lon, spread, weight, tribal, _blocks, _aliases) in enumerate(DISTRICTS):
        rows.append({"district_idx": i, "district_code": f"{i + 1:02d}", "district_name": name,
                     "lat": lat, "lon": lon, "spread": spread, "weight": weight,
                     "tribal_share": tribal})
    return pd.DataFrame(rows)


def parent_of() -> dict[str, tuple[str, int]]:
    """Child district -> (parent district, split year)."""
    return {c: (p, y) for c, p, y in DISTRICT_SPLITS}


def district_aliases(name: str) -> list[str]:
    for d in DISTRICTS:
        if d[0] == name:
            return list(d[7])
    raise KeyError(name)


def blocks_frame() -> pd.DataFrame:
    rows = []
    k = 0
    for i, d in enumerate(DISTRICTS):
        for j, b in enumerate(d[6]):
            rows.append({"block_idx": k, "block_code": f"{i + 1:02d}{j + 1:02d}", "block_name": b,
                         "district_idx": i})
            k += 1
    return pd.DataFrame(rows)


def make_villages(rng: np.random.Generator, n_villages: int) -> pd.DataFrame:
    """Synthetic villages spread over blocks in proportion to district population weight."""
    dist = districts_frame()
    blocks = blocks_frame()
    nblk = blocks.groupby("district_idx").size().to_numpy()
    # each block's share: district weight / number of blocks in it
    bw = dist["weight"].to_numpy()[blocks["district_idx"].to_numpy()] / nblk[
        blocks["district_idx"].to_numpy()]
    bw = bw / bw.sum()
    n_villages = max(n_villages, len(blocks))
    # every block gets at least one village, the rest in proportion
    extra = rng.multinomial(n_villages - len(blocks), bw)
    per_block = 1 + extra
    block_idx = np.repeat(np.arange(len(blocks)), per_block)
    n = len(block_idx)
    d_idx = blocks["district_idx"].to_numpy()[block_idx]
    # block centres: district centroid + offset; villages scatter around their block centre
    b_lat = dist["lat"].to_numpy()[blocks["district_idx"]] + rng.normal(
        0, 1, len(blocks)) * dist["spread"].to_numpy()[blocks["district_idx"]] * 0.7
    b_lon = dist["lon"].to_numpy()[blocks["district_idx"]] + rng.normal(
        0, 1, len(blocks)) * dist["spread"].to_numpy()[blocks["district_idx"]] * 0.7
    spread = dist["spread"].to_numpy()[d_idx] * 0.45
    lat = np.clip(b_lat[block_idx] + rng.normal(0, 1, n) * spread, LAT_RANGE[0] + 0.05,
                  LAT_RANGE[1] - 0.05)
    lon = np.clip(b_lon[block_idx] + rng.normal(0, 1, n) * spread, LON_RANGE[0] + 0.05,
                  LON_RANGE[1] - 0.05)
    # names: head + tail (+ suffix); made unique within a block by a numeric-free suffix pick
    heads = np.array(_VILLAGE_HEADS, dtype=object)
    tails = np.array(_VILLAGE_TAILS, dtype=object)
    suffix = np.array(_VILLAGE_SUFFIX, dtype=object)
    hi = rng.integers(0, len(heads), n)
    ti = rng.integers(0, len(tails), n)
    si = rng.integers(0, len(suffix), n)
    names = heads[hi] + tails[ti] + suffix[si]
    frame = pd.DataFrame({"block_idx": block_idx, "name": names})
    dup = frame.duplicated(["block_idx", "name"], keep="first").to_numpy()
    # rename duplicates within a block deterministically with a second tail
    t2 = tails[rng.integers(0, len(tails), n)]
    names = np.where(dup, heads[hi] + t2 + " " + np.array(["Kala", "Khurd", "Bada", "Nawa"],
                                                          dtype=object)[np.arange(n) % 4],
                     names)
    frame["name"] = names
    dup = frame.duplicated(["block_idx", "name"], keep="first").to_numpy()
    names = np.where(dup, names + " " + (np.arange(n) % 9 + 2).astype(str).astype(object),
                     names)
    # gram panchayat: consecutive villages of a block, about 3 per panchayat
    within = np.arange(n) - np.repeat(np.cumsum(per_block) - per_block, per_block)
    gp_local = within // 3
    gp_first = np.arange(n) - (within - gp_local * 3)
    gp_name = names[gp_first]
    pin_base = np.array([_PIN_BASE.get(x, 4900 + (i * 7) % 80) for i, x in
                         enumerate(dist["district_name"])])
    pin = pin_base[d_idx] * 100 + (block_idx % 9) * 10 + rng.integers(0, 10, n)
    pin = np.clip(pin, 490001, 497999)
    return pd.DataFrame({
        "village_idx": np.arange(n),
        "village_code": (400001 + np.arange(n) * 7).astype(np.int64),
        "village_name": names,
        "gp_name": gp_name,
        "gp_local": gp_local,
        "village_local": within,
        "block_idx": block_idx,
        "block_name": blocks["block_name"].to_numpy()[block_idx],
        "block_code": blocks["block_code"].to_numpy()[block_idx],
        "district_idx": d_idx,
        "district_name": dist["district_name"].to_numpy()[d_idx],
        "district_code": dist["district_code"].to_numpy()[d_idx],
        "latitude": np.round(lat, 5),
        "longitude": np.round(lon, 5),
        "pincode": pin.astype(np.int64),
        "all_weather_road": np.where(rng.random(n) < 0.72, "Y", "N"),
        "electrified": np.where(rng.random(n) < 0.95, "Y", "N"),
        "weight": rng.gamma(2.0, 1.0, n) * bw[block_idx] / per_block[block_idx],
        "tribal_share": dist["tribal_share"].to_numpy()[d_idx],
    })


# Real railway stations in the state (name, district, lat, lon).
RAILWAY_STATIONS = [
    ("Raipur Junction", "Raipur", 21.2570, 81.6290), ("Durg Junction", "Durg", 21.1900, 81.2840),
    ("Bhilai Power House", "Durg", 21.2050, 81.3800),
    ("Bilaspur Junction", "Bilaspur", 22.0750, 82.1460),
    ("Rajnandgaon", "Rajnandgaon", 21.0970, 81.0310), ("Raigarh", "Raigarh", 21.8970, 83.3950),
    ("Champa Junction", "Janjgir-Champa", 22.0400, 82.6500),
    ("Korba", "Korba", 22.3500, 82.6800), ("Jagdalpur", "Bastar", 19.0750, 82.0230),
    ("Dongargarh", "Rajnandgaon", 21.1900, 80.7600),
    ("Bhatapara", "Baloda Bazar-Bhatapara", 21.7330, 81.9450),
    ("Tilda Neora", "Raipur", 21.5500, 81.7800), ("Kharsia", "Raigarh", 21.9900, 83.1100),
    ("Akaltara", "Janjgir-Champa", 22.0200, 82.4200),
    ("Janjgir Naila", "Janjgir-Champa", 22.0050, 82.5700),
    ("Pendra Road", "Gaurela-Pendra-Marwahi", 22.7700, 81.9500),
    ("Ambikapur", "Surguja", 23.1200, 83.1900), ("Baikunthpur Road", "Koriya", 23.2500, 82.5500),
    ("Dantewada", "Dantewada", 18.9000, 81.3500), ("Kirandul", "Dantewada", 18.6300, 81.2600),
    ("Mahasamund", "Mahasamund", 21.1000, 82.1000), ("Balod", "Balod", 20.7300, 81.2000),
    ("Dalli Rajhara", "Balod", 20.5800, 81.0800),
    ("Bhanupratappur", "Kanker", 20.3000, 81.0600),
    ("Surajpur Road", "Surajpur", 23.2200, 82.8700),
    ("Manendragarh", "Manendragarh-Chirmiri-Bharatpur", 23.2000, 82.2000),
    ("Sakti", "Sakti", 22.0300, 82.9600), ("Bilha", "Bilaspur", 21.9500, 81.9500),
    ("Kota", "Bilaspur", 22.3000, 82.0300), ("Baradwar", "Sakti", 22.0000, 82.8500),
]
