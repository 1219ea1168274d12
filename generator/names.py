"""Name pools of Chhattisgarh and their spelling variants.

Every name token lives in one vocabulary (``VOCAB``). Each token has a row of transliteration
variants and a row of typo'd forms, precomputed once, so noise is applied to millions of
records by integer indexing instead of per-row string work.
"""

from __future__ import annotations

import numpy as np

MALE_FIRST = [
    "Ramesh", "Suresh", "Mahesh", "Santosh", "Rajesh", "Dinesh", "Mukesh", "Rakesh", "Shyam",
    "Ramkumar", "Anil", "Sunil", "Vinod", "Manoj", "Ashok", "Vijay", "Sanjay", "Ajay", "Deepak",
    "Rahul", "Rohit", "Amit", "Sumit", "Lokesh", "Tikeshwar", "Dhaniram", "Budhram", "Mangal",
    "Somaru", "Sukhram", "Bhagwat", "Ganesh", "Govind", "Hemant", "Kamlesh", "Lakhan",
    "Narayan", "Prakash", "Pawan", "Raju", "Shankar", "Tularam", "Ghanshyam", "Yashwant",
    "Devendra", "Bhupendra", "Satish", "Jitendra", "Kishore", "Laxman", "Bharat", "Chandan",
    "Arjun", "Gopal", "Hari", "Kanhaiya", "Nitesh", "Omprakash", "Rupesh", "Tejram", "Umesh",
    "Vikas", "Yogesh", "Aakash", "Ayush", "Krishna", "Vivek", "Shiv", "Durgesh", "Jagdish",
    "Mohan", "Sohan", "Dukalu", "Samaru", "Etwaru", "Mangtu", "Bisahu", "Ramlal", "Sitaram",
    "Bhola", "Jageshwar", "Parmeshwar", "Hiralal", "Manglu", "Budhu", "Lachhman", "Kunwar",
]
FEMALE_FIRST = [
    "Lakshmi", "Sunita", "Geeta", "Sita", "Anita", "Savitri", "Kamla", "Shanti", "Radha",
    "Rekha", "Meena", "Pushpa", "Kiran", "Usha", "Asha", "Sarita", "Manju", "Sangeeta",
    "Suman", "Poonam", "Jyoti", "Priya", "Pooja", "Neha", "Khushboo", "Anjali", "Kavita",
    "Lata", "Mamta", "Rajkumari", "Parvati", "Durga", "Janki", "Bhagwati", "Dhaneshwari",
    "Hemlata", "Sukhmati", "Somwari", "Mangli", "Dulari", "Sushila", "Saroj", "Nirmala",
    "Shakuntala", "Kaushalya", "Yashoda", "Tulsi", "Champa", "Basanti", "Fulmati", "Jamuna",
    "Ganga", "Ritu", "Divya", "Sneha", "Muskan", "Payal", "Ishwari", "Tameshwari", "Kunti",
    "Draupadi", "Sarojini", "Chandrika", "Gayatri", "Kalpana", "Leela", "Pramila", "Sumitra",
]
SURNAMES_PLAINS = [  # (surname, weight, caste category)
    ("Sahu", 14, "OBC"), ("Verma", 7, "OBC"), ("Yadav", 8, "OBC"), ("Patel", 6, "OBC"),
    ("Sinha", 2, "GEN"), ("Nishad", 4, "OBC"), ("Kashyap", 2, "OBC"), ("Sharma", 3, "GEN"),
    ("Tiwari", 2, "GEN"), ("Dewangan", 4, "OBC"), ("Chandrakar", 3, "OBC"), ("Sonkar", 2, "SC"),
    ("Banjare", 4, "SC"), ("Kurre", 3, "SC"), ("Tandon", 2, "SC"), ("Jangde", 2, "SC"),
    ("Patle", 2, "OBC"), ("Rathore", 2, "GEN"), ("Gupta", 2, "GEN"), ("Agrawal", 1, "GEN"),
    ("Thakur", 3, "GEN"), ("Deshmukh", 1, "OBC"), ("Dhivar", 2, "OBC"), ("Kaushik", 1, "GEN"),
    ("Pandey", 2, "GEN"), ("Mishra", 2, "GEN"), ("Sen", 2, "OBC"), ("Nirmalkar", 2, "OBC"),
    ("Lahre", 2, "SC"), ("Bharadwaj", 1, "SC"), ("Rajput", 2, "GEN"), ("Gendre", 1, "SC"),
    ("Sonwani", 2, "SC"), ("Chandra", 1, "OBC"), ("Kaiwartya", 1, "OBC"), ("Suryavanshi", 1, "SC"),
]
SURNAMES_TRIBAL = [
    ("Netam", 8, "ST"), ("Markam", 7, "ST"), ("Dhruw", 7, "ST"), ("Mandavi", 5, "ST"),
    ("Kunjam", 3, "ST"), ("Kawasi", 3, "ST"), ("Poyam", 3, "ST"), ("Sori", 3, "ST"),
    ("Korram", 2, "ST"), ("Salam", 2, "ST"), ("Usendi", 2, "ST"), ("Nag", 3, "ST"),
    ("Baghel", 3, "ST"), ("Kashyap", 3, "ST"), ("Bhagat", 3, "ST"), ("Minj", 2, "ST"),
    ("Tirkey", 2, "ST"), ("Ekka", 2, "ST"), ("Lakra", 2, "ST"), ("Kujur", 2, "ST"),
    ("Toppo", 2, "ST"), ("Paikra", 3, "ST"), ("Porte", 2, "ST"), ("Kanwar", 3, "ST"),
    ("Rathiya", 3, "ST"), ("Sidar", 2, "ST"), ("Manjhi", 2, "ST"), ("Uike", 2, "ST"),
    ("Kumeti", 2, "ST"), ("Gond", 2, "ST"), ("Mandavi", 1, "ST"), ("Dhurwa", 2, "ST"),
]
MIDDLE_MALE = ["Kumar", "Prasad", "Lal", "Ram", "Singh", "Das"]
MIDDLE_FEMALE = ["Bai", "Devi", "Kumari"]
HONORIFIC_MALE = ["Shri", "Shri", "Sri", "Mr."]
HONORIFIC_FEMALE = ["Smt.", "Smt", "Shrimati", "Mrs."]
HONORIFIC_GIRL = ["Ku.", "Kumari", "Miss"]

