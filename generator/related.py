"""Related articles: for each article, the ones of its language sharing the most tags with it.

Order: most shared tags first, then nearest in date, then URL, so the list is the same on every
build. The search must stay fast on archives of 100,000 articles whose biggest tags hold tens
of thousands of them, so it never scores every member of a tag one by one:

- articles sharing at least `s` tags are found with set intersections (done in C), starting
  from the highest possible `s`, and intersections of two tags are shared by every article
  that has both;
- at the level where the list fills up, the nearest candidates in date are found by walking
  the date-sorted members of the article's tags outwards from its date.

A brute-force version of the same order is in the tests; the two must always agree.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
from collections import Counter
from collections.abc import Callable
from itertools import combinations

from generator.model import Listing, Page

#: Above this many tags, the levels of shared tags are counted instead of intersected
#: (the number of tag combinations grows too fast).
MAX_INTERSECTED_TAGS = 6
#: A set of candidates up to this size is ranked as it is; a bigger one by the date walk.
DIRECT_RANK = 32
#: A tag's timeline is walked for an intersection holding at least 1/DENSE of its members;
#: a sparser intersection gets a timeline of its own.
DENSE = 8

Timeline = list[tuple[float, str, str]]


class _Language:
    """The tags of one language, ready for many related-article searches."""

    def __init__(self, members: dict[str, tuple[str, ...]], stamp: dict[str, float], url: dict[str, str]) -> None:
        self.members = members
        self.stamp = stamp
        self.url = url
        self.sets = {ident: frozenset(items) for ident, items in members.items()}
        self._pairs: dict[tuple[str, str], frozenset[str]] = {}
        self._timelines: dict[tuple[str, ...], Timeline] = {}

    def common(self, combo: tuple[str, ...]) -> frozenset[str]:
        """Articles tagged with every tag of `combo` (at least two, smallest tags first)."""
        pair = self._pairs.get((combo[0], combo[1]))
        if pair is None:
            pair = self._pairs[(combo[0], combo[1])] = self.sets[combo[0]] & self.sets[combo[1]]
        for ident in combo[2:]:
            if not pair:
                break
            pair = pair & self.sets[ident]
        return pair

    def timeline(self, combo: tuple[str, ...]) -> Timeline:
        """Articles with every tag of `combo`, oldest first, with their timestamps and URLs."""
        found = self._timelines.get(combo)
        if found is None:
            stamp, url = self.stamp, self.url
            members = self.members[combo[0]] if len(combo) == 1 else self.common(combo)
            found = sorted([(stamp[s], url[s], s) for s in members])
            if len(combo) <= 2:  # shared by every article with these tags; longer combinations are rare
                self._timelines[combo] = found
        return found

    def related(self, source: str, idents: list[str], limit: int) -> tuple[str, ...]:
        """Up to `limit` articles sharing the most of `idents` with `source`, nearest first."""
        if len(idents) > MAX_INTERSECTED_TAGS:
            return self._related_by_count(source, idents, limit)
        # Smallest tags first: every intersection then starts from the smallest pair.
        idents = sorted(idents, key=lambda i: (len(self.members[i]), i))
        higher: set[str] = set()
        for shared in range(len(idents), 1, -1):
            # Members of at least `shared` of the tags are the union of these parts.
            parts = [(combo, found) for combo in combinations(idents, shared) if (found := self.common(combo))]
            if all(len(found) <= limit for _, found in parts):
                level = set().union(*(found for _, found in parts))
                level.discard(source)
                if len(level) < limit:
                    higher = level
                    continue
                return self._ranked(source, idents, higher, level - higher, limit)
            # Some part alone fills the list: small parts are ranked as they are, big ones are
            # walked in date order outwards from the article's date.
            return self._ranked(source, idents, higher, self._nearest(source, parts, limit - len(higher), higher), limit)
        return self._ranked(source, idents, higher,
                            self._nearest(source, [((i,), self.sets[i]) for i in idents], limit - len(higher), higher),
                            limit)

    def _nearest(self, source: str, parts: list[tuple[tuple[str, ...], frozenset[str]]], wanted: int,
                 skip: set[str]) -> set[str]:
        """Candidates among which the `wanted` nearest members of the parts' union are (`skip` aside)."""
        pool: set[str] = set()
        for combo, found in parts:
            if len(found) <= DIRECT_RANK:
                pool |= found
            elif len(combo) == 1 or len(self.members[combo[0]]) <= DENSE * len(found):
                # Dense enough in its smallest tag's timeline to find them there quickly.
                self._walk(self.timeline(combo[:1]), source, wanted, skip, pool, found)
            else:
                self._walk(self.timeline(combo), source, wanted, skip, pool, found)
        pool -= skip
        pool.discard(source)
        return pool

    def _walk(self, timeline: Timeline, source: str, wanted: int, skip: set[str], into: set[str],
              among: frozenset[str]) -> None:
        """Add to `into` the `wanted` nearest members of `among` on each side of `source`'s date
        that are not in `skip`, and any that share a date with the last one (ties are settled by
        URL later)."""
        ts = self.stamp[source]
        pos = bisect.bisect_left(timeline, (ts,))
        for step, start in ((-1, pos - 1), (1, pos)):
            found = 0
            last = None
            i = start
            while 0 <= i < len(timeline):
                stamp, _, member = timeline[i]
                if found >= wanted and stamp != last:
                    break
                if member != source and member not in skip and member in among:
                    into.add(member)
                    found += 1
                    last = stamp
                i += step

    def _ranked(self, source: str, idents: list[str], higher: set[str], pool: set[str],
                limit: int) -> tuple[str, ...]:
        """All of `higher`, then the nearest of `pool` (candidates of one lower level)."""
        stamp, url, ts = self.stamp, self.url, self.stamp[source]
        nearest = heapq.nsmallest(limit - len(higher), [(abs(stamp[c] - ts), url[c], c) for c in pool])
        ranked = sorted((-sum(c in self.sets[i] for i in idents), abs(stamp[c] - ts), url[c], c) for c in higher)
        return tuple(entry[-1] for entry in ranked) + tuple(entry[-1] for entry in nearest)

    def _related_by_count(self, source: str, idents: list[str], limit: int) -> tuple[str, ...]:
        counts: Counter[str] = Counter()
        for ident in idents:
            counts.update(self.members[ident])
        counts.pop(source, None)
        stamp, url, ts = self.stamp, self.url, self.stamp[source]
        return tuple(entry[-1] for entry in heapq.nsmallest(
            limit, [(-n, abs(stamp[c] - ts), url[c], c) for c, n in counts.items()]))


