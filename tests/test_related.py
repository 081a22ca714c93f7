"""The fast related-article search agrees with the plain definition of its order, always."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import related


def brute_force(source: str, idents: list[str], members: dict[str, tuple[str, ...]], stamp: dict[str, float],
                limit: int) -> tuple[str, ...]:
    """Most shared tags, then nearest date, then URL: scored one by one."""
    score: dict[str, int] = {}
    for ident in idents:
        for member in members[ident]:
            score[member] = score.get(member, 0) + 1
    score.pop(source, None)
    ts = stamp[source]
    return tuple(sorted(score, key=lambda c: (-score[c], abs(stamp[c] - ts), url(c)))[:limit])


def url(source: str) -> str:
    return f"/u/{source}/"


@st.composite
def archives(draw: st.DrawFn) -> tuple[dict[str, tuple[str, ...]], dict[str, float], list[str]]:
    count = draw(st.integers(2, 90))
    tag_count = draw(st.integers(1, 9))
    sources = [f"a{i:03d}" for i in range(count)]
    # Few distinct dates, so that ties in date (settled by URL) are common.
    stamp = {s: float(draw(st.integers(0, 12))) * 86400 for s in sources}
    tags = {s: draw(st.sets(st.integers(0, tag_count - 1), max_size=8)) for s in sources}
    members = {f"t{t}": tuple(s for s in sources if t in tags[s]) for t in range(tag_count)}
    members = {k: v for k, v in members.items() if v}
    return members, stamp, sources


@pytest.mark.parametrize("direct_rank,max_tags", [(256, 6), (0, 6), (2, 3), (0, 1)])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=archives(), limit=st.integers(1, 7))
def test_fast_search_matches_brute_force(monkeypatch: pytest.MonkeyPatch, direct_rank: int, max_tags: int,
                                         data: tuple[dict[str, tuple[str, ...]], dict[str, float], list[str]],
                                         limit: int) -> None:
    # Small thresholds send small archives down the paths that big archives take.
    monkeypatch.setattr(related, "DIRECT_RANK", direct_rank)
    monkeypatch.setattr(related, "MAX_INTERSECTED_TAGS", max_tags)
    members, stamp, sources = data
    language = related._Language(members, stamp, {s: url(s) for s in stamp})
    for source in sources:
        idents = sorted(i for i, m in members.items() if source in m)
        if not idents:
            continue
        assert language.related(source, idents, limit) == brute_force(source, idents, members, stamp, limit), source


def test_big_tags_use_the_date_walk_and_stay_exact() -> None:
    """Two tags of 2,000 articles each: the answer is found without ranking them all, and is exact."""
    sources = [f"a{i:04d}" for i in range(3000)]
    stamp = {s: float(i // 3) for i, s in enumerate(sources)}
    members = {"big": tuple(sources[:2000]), "other": tuple(sources[1000:]),
               "rare": (sources[10], sources[1900])}
    language = related._Language(members, stamp, {s: url(s) for s in stamp})
    for source in (sources[10], sources[1500], sources[2999], sources[1000]):
        idents = sorted(i for i, m in members.items() if source in m)
        assert language.related(source, idents, 5) == brute_force(source, idents, members, stamp, 5)
    assert language.related(sources[10], ["big", "rare"], 5)[0] == sources[1900]  # 2 shared tags beat any date
