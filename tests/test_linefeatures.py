"""The line model's batch features agree with what they mean, line by line."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pressline import linetable
from pressline.linefeatures import _containing

NEEDLES = ("http://", "www.", "@", ".com", "ago")
lines_with_markers = st.lists(
    st.one_of(st.text(max_size=60), st.text(alphabet="agow.c@mht:/ ", max_size=30),
              st.sampled_from(["3 hours ago", "mail me@example.com", "see www.example.org", "http://"])),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(lines_with_markers, lines_with_markers)
def test_marker_search_finds_exactly_the_lines_that_hold_a_needle(first: list[str], second: list[str]) -> None:
    table = linetable.build(["\n".join(first), "\n".join(second)])
    codes = np.array([table.joined_lower]).view(np.uint32)
    for needles in (NEEDLES[:1], NEEDLES):
        expected = [any(needle in line for needle in needles) for line in table.lowered[:len(table)]]
        assert _containing(table, codes, needles).tolist() == expected


def test_cue_shares_are_the_share_of_a_lines_words_in_each_cue_list() -> None:
    from pressline.clean import analyse_batch
    from pressline.linefeatures import _cues, feature_names

    lines = ["* Click to share on Facebook (Opens in new window) Facebook",
             "The council shared its plans with residents on Tuesday, officials said."]
    batch = analyse_batch(["\n".join(lines)])
    names = feature_names()
    for name, words in _cues().items():
        expected = [sum(word in words for word in line.lower().split()) / len(line.split()) for line in lines]
        assert batch.features[:, names.index(f"{name}_share")].tolist() == np.float32(expected).tolist()
    assert batch.features[0, names.index("widget_words_share")] > batch.features[1, names.index("widget_words_share")]


def test_lowering_by_arithmetic_is_the_tables() -> None:
    from pressline import linetable

    codes = np.concatenate([np.arange(0x10000, dtype=np.uint32), np.array([0x1D518, 0x10400, 0x1F600], np.uint32)])
    table = linetable._lower_table()[np.minimum(codes, 0x10000)]
    assert (linetable._lowered(codes) == np.where(codes > 0xFFFF, codes, table)).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(-30, 30), max_size=40), max_size=12), st.booleans(), st.booleans())
def test_spans_of_all_segments_at_once_are_each_segments_own(segments: list[list[int]], fractional: bool,
                                                             small_grid: bool) -> None:
    import pressline.linefeatures as features

    scores = np.array([score for segment in segments for score in segment], np.int64)
    if fractional:
        scores = scores / 7.0  # float sums: the grid must add in the same order as one segment alone
    bounds = np.cumsum([0, *map(len, segments)])
    grid_cells, features.SPAN_GRID_CELLS = features.SPAN_GRID_CELLS, 30 if small_grid else features.SPAN_GRID_CELLS
    try:
        begins, ends = features.max_spans(scores, bounds[:-1], bounds[1:])
    finally:
        features.SPAN_GRID_CELLS = grid_cells
    assert list(zip(begins.tolist(), ends.tolist())) == [features.max_span(scores[low:high])
                                                          for low, high in zip(bounds[:-1], bounds[1:])]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.floats(0, 50, width=32), max_size=60), min_size=1, max_size=8),
       st.integers(1, 4))
def test_window_means_are_the_means_of_each_lines_window_in_its_document(documents: list[list[float]],
                                                                          rows: int) -> None:
    from pressline.linefeatures import _window_means

    column = np.array([value for document in documents for value in document], np.float32)
    values = np.stack([column * (row + 1) for row in range(rows)])
    sizes = np.array(list(map(len, documents)))
    bounds = np.cumsum([0, *sizes])
    starts, ends = np.repeat(bounds[:-1], sizes), np.repeat(bounds[1:], sizes)
    for k, means in zip((1, 2, 25), _window_means(values, starts, ends, (1, 2, 25))):
        for i in range(column.size):
            low, high = max(starts[i], i - k), min(ends[i], i + k + 1)
            expected = np.cumsum(values[:, :high], axis=1, dtype=np.float64)[:, -1] - (
                np.cumsum(values[:, :low], axis=1, dtype=np.float64)[:, -1] if low else 0.0)
            assert means[:, i].tolist() == (expected / (high - low)).astype(np.float32).tolist()