# hand-written transliteration variants (both directions are added)
EXPLICIT_VARIANTS = {
    "Lakshmi": ["Laxmi", "Lakshmee", "Laxmee", "Luxmi"], "Verma": ["Varma", "Verama"],
    "Shyam": ["Syam", "Shyaam"], "Kumar": ["Kumaar", "Kr."], "Devi": ["Debi", "Devee"],
    "Bai": ["Baai", "Bayi"], "Sita": ["Seeta", "Seetha"], "Geeta": ["Gita", "Geetha"],
    "Sunita": ["Suneeta", "Sunitha"], "Pooja": ["Puja"], "Jyoti": ["Jyothi", "Joti"],
    "Sahu": ["Saahu", "Shahu"], "Yadav": ["Yadaw", "Jadav"], "Dhruw": ["Dhruv", "Dhruwa"],
    "Netam": ["Naitam", "Netaam"], "Markam": ["Markaam", "Markram"],
    "Kashyap": ["Kashyab", "Kasyap"], "Nishad": ["Nisad", "Nishaad"], "Sinha": ["Singha"],
    "Dewangan": ["Devangan", "Dewagan"], "Chandrakar": ["Chandraker"], "Thakur": ["Thakkur"],
    "Banjare": ["Banjarey", "Banjara"], "Kurre": ["Kure"], "Mandavi": ["Mandawi"],
    "Kawasi": ["Kowasi"], "Santosh": ["Santos", "Santoshh"], "Vinod": ["Binod"],
    "Vijay": ["Bijay", "Vijai"], "Vikas": ["Bikas"], "Sharma": ["Sarma"], "Mishra": ["Misra"],
    "Shankar": ["Sankar"], "Ghanshyam": ["Ghanasyam", "Ghan Shyam"], "Savitri": ["Sabitri"],
    "Kamla": ["Kamala"], "Shanti": ["Santi", "Shanty"], "Meena": ["Mina"], "Pushpa": ["Puspa"],
    "Sangeeta": ["Sangita"], "Poonam": ["Punam"], "Kavita": ["Kabita"], "Lata": ["Latha"],
    "Mamta": ["Mamata"], "Parvati": ["Parwati", "Parbati"], "Janki": ["Janaki"],
    "Bhagwati": ["Bhagawati"], "Yashoda": ["Jasoda", "Yasoda"], "Tulsi": ["Tulasi"],
    "Laxman": ["Lakshman", "Lachhman"], "Narayan": ["Narayana", "Narain"],
    "Omprakash": ["Om Prakash"], "Ramkumar": ["Ram Kumar"], "Rajkumari": ["Raj Kumari"],
    "Tikeshwar": ["Tikeshvar"], "Jageshwar": ["Jageswar"], "Parmeshwar": ["Parmeswar"],
    "Dhaneshwari": ["Dhaneswari"], "Tameshwari": ["Tameswari"], "Ishwari": ["Iswari"],
    "Rakesh": ["Raakesh"], "Mukesh": ["Mookesh"], "Krishna": ["Krishan", "Kishan"],
    "Durgesh": ["Durgesh"], "Kaushalya": ["Kausalya", "Koushalya"], "Sushila": ["Susheela"],
    "Nirmala": ["Nirmla"], "Shakuntala": ["Sakuntala"], "Basanti": ["Basanty"],
    "Fulmati": ["Phulmati"], "Somwari": ["Somvari"], "Dulari": ["Dulaari"],
    "Prasad": ["Prashad", "Parsad"], "Tirkey": ["Tirki"], "Kujur": ["Kujoor"],
    "Rathiya": ["Rathia"], "Paikra": ["Paikara"], "Dhurwa": ["Dhurva"],
    "Patel": ["Patell"], "Yashwant": ["Jaswant", "Yaswant"], "Devendra": ["Dewendra"],
    "Bhupendra": ["Bhupender"], "Jitendra": ["Jitender"], "Satish": ["Sateesh"],
}

