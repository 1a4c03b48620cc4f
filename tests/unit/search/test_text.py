"""Text analysis: the same folding and stemming for documents and queries."""
import pytest

from afterclasses_search.adapters.text import analyze, fts_phrase, query_terms


@pytest.mark.parametrize("query, document", [
    ("футболом", "Футбол"), ("плаванием", "Плавание"), ("Савёлки", "Савелки"), ("Савелки", "Савёлки"),
    ("swimming", "swim"), ("dancing", "Dance"), ("ЁЖИК", "ежик"),
])
def test_query_and_document_meet(query, document):
    assert set(query_terms(query)) <= set(analyze(document))


@pytest.mark.parametrize("text", ['"', "AND", "NOT", "(", "*", "a:b", "C++", "🎾", "\x00", "‏rtl"])
def test_query_terms_are_bare_words(text):
    for term in query_terms(text):
        assert term.isalnum()
        assert fts_phrase(term) == f'"{term}"'


def test_glue_words_are_dropped_unless_nothing_else_is_left():
    assert query_terms("tennis and chess") == ["tenni", "chess"]
    assert query_terms("and") == ["and"]
    assert query_terms("футбол в Раменках")[0] == "футбол" and "в" not in query_terms("футбол в Раменках")


def test_hyphenated_words_are_indexed_split_and_joined():
    assert {"hip", "hop", "hiphop"} <= set(analyze("Hip-hop"))


def test_a_huge_word_is_analysed_in_linear_time():
    import time

    started = time.perf_counter()
    analyze("a" * 10_000 + " " + "b-" * 5_000)
    assert time.perf_counter() - started < 0.5


def test_a_query_keeps_at_most_a_dozen_words():
    from afterclasses_search.adapters.text import MAX_QUERY_WORDS, query_terms, query_words

    nonsense = " ".join(f"zq{i:02d}x" for i in range(60))
    assert len(query_words(nonsense)) == MAX_QUERY_WORDS == 12
    assert len(query_terms(nonsense)) == 12
