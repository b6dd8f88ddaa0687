"""Chinese-aware product search: segmentation, pinyin, operators' synonyms.

PostgreSQL's text-search parser keeps a run of Chinese characters as one token, so
"脐橙" would never match "贵措脐橙礼盒". We segment text ourselves: the stored
``search_text`` holds jieba's search-mode words plus every Chinese character and
character pair, and a query is segmented the same way. On PostgreSQL the tokens
are matched through a GIN-indexed ``to_tsvector('simple', search_text)``, which a
product stores (``Product.search_vector``) so that ranking never parses its text;
on SQLite (``make run`` only) through word-bounded substring tests.

**Pinyin.** A product's name and its merchant's name are also stored spelled out (``pinyin_tokens``):
the full pinyin and the initials of every jieba word and every whole run of Chinese, the full pinyin
of every character pair (脐橙 → ``qicheng``, ``qc``), so that a shopper typing Latin letters ("qicheng", "qc") finds it
through the same index. A query of several Latin words is also tried joined ("qi cheng" → ``qicheng``).

**English.** A product's English name and summary and its merchant's and category's English names
(``name_en``, ``summary_en``) are stored in the same text, so "orange", "tea oil" or "brocade" find what the
English site shows, on either site. English plurals meet their singulars: every Latin word is also stored as
the singulars it may stand for (``singulars``: "oranges" → ``orange``), and a query's Latin word matches as
itself or as any of them; a few English function words ("of", "the", "and"…) are left out of a query that
has other words.

**Synonyms** (``catalog.models.SearchSynonym``, kept by operators): a query word with synonyms matches
as itself or as any of them (橙子 → 脐橙 | 柑橘). A synonym's word applies when it is the whole query,
one of its space-separated parts or one of its segmented words; it then stands for every query word it
contains (红心猕猴桃 covers 红心 and 猕猴桃). Each search reads the synonyms of its words (one small
indexed query), so an operator's change applies to the next search.

**A plan** (``plan_search``) is what a query asks for: clauses that must all match, each one or more
alternatives, each alternative tokens that must all be present. ``prefix`` (suggestions as you type)
lets the last Latin word match as the beginning of a token ("qich" → ``qicheng``); ``fuzzy`` (the
suggestions' second try, typo-tolerant where it is cheap) searches the query respelled in pinyin (a
homophone typed by mistake: 脐澄 → ``qicheng``) and long Latin words also as shorter prefixes (a typo
near the end: "qichegn" → ``qiche…``). No trigram index is needed (``pg_trgm`` is not installed).
"""

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import jieba
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import F, FloatField, Func, Model, Q, QuerySet, Value
from django.utils import translation
from pypinyin import lazy_pinyin

jieba.setLogLevel(logging.WARNING)

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[0-9a-z]+")
LETTERS = re.compile(r"[a-z]+")
# What separates the words operators list as synonyms: spaces and Western or Chinese commas and semicolons.
SYNONYM_SEPARATORS = re.compile(r"[\s,;，；、/|]+")
MAX_QUERY_TOKENS = 12
MAX_SYNONYMS_PER_WORD = 10
PREFIX = "*"  # a token ending in it matches as the beginning of a lexeme (``'qich':*``)
FUZZY_PREFIX_MIN = 3  # a long Latin word is also tried as a prefix this long at least, two letters shorter
# A whole run of Chinese is spelled out (for a shopper typing a name's pinyin from its start) up to this
# length: longer runs are merchants' full names, which nobody types whole, and they would swell every row.
WHOLE_RUN_SPELLED = 8

# English words a query may leave out when it has others (none is a pinyin syllable: "an", "a" are 安, 阿).
STOP_WORDS = frozenset({"the", "of", "and", "for", "with", "from", "in", "to"})
SINGULAR_MIN = 4  # shorter Latin words ("gas", "xs": initials of 秀山) are not taken for plurals

# ``ts_rank`` of a one-lexeme query on our vectors. Every stored token is distinct (``index_tokens``) and
# is one lexeme to the 'simple' configuration, so the lexeme sits at exactly one position, of weight D, in
# every row that matches, and every such row ranks (0.1 + 0.1 - 0.1) / 1.64493406685: the float4 that
# PostgreSQL sends as 0.06079271. Ranking such a query is then ordering by the tie-breakers alone, which
# an index can serve without reading each match; ``tests/catalog/test_search.py`` checks both claims.
ONE_LEXEME_RANK = 0.06079271

Alternative = tuple[str, ...]  # tokens that must all be present
Clause = tuple[Alternative, ...]  # alternatives, one of which must match


def warm_up() -> None:
    """Load jieba's dictionary and pypinyin's (about a second) so that no request pays for it; idempotent."""
    jieba.initialize()
    lazy_pinyin("脐橙")


