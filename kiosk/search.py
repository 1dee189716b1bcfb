"""Procedure search for the kiosk: what an elderly citizen types on a touchscreen finds the
right procedure.

Citizens type without diacritics ("dang ky ket hon"), with a slip of the finger ("khai sihn"),
with shorthand ("dk", "gcn"), with the other spelling of i/y ("ký"/"kí", "sĩ"/"sỹ"), and in
everyday words instead of the official ones ("sổ đỏ", "báo tử", "sao y", "làm giấy khai sinh").
The same search serves the kiosk screen (search as you type) and ``kiosk catalog search``.

How it works, in the order a query goes through it:

1. Folding (``sync.text.fold``): lower case, no diacritics, đ → d.
2. Rewrites (``REWRITES``): everyday words and shorthand become the official words the portal
   uses ("so do" → "giay chung nhan quyen su dung dat", "dk" → "dang ky"); filler such as
   "lam", "xin", "thu tuc", "nhu the nao" is dropped. The table is data, one line per phrase,
   so an office can read and extend it.
3. Spelling variants: a syllable that ends in "y" after a plain consonant is indexed and
   searched as "i" (ky/ki, sy/si, ly/li, my/mi, ty/ti, hy/hi), on both sides.
4. Typos: a query word that is not in the index is matched to index words at most one edit
   away (insertion, deletion, substitution or swap of neighbours), found through a table of
   one-letter deletions (the SymSpell idea), so the cost does not grow with the catalog.
   While typing, the last, unfinished word also matches as a prefix.
5. Scoring: each query word adds the best of its matches, weighted by rarity (IDF) and by
   where it matched — the procedure's name counts far more than its field, which counts more
   than its body (results, documents to bring). Two query words in a row that also stand in a
   row in the name add a phrase bonus; words among the first four of the name (the action:
   "Cấp lại", "Giải thể", "Đăng ký") count a little more, words in parentheses count like the
   field; and shorter names win ties, so "đăng ký khai sinh" puts "Thủ tục đăng ký khai sinh"
   above its longer variants.

Measured by ``bench/bench_search.py`` (latency over 5,000 procedures, top-1/top-3 accuracy on
``tests/kiosk/search_queries.tsv``). No Kivy here.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.catalog import Procedure
from sync.text import fold

__all__ = ["REWRITES", "Hit", "SearchIndex", "query_terms"]

_WORD_RE = re.compile(r"[0-9a-z]+")
_Y_RE = re.compile(r"^(b|ch|d|gh|h|k|kh|l|m|n|nh|ph|s|t|th|tr|v|x)y$")
_CODE_RE = re.compile(r"^\d{1,2}\.\d{3,7}$")

# Everyday words, shorthand and filler → the portal's words ("" drops the phrase).
# Keys and values are folded (no diacritics). Longer phrases are tried first.
REWRITES: dict[str, str] = {
    # shorthand
    "dk": "dang ky", "dki": "dang ky", "dky": "dang ky",
    "gcn": "giay chung nhan", "gp": "giay phep", "gpxd": "giay phep xay dung",
    "ubnd": "uy ban nhan dan", "hkd": "ho kinh doanh", "htx": "hop tac xa",
    "qsdd": "quyen su dung dat", "qsd": "quyen su dung", "nnn": "nguoi nuoc ngoai",
    "lsi": "liet si", "gpld": "giay phep lao dong",
    # everyday words for official terms
    "so do": "giay chung nhan quyen su dung dat", "so hong": "giay chung nhan quyen su dung dat nha o",
    "nha dat": "quyen su dung dat nha o", "mua ban nha": "giao dich nha o",
    "mua ban dat": "giao dich quyen su dung dat", "sang ten": "giao dich",
    "bao tu": "khai tu", "giay bao tu": "khai tu", "giay chung tu": "khai tu", "chung tu": "khai tu",
    "nguoi chet": "khai tu", "qua doi": "khai tu", "mat roi": "khai tu",
    "khai sanh": "khai sinh", "giay khai sinh": "khai sinh", "lam khai sinh": "dang ky khai sinh",
    "de con": "khai sinh", "moi sinh": "khai sinh", "con moi de": "khai sinh",
    "doc than": "xac nhan tinh trang hon nhan", "giay doc than": "xac nhan tinh trang hon nhan",
    "chua vo": "tinh trang hon nhan", "chua chong": "tinh trang hon nhan",
    "cuoi vo": "ket hon", "cuoi chong": "ket hon", "lay vo": "ket hon", "lay chong": "ket hon",
    "giay ket hon": "dang ky ket hon", "dam cuoi": "ket hon",
    "sao y": "chung thuc ban sao tu ban chinh", "ban sao y": "chung thuc ban sao tu ban chinh",
    "photo cong chung": "chung thuc ban sao tu ban chinh", "cong chung": "chung thuc",
    "cong chung giay to": "chung thuc ban sao giay to",
    "thi thuc": "chung thuc", "ky ten": "chu ky", "chu ki": "chu ky", "dich thuat": "nguoi dich",
    "ban dich": "nguoi dich", "trich luc": "ban sao tu so goc", "ban sao giay": "ban sao tu so goc",
    "thua ke": "di san", "chia tai san": "phan chia di san", "khong nhan": "tu choi nhan",
    "xin con nuoi": "nuoi con nuoi", "nhan con nuoi": "nuoi con nuoi", "nhan nuoi": "nuoi con nuoi",
    "nhan con": "nhan cha me con", "nhan cha": "nhan cha me con", "nhan me": "nhan cha me con",
    "doi ten": "thay doi cai chinh thong tin ho tich", "sua ten": "cai chinh thong tin ho tich",
    "sai ten": "cai chinh thong tin ho tich", "sua ngay sinh": "cai chinh thong tin ho tich",
    "sua nam sinh": "cai chinh thong tin ho tich", "doi ho": "thay doi thong tin ho tich",
    "doi dan toc": "xac dinh lai dan toc", "sai thong tin": "cai chinh thong tin",
    "mo cua hang": "dang ky thanh lap ho kinh doanh", "mo quan": "dang ky thanh lap ho kinh doanh",
    "buon ban": "ho kinh doanh", "kinh doanh nho": "ho kinh doanh", "tiem": "ho kinh doanh",
    "dong cua hang": "cham dut hoat dong ho kinh doanh", "nghi ban": "tam ngung kinh doanh",
    "tam nghi": "tam ngung",
    "xay nha": "giay phep xay dung", "sua nha": "giay phep xay dung",
    "chat cay": "chat ha cay xanh", "don cay": "chat ha cay xanh",
    "da cam": "chat doc hoa hoc", "chat doc da cam": "chat doc hoa hoc",
    "me anh hung": "ba me viet nam anh hung", "tu si": "liet si", "thuong binh": "nguoi co cong",
    "ghe": "phuong tien thuy noi dia", "thuyen": "phuong tien thuy noi dia",
    "tau": "phuong tien thuy noi dia", "xuong": "phuong tien thuy noi dia", "do ngang": "phuong tien",
    "lam viec o viet nam": "lam viec tai viet nam", "nguoi nuoc ngoai lam viec": "nguoi lao dong nuoc ngoai",
    "xuat khau lao dong": "di lam viec o nuoc ngoai theo hop dong", "di lam nuoc ngoai": "lao dong di lam viec o nuoc ngoai",
    "truong mau giao": "truong mam non", "nha tre": "mam non",
    "com trua": "an trua", "quan net": "tro choi dien tu cong cong", "game": "tro choi dien tu",
    "chung cu": "nha chung cu", "bao luc gia dinh": "cam tiep xuc",
    # filler that only adds noise
    "thu tuc": "", "ho so": "", "nhu the nao": "", "the nao": "", "o dau": "", "can gi": "",
    "giay to gi": "", "bao nhieu": "", "lam sao": "", "huong dan": "", "toi muon": "", "muon": "",
    "xin": "", "lam": "", "can": "", "giup": "", "minh": "", "em": "", "toi": "",
    "cho": "", "cho phep": "cho phep", "cho thue": "cho thue", "cho con": "", "cho bo": "", "cho me": "",
    "cho ong": "", "cho ba": "", "cho vo": "", "cho chong": "", "cho chau": "", "cho toi": "",
}
_REWRITE_RE = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(REWRITES, key=len, reverse=True)) + r")\b")

_ZONE_NAME, _ZONE_FIELD, _ZONE_BODY = 3.0, 1.2, 0.5
_TYPO_FACTOR, _PREFIX_FACTOR, _PHRASE_BONUS = 0.8, 0.85, 0.6
_BODY_COMMON, _LENGTH_TIEBREAK = 0.2, 1e-4
# A word is "common" above this many procedures (and 10 % of the catalog); it then only
# scores candidates already found, once there are enough of them.
_COMMON_MIN_DOCS, _COMMON_SHARE, _ENOUGH_CANDIDATES = 256, 0.1, 200
_LEAD_WORDS, _LEAD_MARK, _LEAD_BONUS, _COVER_BONUS = 4, 0.5, 1.0, 3.0


def _canonical(token: str) -> str:
    """ky → ki, sy → si …: the i/y spelling variants become one token."""
    return token[:-1] + "i" if _Y_RE.match(token) else token


@functools.lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    """Folded, canonical words of ``text``; cached because catalogs repeat the same papers
    ("Bản sao giấy khai sinh") and results across many procedures."""
    return tuple(_canonical(t) for t in _WORD_RE.findall(fold(text)))


_PAREN_RE = re.compile(r"\([^)]*\)?")


def _name_tokens(name: str) -> tuple[list[str], list[str]]:
    """The name's words outside parentheses (without a leading "Thủ tục") and the words in
    parentheses, which only qualify the name ("(cấp xã)", "(theo đề nghị của …)")."""
    tokens = list(_tokens(_PAREN_RE.sub(" ", name)))
    if tokens[:2] == ["thu", "tuc"] and len(tokens) > 2:
        tokens = tokens[2:]
    return tokens, [t for part in _PAREN_RE.findall(name) for t in _tokens(part)]


def query_terms(text: str) -> list[str]:
    """The words a query is searched with, after folding, rewrites and spelling variants."""
    folded = " ".join(_WORD_RE.findall(fold(text)))
    rewritten = _REWRITE_RE.sub(lambda m: REWRITES[m.group(1)], folded)
    terms = [_canonical(t) for t in rewritten.split()]
    if not terms:  # only filler words: search them as typed rather than nothing
        terms = [_canonical(t) for t in folded.split()]
    seen: set[str] = set()
    return [t for t in terms if not (t in seen or seen.add(t))]


def _deletes(token: str) -> set[str]:
    return {token[:i] + token[i + 1:] for i in range(len(token))}


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


@dataclass(frozen=True)
class Hit:
    procedure: Procedure
    score: float
    in_name: bool


class SearchIndex:
    """An in-memory index over a list of procedures; ``search(text)`` returns ranked hits."""

    def __init__(self, procedures: Iterable[Procedure]):
        self.procedures: list[Procedure] = list(procedures)
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        self._phrases: dict[tuple[str, str], set[int]] = defaultdict(set)
        self._name_len: list[int] = []
        self._name_distinct: list[int] = []
        self._by_code: dict[str, int] = {}
        for doc, proc in enumerate(self.procedures):
            self._by_code[proc.code] = doc
            name, aside = _name_tokens(proc.name)
            self._name_len.append(len(name))
            self._name_distinct.append(max(len(set(name)), 1))
            zones = ((_ZONE_BODY, [t for r in proc.results for t in _tokens(r)]
                      + [t for d in proc.documents for t in _tokens(d.name)]),
                     (_ZONE_FIELD, [*_tokens(proc.field), *aside]))
            for weight, tokens in zones:
                for token in set(tokens):
                    if postings[token].get(doc, 0.0) < weight:
                        postings[token][doc] = weight
            for position, token in enumerate(name):
                # The first words say what the procedure does ("Cấp lại…", "Giải thể…").
                weight = _ZONE_NAME + (_LEAD_MARK if position < _LEAD_WORDS else 0.0)
                if postings[token].get(doc, 0.0) < weight:
                    postings[token][doc] = weight
            for pair in itertools.pairwise(name):
                self._phrases[pair].add(doc)
        # Per word: the procedures containing it, the score each gets (rarity × where it
        # stands), and those that have it in their name — all precomputed, so a query is a
        # few additions per matching procedure.
        n = max(len(self.procedures), 1)
        self._postings: dict[str, tuple[tuple[int, ...], tuple[float, ...], tuple[int, ...]]] = {}
        self._idf: dict[str, float] = {}
        self._value_of: dict[str, dict[int, float]] = {}
        for token, docs in list(postings.items()):
            if len(docs) > n * _BODY_COMMON:
                # A word in most procedures' paperwork ("bản", "sao", "giấy") says nothing
                # about which one is meant: only its name and field matches are kept.
                docs = {doc: zone for doc, zone in docs.items() if zone > _ZONE_BODY}
                if not docs:
                    del postings[token]
                    continue
            idf = math.log(1.0 + n / len(docs))
            self._idf[token] = idf
            values = tuple(idf * _ZONE_NAME + (_LEAD_BONUS if zone > _ZONE_NAME else 0.0)
                           if zone >= _ZONE_NAME else idf * zone for zone in docs.values())
            named = tuple(doc for doc, zone in docs.items() if zone >= _ZONE_NAME)
            self._postings[token] = (tuple(docs), values, named)
            self._value_of[token] = dict(zip(docs, values))
        self._vocab = sorted(self._postings)
        self._near: dict[str, list[str]] = defaultdict(list)
        for token in self._vocab:
            if len(token) >= 3:
                for variant in _deletes(token):
                    self._near[variant].append(token)

    def __len__(self) -> int:
        return len(self.procedures)

    # -- query expansion ------------------------------------------------------------------
    def _typo_matches(self, term: str) -> list[str]:
        if len(term) < 3:
            return []
        candidates = set(self._near.get(term, ()))
        for variant in _deletes(term):
            if variant in self._postings:
                candidates.add(variant)
            candidates.update(self._near.get(variant, ()))
        return [c for c in candidates if _one_edit(term, c)]

    def _prefix_matches(self, term: str, limit: int = 8) -> list[str]:
        """Words starting with ``term`` (the unfinished last word), the ``limit`` most
        frequent ones."""
        start = bisect.bisect_left(self._vocab, term)
        end = bisect.bisect_left(self._vocab, term + "{", start)  # "{" sorts after "z"
        found = [t for t in self._vocab[start:end] if t != term]
        if len(found) > limit:
            found = heapq.nsmallest(limit, found, key=self._idf.__getitem__)
        return found

    def _expansions(self, term: str, is_prefix: bool) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        if term in self._postings:
            out.append((term, 1.0))
        else:
            out.extend((t, _TYPO_FACTOR) for t in self._typo_matches(term))
        if is_prefix and len(term) >= 3:
            out.extend((t, _PREFIX_FACTOR) for t in self._prefix_matches(term))
        return out

    # -- search -----------------------------------------------------------------------------
    def search(self, text: str, limit: int = 20, typing: bool = False) -> list[Hit]:
        """Rank procedures for ``text``. ``typing=True`` treats the last word as unfinished
        (search as you type on the kiosk)."""
        stripped = text.strip()
        if _CODE_RE.match(stripped) and stripped in self._by_code:
            return [Hit(self.procedures[self._by_code[stripped]], 100.0, True)]
        terms = query_terms(text)
        unfinished = typing and not text.endswith(" ")
        if unfinished and len(terms) > 1 and len(terms[-1]) < 2:
            terms = terms[:-1]  # one letter of a new word says nothing yet
        if not terms:
            return []
        scores = [0.0] * len(self.procedures)
        in_name = [0] * len(self.procedures)
        touched: set[int] = set()
        named_docs: set[int] = set()  # procedures with at least one query word in their name
        expanded = [self._expansions(term, unfinished and i == len(terms) - 1) for i, term in enumerate(terms)]
        matched_terms = [[token for token, _ in exp] for exp in expanded]
        # Rarest words first: they pick the candidates. A word found in a large part of a big
        # catalog ("của", "đối với", "đăng ký") then only adds to candidates already found,
        # which keeps a query over thousands of procedures within a few milliseconds.
        common = max(_COMMON_MIN_DOCS, len(self.procedures) * _COMMON_SHARE)
        for exp in sorted(expanded, key=lambda e: sum(len(self._postings[t][0]) for t, _ in e)):
            size = sum(len(self._postings[token][0]) for token, _ in exp)
            if size > common and len(touched) >= _ENOUGH_CANDIDATES:
                best_of: dict[int, float] = {}
                if size <= len(touched) * len(exp):  # walk the word's procedures, keep candidates
                    for token, factor in exp:
                        docs, values, _named = self._postings[token]
                        for doc, value in zip(docs, values):
                            if doc in touched and value * factor > best_of.get(doc, 0.0):
                                best_of[doc] = value * factor
                else:  # walk the candidates, look the word up
                    lookups = [(self._value_of[token], factor) for token, factor in exp]
                    for doc in touched:
                        for value_of, factor in lookups:
                            value = value_of.get(doc)
                            if value is not None and value * factor > best_of.get(doc, 0.0):
                                best_of[doc] = value * factor
                for doc, value in best_of.items():
                    scores[doc] += value
                named = set()
                for token, _ in exp:
                    named.update(touched.intersection(self._postings[token][2]))
            elif len(exp) == 1 and exp[0][1] == 1.0:
                docs, values, named = self._postings[exp[0][0]]
                for doc, value in zip(docs, values):
                    scores[doc] += value
                touched.update(docs)
            else:  # several candidate words: each procedure counts its best one
                best_of = {}
                named_set = set()
                for token, factor in exp:
                    docs, values, named = self._postings[token]
                    for doc, value in zip(docs, values):
                        value *= factor
                        if value > best_of.get(doc, 0.0):
                            best_of[doc] = value
                    named_set.update(named)
                for doc, value in best_of.items():
                    scores[doc] += value
                touched.update(best_of)
                named = named_set
            for doc in named:
                in_name[doc] += 1
            named_docs.update(named)
        if not touched:
            return []
        for a, b in itertools.pairwise(matched_terms):
            for ta in a:
                for tb in b:
                    docs = self._phrases.get((ta, tb))
                    if docs:
                        bonus = _PHRASE_BONUS * (self._idf[ta] + self._idf[tb])
                        for doc in (docs if len(docs) < len(touched) else touched & docs):
                            scores[doc] += bonus
        # Names the query covers well ("Đăng ký thành lập hộ kinh doanh" for "đk hộ kinh
        # doanh") beat long names that merely contain the words.
        distinct, name_len = self._name_distinct, self._name_len
        for doc in named_docs:
            scores[doc] += (_COVER_BONUS * min(in_name[doc] / distinct[doc], 1.0)
                            - _LENGTH_TIEBREAK * name_len[doc])  # equal scores: shorter name first
        ranked = heapq.nlargest(limit, touched, key=scores.__getitem__)
        floor = scores[ranked[0]] * 0.2  # drop the long tail of weak matches
        ranked = [doc for doc in ranked if scores[doc] >= floor]
        return [Hit(self.procedures[d], scores[d], in_name[d] > 0) for d in ranked]
