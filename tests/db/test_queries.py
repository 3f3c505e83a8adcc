import pytest
from inline_snapshot import snapshot

from db.queries import Queries, compile_query, load, parse


def test_named_parameters_become_numbered_placeholders():
    query = compile_query(
        "q", "SELECT :a::text, x::int FROM t WHERE b = :b AND c = :a AND d = '10:30'"
    )
    assert query.sql == snapshot(
        "SELECT $1::text, x::int FROM t WHERE b = $2 AND c = $1 AND d = '10:30'"
    )
    assert query.params == ("a", "b")
    assert query.args({"b": 2, "a": 1}) == [1, 2]


def test_wrong_parameters_are_named():
    query = compile_query("q", "SELECT :a, :b")
    with pytest.raises(TypeError, match=r"query q: missing \['b'\], unexpected \['c'\]"):
        query.args({"a": 1, "c": 3})


def test_a_file_holds_several_named_queries():
    queries = parse("-- name: one\nSELECT 1;\n\n-- name: two\n-- a comment\nSELECT :x;\n")
    assert {name: q.sql for name, q in queries.items()} == snapshot(
        {"one": "SELECT 1;", "two": "-- a comment\nSELECT $1;"}
    )


def test_a_name_defined_twice_is_refused():
    with pytest.raises(ValueError, match="defined twice"):
        parse("-- name: one\nSELECT 1;\n-- name: one\nSELECT 2;\n")


@pytest.mark.parametrize("file", ["reps", "prospects", "migrations"])
def test_every_shipped_file_parses(file):
    assert load(file)


async def test_queries_run_by_name_with_keywords(conn):
    q = Queries("prospects")
    row = await q.fetchrow(conn, "get", id="test_prospect_002")
    assert row is not None
    assert row["name"] == "Мария Козлова"