def _cjk_grams(run: str) -> list[str]:
    return list(run) + [run[i : i + 2] for i in range(len(run) - 1)]


def singulars(word: str) -> list[str]:
    """The singulars a Latin word may be the plural of, roughly (no dictionary): "oranges" → ``orange``,
    "tomatoes" → ``tomato``, ``tomatoe``, "berries" → ``berry``, ``berrie``; none for a word that does not look
    plural. Stored beside each word and tried for each query word, they let either form find the other."""
    if len(word) < SINGULAR_MIN or not LETTERS.fullmatch(word) or not word.endswith("s"):
        return []
    if word.endswith(("ss", "us", "is")):
        return []
    found = [word[:-1]]
    if word.endswith("ies"):
        found.insert(0, word[:-3] + "y")
    elif word.endswith(("ses", "xes", "zes", "ches", "shes", "oes")):
        found.insert(0, word[:-2])
    return found


def index_tokens(*texts: str) -> list[str]:
    """Tokens to store for the given texts: jieba words, CJK unigrams and bigrams, ASCII words (and the
    singulars of those that look plural)."""
    tokens: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        lowered = text.lower()
        for word in jieba.cut_for_search(lowered):
            word = word.strip()
            if word and (CJK_RUN.fullmatch(word) or WORD.fullmatch(word)):
                tokens[word] = None
        for run in CJK_RUN.findall(lowered):
            for gram in _cjk_grams(run):
                tokens[gram] = None
        for word in WORD.findall(lowered):
            tokens[word] = None
            for singular in singulars(word):
                tokens[singular] = None
    return list(tokens)


def _syllables(run: str) -> list[str]:
    """One toneless pinyin syllable per character of a Chinese run (ü as v, as keyboards type it); "" for a
    character pypinyin does not know."""
    return [s if LETTERS.fullmatch(s) else "" for s in lazy_pinyin(run, errors=lambda chars: [""] * len(chars))]


def _spelled(syllables: Sequence[str]) -> list[str]:
    """Full pinyin and initials of a span, or nothing when a character has no pinyin."""
    if not all(syllables):
        return []
    return ["".join(syllables), "".join(s[0] for s in syllables)]


def pinyin_tokens(*texts: str) -> list[str]:
    """Pinyin of the Chinese in ``texts``: full pinyin and initials of every jieba word (of two characters or
    more) and of every whole run (up to ``WHOLE_RUN_SPELLED`` characters), full pinyin of every character
    pair (贵措脐橙礼盒 → ``qicheng``, ``qc``, ``guicuoqichenglihe``, ``gcqclh``, ``cuoqi`` …). Pairs get no
    initials: two letters across a word boundary (官庄街道 → 庄街 → "zj") would match what shoppers never
    meant."""
    tokens: dict[str, None] = {}
    for text in texts:
        for run in CJK_RUN.findall((text or "").lower()):
            if len(run) < 2:
                continue
            syllables = _syllables(run)
            words = {(start, end) for _word, start, end in jieba.tokenize(run, mode="search") if end - start > 1}
            if len(run) <= WHOLE_RUN_SPELLED:
                words.add((0, len(run)))
            spans = [(span, True) for span in sorted(words)]
            spans += [((i, i + 2), False) for i in range(len(run) - 1) if (i, i + 2) not in words]
            for (start, end), initials in spans:
                spelled = _spelled(syllables[start:end])
                for token in spelled if initials else spelled[:1]:
                    tokens[token] = None
    return list(tokens)


def build_search_text(*texts: str, spelled: Iterable[str] = ()) -> str:
    """The stored form: tokens separated (and surrounded) by single spaces. The ``spelled`` texts (names,
    given among ``texts`` too) are also stored in pinyin."""
    tokens = dict.fromkeys(index_tokens(*texts))
    tokens.update(dict.fromkeys(pinyin_tokens(*spelled)))
    return " " + " ".join(tokens) + " "


def product_search_text(product) -> str:
    """The search text of a product (with its merchant and category loaded): name, summary, origin,
    merchant, township and category, and the English names and summary given; the product's and merchant's
    names in pinyin too. The township's label is taken in the site's language, whatever the language of
    the request that saved the product."""
    merchant = product.merchant
    category = product.category
    with translation.override(settings.LANGUAGE_CODE):
        township = str(merchant.get_township_display())
    return build_search_text(
        product.name,
        product.summary,
        product.origin,
        merchant.name,
        township,
        category.name,
        # Through getattr: migration 0009's historical models have no English fields yet.
        getattr(product, "name_en", ""),
        getattr(product, "summary_en", ""),
        getattr(merchant, "name_en", ""),
        getattr(category, "name_en", ""),
        spelled=(product.name, merchant.name),
    )