_RULES = [("ee", "i"), ("i", "ee"), ("oo", "u"), ("u", "oo"), ("w", "v"), ("v", "w"),
          ("sh", "s"), ("aa", "a"), ("ksh", "x"), ("x", "ksh"), ("th", "t"), ("ph", "f"),
          ("f", "ph"), ("y", "i")]

# Devanagari renderings for the most common tokens (used for KYR name_local)
DEVANAGARI = {
    "Ramesh": "रमेश", "Suresh": "सुरेश", "Mahesh": "महेश", "Santosh": "संतोष", "Rajesh": "राजेश",
    "Dinesh": "दिनेश", "Mukesh": "मुकेश", "Rakesh": "राकेश", "Shyam": "श्याम", "Anil": "अनिल",
    "Sunil": "सुनील", "Vinod": "विनोद", "Manoj": "मनोज", "Ashok": "अशोक", "Vijay": "विजय",
    "Sanjay": "संजय", "Ajay": "अजय", "Deepak": "दीपक", "Rahul": "राहुल", "Ganesh": "गणेश",
    "Govind": "गोविंद", "Mohan": "मोहन", "Krishna": "कृष्ण", "Laxman": "लक्ष्मण",
    "Narayan": "नारायण", "Hari": "हरि", "Gopal": "गोपाल", "Shankar": "शंकर", "Raju": "राजू",
    "Lakshmi": "लक्ष्मी", "Sunita": "सुनीता", "Geeta": "गीता", "Sita": "सीता", "Anita": "अनीता",
    "Savitri": "सावित्री", "Kamla": "कमला", "Shanti": "शांति", "Radha": "राधा", "Rekha": "रेखा",
    "Meena": "मीना", "Pushpa": "पुष्पा", "Kiran": "किरण", "Usha": "उषा", "Asha": "आशा",
    "Sarita": "सरिता", "Manju": "मंजू", "Suman": "सुमन", "Poonam": "पूनम", "Jyoti": "ज्योति",
    "Pooja": "पूजा", "Durga": "दुर्गा", "Parvati": "पार्वती", "Ganga": "गंगा", "Tulsi": "तुलसी",
    "Sahu": "साहू", "Verma": "वर्मा", "Yadav": "यादव", "Patel": "पटेल", "Sinha": "सिन्हा",
    "Nishad": "निषाद", "Kashyap": "कश्यप", "Sharma": "शर्मा", "Tiwari": "तिवारी",
    "Dewangan": "देवांगन", "Chandrakar": "चंद्राकर", "Netam": "नेताम", "Markam": "मरकाम",
    "Dhruw": "ध्रुव", "Mandavi": "मंडावी", "Thakur": "ठाकुर", "Kanwar": "कंवर", "Kumar": "कुमार",
    "Bai": "बाई", "Devi": "देवी", "Prasad": "प्रसाद", "Lal": "लाल", "Ram": "राम", "Singh": "सिंह",
    "Banjare": "बंजारे", "Kurre": "कुर्रे", "Baghel": "बघेल", "Nag": "नाग", "Mishra": "मिश्रा",
}


