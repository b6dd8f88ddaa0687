"""Chinese-aware product search.

PostgreSQL's text-search parser keeps a run of Chinese characters as one token, so
"脐橙" would never match "贵措脐橙礼盒". We segment text ourselves: the stored
``search_text`` holds jieba's search-mode words plus every Chinese character and
character pair, and a query is segmented the same way. On PostgreSQL the tokens
are matched through a GIN-indexed ``to_tsvector('simple', search_text)``; on SQLite
(``make run`` only) through word-bounded substring tests.
"""

import logging
import re
from collections.abc import Iterable

import jieba
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import F, Func, Q, QuerySet

jieba.setLogLevel(logging.WARNING)

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[0-9a-z]+")
MAX_QUERY_TOKENS = 12


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
    """``to_tsvector('simple', search_text)``: the exact expression the GIN index covers."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


def search(queryset: QuerySet, query: str, field: str = "search_text") -> QuerySet:
    """Filter ``queryset`` to rows whose ``field`` matches every query word; rank on PostgreSQL."""
    groups = query_groups(query)
    if not groups:
        return queryset.none()
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(_tsquery(groups), config="simple", search_type="raw")
        return (
            queryset.annotate(search_vector=SimpleTsVector(F(field)))
            .filter(search_vector=tsquery)
            .annotate(search_rank=SearchRank(F("search_vector"), tsquery))
        )
    condition = Q()
    for group in groups:
        for token in group:
            condition &= Q(**{f"{field}__contains": f" {token} "})
    return queryset.filter(condition)