def _words(text: str) -> list[str]:
    """A query's words in order, once each: jieba's search-mode words (Chinese) and ASCII words."""
    words: list[str] = []
    for word in jieba.cut_for_search((text or "").lower()[:200]):
        word = word.strip()
        if word and word not in words and (CJK_RUN.fullmatch(word) or WORD.fullmatch(word)):
            words.append(word)
            if len(words) >= MAX_QUERY_TOKENS:
                break
    return words


def _tokens(word: str) -> list[str]:
    """What a word must match: a Chinese word all of its character pairs (itself when one character)."""
    if CJK_RUN.fullmatch(word):
        return [word[i : i + 2] for i in range(len(word) - 1)] or [word]
    return [word]


def query_groups(query: str) -> list[list[str]]:
    """Each group must match: a Chinese word as itself or as all of its character pairs."""
    return [_tokens(word) for word in _words(query)]


def normalise_word(text: str) -> str:
    """A synonym's word as queries are compared with it: lower case, without spaces."""
    return "".join((text or "").lower().split())


def split_synonyms(text: str) -> list[str]:
    """The words an operator listed (separated by spaces, commas, 、 or semicolons), normalised, once each."""
    return list(dict.fromkeys(word for word in SYNONYM_SEPARATORS.split((text or "").lower()) if word))


def is_searchable(word: str) -> bool:
    """Whether a search for ``word`` asks for anything (it has Chinese, letters or digits)."""
    return bool(_words(word))


def synonym_candidates(query: str) -> list[str]:
    """The words of ``query`` a synonym may be defined for: the whole query, its parts, its words."""
    lowered = (query or "").lower()[:200]
    candidates = [normalise_word(lowered), *lowered.split(), *_words(lowered)]
    return [word for word in dict.fromkeys(candidates) if word]


@dataclass(frozen=True)
class SearchPlan:
    """What a query asks for (see the module docstring); ``synonyms``: each synonym applied and its words."""

    clauses: tuple[Clause, ...]
    words: tuple[str, ...] = ()
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.clauses)

    @property
    def synonym_words(self) -> list[str]:
        """The words the query's synonyms also search for, once each."""
        return list(dict.fromkeys(word for words in self.synonyms.values() for word in words))


def _alternative(tokens: Iterable[str]) -> Alternative:
    return tuple(dict.fromkeys(tokens))


def build_plan(
    query: str, synonyms: Mapping[str, Sequence[str]] | None = None, *, prefix: bool = False, fuzzy: bool = False
) -> SearchPlan:
    """The plan of ``query`` given the synonyms of its words (``{word: [synonym, …]}``), read by the caller."""
    typed = {word for word in _words(query) if LETTERS.fullmatch(word)}  # Latin words the shopper typed
    if fuzzy:
        query = respelled(query)
    words = _words(query)
    if not words:
        return SearchPlan(())
    lowered = (query or "").lower()
    typing = prefix and not lowered[-1:].isspace()
    last = words[-1] if typing and WORD.fullmatch(words[-1]) else None
    words = [word for word in words if word not in STOP_WORDS] or words

    def tokens(word: str) -> list[str]:
        if fuzzy and word in typed and len(word) > FUZZY_PREFIX_MIN + 1:
            return [word[: max(FUZZY_PREFIX_MIN, len(word) - 2)] + PREFIX]  # a typo near its end
        if word == last:
            return [word + PREFIX]
        return _tokens(word)

    synonyms = {key: list(values)[:MAX_SYNONYMS_PER_WORD] for key, values in (synonyms or {}).items() if values}
    if len(words) > 1 and all(WORD.fullmatch(word) for word in words):
        # Latin words typed apart may be one word spelled in pinyin ("qi cheng").
        joined = "".join(words)
        synonyms[joined] = [joined + (PREFIX if last else ""), *synonyms.get(joined, [])]
    alternatives: dict[int, list[Alternative]] = {}
    remaining = list(range(len(words)))
    applied: dict[str, tuple[str, ...]] = {}
    for key in sorted(synonyms, key=lambda word: (-len(word), word)):
        covered = [i for i in remaining if words[i] in key]
        if not covered:
            continue
        remaining = [i for i in remaining if i not in covered]
        own = _alternative(token for i in covered for token in tokens(words[i]))
        others = [_synonym_alternative(word) for word in synonyms[key]]
        plurals = [(singular,) for singular in singulars(words[covered[0]])] if len(covered) == 1 else []
        alternatives[covered[0]] = [own, *plurals, *(other for other in others if other)]
        applied[key] = tuple(word for word in synonyms[key] if not word.endswith(PREFIX) and word != key)
    for i in remaining:
        alternatives[i] = [_alternative(tokens(words[i])), *((singular,) for singular in singulars(words[i]))]
    clauses = tuple(tuple(dict.fromkeys(alternatives[i])) for i in sorted(alternatives))
    return SearchPlan(clauses, tuple(words), {key: words for key, words in applied.items() if words})