def _rule_variants(tok: str) -> list[str]:
    out = []
    low = tok.lower()
    for a, b in _RULES:
        pos = low.find(a, 1)
        if pos > 0:
            v = low[:pos] + b + low[pos + len(a):]
            out.append(v[:1].upper() + v[1:])
    return out


def _typos(tok: str, rng: np.random.Generator, k: int) -> list[str]:
    """k single-edit typos (drop, double, swap, substitute a nearby vowel) of a token."""
    out: list[str] = []
    vowels = "aeiou"
    for _ in range(k * 3):
        if len(out) >= k:
            break
        s = list(tok)
        if len(s) < 3:
            s = s + ["a"]
        op = int(rng.integers(0, 4))
        i = int(rng.integers(1, len(s)))
        if op == 0:
            del s[i]
        elif op == 1:
            s.insert(i, s[i])
        elif op == 2 and i < len(s) - 1:
            s[i], s[i + 1] = s[i + 1], s[i]
        else:
            s[i] = vowels[int(rng.integers(0, 5))] if s[i] in vowels else s[i]
            if "".join(s) == tok:
                s.insert(i, "h")
        t = "".join(s)
        if t != tok and t not in out:
            out.append(t)
    while len(out) < k:
        out.append(tok + "a" * (len(out) + 1))
    return out


class Vocab:
    """All name tokens with variant and typo tables (built once, deterministic)."""

    N_VAR = 4
    N_TYPO = 4

    def __init__(self) -> None:
        rng = np.random.default_rng(20240601)
        tokens: list[str] = []
        for lst in (MALE_FIRST, FEMALE_FIRST, [s for s, _, _ in SURNAMES_PLAINS],
                    [s for s, _, _ in SURNAMES_TRIBAL], MIDDLE_MALE, MIDDLE_FEMALE):
            for t in lst:
                if t not in tokens:
                    tokens.append(t)
        self.tokens = np.array(tokens, dtype=object)
        self.index = {t: i for i, t in enumerate(tokens)}
        var = np.empty((len(tokens), self.N_VAR), dtype=object)
        typo = np.empty((len(tokens), self.N_TYPO), dtype=object)
        nvar = np.zeros(len(tokens), dtype=np.int64)
        for i, t in enumerate(tokens):
            vs = [v for v in EXPLICIT_VARIANTS.get(t, []) if v != t]
            vs += [v for v in _rule_variants(t) if v != t and v not in vs]
            vs = vs[: self.N_VAR]
            nvar[i] = len(vs)
            for j in range(self.N_VAR):
                var[i, j] = vs[j % len(vs)] if vs else t
            typo[i] = _typos(t, rng, self.N_TYPO)
        self.variants = var
        self.n_variants = nvar
        self.typos = typo
        self.local = np.array([DEVANAGARI.get(t) for t in tokens], dtype=object)

    def ids(self, words: list[str]) -> np.ndarray:
        return np.array([self.index[w] for w in words], dtype=np.int64)


