"""Chinese-aware product search.

PostgreSQL's text-search parser keeps a run of Chinese characters as one token, so
"脐橙" would never match "贵措脐橙礼盒". We segment text ourselves: the stored
``search_text`` holds jieba's search-mode words plus every Chinese character and
character pair, and a query is segmented the same way. On PostgreSQL the tokens
are matched through a GIN-indexed ``to_tsvector('simple', search_text)``, which a
product stores (``Product.search_vector``) so that ranking never parses its text;
on SQLite (``make run`` only) through word-bounded substring tests.
"""

import logging
import re
from collections.abc import Iterable

import jieba
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import F, FloatField, Func, Model, Q, QuerySet, Value

jieba.setLogLevel(logging.WARNING)

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[0-9a-z]+")
MAX_QUERY_TOKENS = 12

# ``ts_rank`` of a one-lexeme query on our vectors. Every stored token is distinct (``index_tokens``) and
# is one lexeme to the 'simple' configuration, so the lexeme sits at exactly one position, of weight D, in
# every row that matches, and every such row ranks (0.1 + 0.1 - 0.1) / 1.64493406685: the float4 that
# PostgreSQL sends as 0.06079271. Ranking such a query is then ordering by the tie-breakers alone, which
# an index can serve without reading each match; ``tests/catalog/test_search.py`` checks both claims.
ONE_LEXEME_RANK = 0.06079271


def warm_up() -> None:
    """Load jieba's dictionary (about a second) so that no request pays for it; idempotent."""
    jieba.initialize()


def _cjk_grams(run: str) -> list[str]:
    return list(run) + [run[i : i + 2] for i in range(len(run) - 1)]


def index_tokens(*texts: str) -> list[str]:
    """Tokens to store for the given texts: jieba words, CJK unigrams and bigrams, ASCII words."""
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
    return list(tokens)


def build_search_text(*texts: str) -> str:
    """The stored form: tokens separated (and surrounded) by single spaces."""
    return " " + " ".join(index_tokens(*texts)) + " "


def query_groups(query: str) -> list[list[str]]:
    """Each group must match: a Chinese word as itself or as all of its character pairs."""
    groups: list[list[str]] = []
    lowered = (query or "").lower()[:200]
    seen: set[str] = set()
    for word in jieba.cut_for_search(lowered):
        word = word.strip()
        if not word or word in seen:
            continue
        if CJK_RUN.fullmatch(word):
            seen.add(word)
            pairs = [word[i : i + 2] for i in range(len(word) - 1)] or [word]
            groups.append(pairs)
        elif WORD.fullmatch(word):
            seen.add(word)
            groups.append([word])
        if len(groups) >= MAX_QUERY_TOKENS:
            break
    return groups


def _lexeme(token: str) -> str:
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


def _tsquery(groups: Iterable[list[str]]) -> str:
    parts = []
    for group in groups:
        parts.append("(" + " & ".join(_lexeme(t) for t in group) + ")")
    return " & ".join(parts)


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


def search(queryset: QuerySet, query: str, field: str = "search_text") -> QuerySet:
    """Filter ``queryset`` to rows whose ``field`` matches every query word; rank on PostgreSQL.

    A model that stores the vector (``stored_vector``) is matched and ranked on that column, so no row's
    text is parsed again; otherwise on the indexed expression. A one-lexeme query's rank is the same for
    every match (``ONE_LEXEME_RANK``), so it is not computed per row.
    """
    groups = query_groups(query)
    if not groups:
        return queryset.none()
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(_tsquery(groups), config="simple", search_type="raw")
        stored = stored_vector(queryset.model, field)
        if stored is None:
            queryset, stored = queryset.annotate(search_vector=SimpleTsVector(F(field))), "search_vector"
        if len(groups) == 1 and len(groups[0]) == 1:
            rank = Value(ONE_LEXEME_RANK, output_field=FloatField())
        else:
            rank = SearchRank(F(stored), tsquery)
        return queryset.filter(**{stored: tsquery}).annotate(search_rank=rank)
    condition = Q()
    for group in groups:
        for token in group:
            condition &= Q(**{f"{field}__contains": f" {token} "})
    return queryset.filter(condition)