def _synonym_alternative(word: str) -> Alternative:
    if word.endswith(PREFIX):
        return (word,)
    return _alternative(token for part in _words(word) for token in _tokens(part))


def respelled(query: str) -> str:
    """``query`` with its Chinese words in pinyin. Characters jieba leaves alone are joined first: a
    homophone typed by mistake splits a word (脐澄 → 脐 澄 → ``qicheng``); a lone character stays Chinese."""
    parts: list[str] = []
    single = ""

    def spell(chunk: str) -> None:
        spelled = _spelled(_syllables(chunk)) if len(chunk) > 1 else []
        parts.append(spelled[0] if spelled else chunk)

    for word in jieba.cut((query or "").lower()[:200]):
        if CJK_RUN.fullmatch(word) and len(word) == 1:
            single += word
            continue
        if single:
            spell(single)
            single = ""
        if CJK_RUN.fullmatch(word):
            spell(word)
        elif word.strip():
            parts.append(word)
    if single:
        spell(single)
    return " ".join(parts) + (" " if (query or "")[-1:].isspace() else "")


def plan_search(query: str, *, prefix: bool = False, fuzzy: bool = False) -> SearchPlan:
    """The plan of ``query`` with the operators' synonyms of its words (one query when it has words; none
    for a ``fuzzy`` plan, which is a second try without synonyms)."""
    if fuzzy or not _words(query):
        return build_plan(query, prefix=prefix, fuzzy=fuzzy)
    from catalog.selectors import synonyms_for  # catalog.models imports this module

    return build_plan(query, synonyms_for(synonym_candidates(query)), prefix=prefix)


def _lexeme(token: str) -> str:
    if token.endswith(PREFIX):
        return _lexeme(token[: -len(PREFIX)]) + ":*"
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


def _tsquery_of(clauses: Iterable[Clause]) -> str:
    parts = []
    for clause in clauses:
        options = ["(" + " & ".join(_lexeme(t) for t in alternative) + ")" for alternative in clause]
        parts.append(options[0] if len(options) == 1 else "(" + " | ".join(options) + ")")
    return " & ".join(parts)


def _tsquery(groups: Iterable[list[str]]) -> str:
    return _tsquery_of((tuple(group),) for group in groups)


class SimpleTsVector(Func):
    """``to_tsvector('simple', search_text)``: the expression the GIN indexes cover (stored on Product).

    On SQLite, where nothing searches it, it is NULL (``Product.search_vector`` is generated from it).
    """

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []


def stored_vector(model: type[Model], field: str) -> str | None:
    """The generated field of ``model`` that stores ``to_tsvector('simple', field)``, if it has one."""
    for candidate in model._meta.concrete_fields:
        expression = getattr(candidate, "expression", None)
        if (
            candidate.generated
            and isinstance(expression, SimpleTsVector)
            and expression.get_source_expressions() == [F(field)]
        ):
            return candidate.name
    return None


def search(queryset: QuerySet, query: str | SearchPlan, field: str = "search_text") -> QuerySet:
    """Filter ``queryset`` to rows whose ``field`` matches ``query`` (a query, with the operators' synonyms,
    or a plan made already); rank on PostgreSQL.

    A model that stores the vector (``stored_vector``) is matched and ranked on that column, so no row's
    text is parsed again; otherwise on the indexed expression. A one-lexeme query's rank is the same for
    every match (``ONE_LEXEME_RANK``), so it is not computed per row; nor is that of one word with
    alternatives (its synonyms, its pinyin joined, a prefix): such a word matches many rows, and ranking
    them would read every match's vector, so its matches share that rank (the newest come first).
    """
    plan = query if isinstance(query, SearchPlan) else plan_search(query)
    if not plan:
        return queryset.none()
    clauses = plan.clauses
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(_tsquery_of(clauses), config="simple", search_type="raw")
        stored = stored_vector(queryset.model, field)
        if stored is None:
            queryset, stored = queryset.annotate(search_vector=SimpleTsVector(F(field))), "search_vector"
        if len(clauses) == 1 and (len(clauses[0]) > 1 or len(clauses[0][0]) == 1):
            rank = Value(ONE_LEXEME_RANK, output_field=FloatField())
        else:
            rank = SearchRank(F(stored), tsquery)
        return queryset.filter(**{stored: tsquery}).annotate(search_rank=rank)
    condition = Q()
    for clause in clauses:
        matches = Q()
        for alternative in clause:
            every = Q()
            for token in alternative:
                bounded = f" {token[: -len(PREFIX)]}" if token.endswith(PREFIX) else f" {token} "
                every &= Q(**{f"{field}__contains": bounded})
            matches |= every
        condition &= matches
    return queryset.filter(condition)