_VOCAB: Vocab | None = None


def vocab() -> Vocab:
    global _VOCAB
    if _VOCAB is None:
        _VOCAB = Vocab()
    return _VOCAB


def surname_pools(v: Vocab) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """pool -> (token ids, probabilities, caste codes)."""
    out = {}
    for key, lst in (("plains", SURNAMES_PLAINS), ("tribal", SURNAMES_TRIBAL)):
        ids = v.ids([s for s, _, _ in lst])
        w = np.array([x for _, x, _ in lst], dtype=float)
        out[key] = (ids, w / w.sum(), np.array([c for _, _, c in lst], dtype=object))
    return out


def first_name_probs(n: int, rng: np.random.Generator, zipf: float = 0.9) -> np.ndarray:
    """Zipf-like popularity so that a few first names are very common."""
    w = 1.0 / (np.arange(1, n + 1) ** zipf)
    w = w[rng.permutation(n)]
    return w / w.sum()


# ---------------------------------------------------------------- the field profile's spellings
# Regex folds of Hindi transliteration the field lists show (issue 17): b/v, w/v, sh/s, an h
# dropped or added after a consonant, doubled or single vowels. Applied once per token.
FIELD_FOLDS = [
    (r"b", "v"), (r"v", "b"), (r"w", "v"), (r"v", "w"), (r"sh", "s"), (r"s(?!h)", "sh"),
    (r"([bdgjkpt])h", r"\1"), (r"([bdgjkt])(?=[aeiou])", r"\1h"), (r"ee", "i"),
    (r"(?<![ei])i(?![ei])", "ee"), (r"oo", "u"), (r"(?<![ou])u(?![ou])", "oo"),
]
_KEYBOARD = {  # QWERTY neighbours: one slipped key
    "a": "sq", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}


def fold_variants(tok: str) -> list[str]:
    """Each fold applied at its first match (case kept on the first letter)."""
    import re

    low = tok.lower()
    out: list[str] = []
    for pat, rep in FIELD_FOLDS:
        v = re.sub(pat, rep, low, count=1)
        v = v[:1].upper() + v[1:]
        if v != tok and v not in out:
            out.append(v)
    return out


def key_typos(tok: str, rng: np.random.Generator, k: int) -> list[str]:
    """k one-letter typos from a slipped key: a neighbour replaces or joins a letter."""
    out: list[str] = []
    for _ in range(k * 4):
        if len(out) >= k or len(tok) < 2:
            break
        i = int(rng.integers(1, len(tok)))
        near = _KEYBOARD.get(tok[i].lower(), "")
        if not near:
            continue
        c = near[int(rng.integers(0, len(near)))]
        t = tok[:i] + c + tok[i + 1:] if rng.random() < 0.6 else tok[:i] + c + tok[i:]
        if t != tok and t not in out:
            out.append(t)
    while len(out) < k:
        out.append(tok + "h" * (len(out) + 1))
    return out


class FieldTables:
    """Fold variants and slipped-key typos per vocabulary token (for the field profile)."""

    N_FOLD = 6
    N_KEY = 3

    def __init__(self, v: Vocab) -> None:
        rng = np.random.default_rng(20250301)
        n = len(v.tokens)
        self.folds = np.empty((n, self.N_FOLD), dtype=object)
        self.n_folds = np.zeros(n, dtype=np.int64)
        self.keys = np.empty((n, self.N_KEY), dtype=object)
        for i, t in enumerate(v.tokens):
            fs = fold_variants(t)[: self.N_FOLD]
            self.n_folds[i] = len(fs)
            for j in range(self.N_FOLD):
                self.folds[i, j] = fs[j % len(fs)] if fs else t
            self.keys[i] = key_typos(t, rng, self.N_KEY)


_FIELD: FieldTables | None = None


def field_tables() -> FieldTables:
    global _FIELD
    if _FIELD is None:
        _FIELD = FieldTables(vocab())
    return _FIELD
