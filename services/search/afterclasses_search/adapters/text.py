"""Text analysis shared by indexing and querying: fold, tokenize, stem (Russian and English).

Documents and queries go through the same steps, so ``футболом`` meets ``Футбол`` and
``Савёлки`` meets ``Савелки``. Tokens are runs of letters and digits: every other character
(quotes, ``+``, ``-``, operators' punctuation) only separates, so no user text can reach the
engine's query syntax.
"""
from __future__ import annotations

import re
import threading

import Stemmer

_WORD = re.compile(r"[^\W_]+")
MAX_TERM = 40  # longer "words" are noise (URLs, runs of letters) and cost index space
_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]")

# words that only glue a query together; dropped from queries, never from documents
STOPWORDS = frozenset(
    "a an and or not the of in on at to for with near by from und "
    "и или не в во на с со для по к ко у о об от до из за около".split()
)

_local = threading.local()  # PyStemmer objects are not thread-safe


def _stemmers():
    if not hasattr(_local, "ru"):
        _local.ru = Stemmer.Stemmer("russian", 100_000)
        _local.en = Stemmer.Stemmer("english", 100_000)
    return _local.ru, _local.en


def fold(text: str) -> str:
    """Case and ё/е folding."""
    return text.lower().replace("ё", "е")


def stem(token: str) -> str:
    ru, en = _stemmers()
    if _CYRILLIC.search(token):
        return ru.stemWord(token)
    if _LATIN.search(token):
        return en.stemWord(token)
    return token


def tokens(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def analyze(text: str) -> list[str]:
    """Stems of a document's text; a hyphenated word also yields its joined form (hip-hop → hiphop)."""
    if not text:
        return []
    folded = fold(text)
    words = _WORD.findall(folded)
    # joined forms of hyphenated words, per whitespace-separated chunk: linear in the text
    for chunk in folded.split():
        if "-" in chunk or "‐" in chunk or "–" in chunk:
            parts = _WORD.findall(chunk)
            if len(parts) > 1:
                words.append("".join(parts))
    return [stem(w) for w in words if len(w) <= MAX_TERM]


MAX_QUERY_WORDS = 12  # a parent types a few words; sixty made-up ones would only cost time


def query_words(text: str) -> list[str]:
    """The distinct words of user text, stopwords dropped (unless nothing else is left), at most
    MAX_QUERY_WORDS. Punctuation only separates."""
    words = tokens(text)
    kept = [w for w in words if w not in STOPWORDS] or words
    return list(dict.fromkeys(kept))[:MAX_QUERY_WORDS]


def query_terms(text: str) -> list[str]:
    """Stems a query must match (of :func:`query_words`)."""
    return list(dict.fromkeys(stem(w) for w in query_words(text)))


def fts_phrase(term: str) -> str:
    """One term as an FTS5 string literal (tokens never hold quotes; doubled anyway)."""
    return '"' + term.replace('"', '""') + '"'