def related_lists(articles: dict[str, list[str]], by_source: dict[str, Page],
                  listings: dict[tuple[str, str], tuple[Listing, ...]], limit: int, memo: dict[str, tuple[str, ...]],
                  identity: Callable[[str], str]) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Related lists of every article, and the memo for the next build.

    An article's list depends only on its own date and URL and on the members of its tags, so
    it is looked up in `memo` (the last build's lists) under a key of exactly those.
    """
    out: dict[str, tuple[str, ...]] = {}
    new_memo: dict[str, tuple[str, ...]] = {}
    if limit <= 0:
        return out, new_memo
    stamp = {s: p.date.timestamp() for s, p in by_source.items()}
    url = {s: p.url_path for s, p in by_source.items()}
    for lang, items in articles.items():
        members = {identity(t.title): t.pages for t in listings[(lang, "tag")]}
        language = _Language(members, stamp, url)
        versions = {k: hashlib.blake2b(repr([(s, stamp[s], url[s]) for s in v]).encode(),
                                       digest_size=12).hexdigest() for k, v in members.items()}
        for source in items:
            idents = sorted({identity(t) for t in by_source[source].tags} & members.keys())
            if not idents:
                continue
            key = f"{source}|{stamp[source]}|{url[source]}|{limit}|" + "|".join(versions[i] for i in idents)
            found = memo.get(key)
            if found is None:
                found = language.related(source, idents, limit)
            out[source] = new_memo[key] = found
    return out, new_memo
