"""Greedy CTC decoding and the line confidence the review routing relies on."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from recognition.engine.charset import BLANK, Charset
from recognition.engine.ctc import Decoded, decode_batch, greedy_decode

CHARSET = Charset("ab")
CLASS = {"_": BLANK, "a": 1, "b": 2}


def probs_for(path: str, p: float = 0.9) -> np.ndarray:
    """(T, 3) probabilities: each frame gives ``p`` to the class its path symbol names."""
    rows = np.full((len(path), CHARSET.num_classes), (1 - p) / (CHARSET.num_classes - 1))
    for t, symbol in enumerate(path):
        rows[t, CLASS[symbol]] = p
    return rows


def log_softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("a", "a"),
        ("aa", "a"),
        ("aaaa", "a"),
        ("a_a", "aa"),
        ("ab", "ab"),
        ("_a_", "a"),
        ("aab_bba", "abba"),
        ("ba__ab", "baab"),
        ("___", ""),
    ],
)
def test_greedy_decode_merges_repeats_then_drops_blanks(path, text):
    assert greedy_decode(np.log(probs_for(path)), CHARSET).text == text


def test_an_all_blank_line_scores_by_the_strongest_character_it_did_not_emit():
    abc = Charset("abc")
    probs = np.array([[0.9, 0.05, 0.03, 0.02], [0.7, 0.2, 0.05, 0.05], [0.8, 0.1, 0.05, 0.05]])
    decoded = greedy_decode(np.log(probs), abc)
    assert decoded.text == ""
    assert decoded.confidence == pytest.approx(0.8)
    assert decoded.char_confidences == ()
    assert decoded.char_spans == ()


def test_an_empty_input_decodes_to_nothing_with_zero_confidence():
    assert greedy_decode(np.zeros((0, CHARSET.num_classes)), CHARSET) == Decoded("", 0.0)


def test_line_confidence_is_the_weakest_emitted_character():
    probs = probs_for("aab")
    probs[2] = [0.2, 0.2, 0.6]
    decoded = greedy_decode(np.log(probs), CHARSET)
    assert decoded.text == "ab"
    assert decoded.confidence == pytest.approx(0.6)


def test_a_frame_torn_between_blank_and_a_neighbouring_character_costs_nothing():
    clean = probs_for("a_b", p=0.95)
    torn = clean.copy()
    torn[1] = [0.5, 0.45, 0.05]  # blank or a longer "a" run: the text is "ab" either way
    clean_decoded = greedy_decode(np.log(clean), CHARSET)
    torn_decoded = greedy_decode(np.log(torn), CHARSET)
    assert torn_decoded.text == clean_decoded.text == "ab"
    assert torn_decoded.confidence == pytest.approx(clean_decoded.confidence)


def test_a_blank_frame_with_mass_on_another_character_lowers_the_line_confidence():
    abc = Charset("abc")
    probs = np.array([[0.02, 0.95, 0.02, 0.01], [0.55, 0.02, 0.03, 0.4], [0.02, 0.01, 0.95, 0.02]])
    decoded = greedy_decode(np.log(probs), abc)
    assert decoded.text == "ab"  # a "c" may have been dropped between them
    assert decoded.char_confidences == pytest.approx((0.95, 0.95))
    assert decoded.confidence == pytest.approx(0.6)


def test_each_emitted_character_gets_the_best_probability_of_its_run():
    probs = np.array(
        [
            [0.3, 0.6, 0.1],  # a
            [0.05, 0.9, 0.05],  # a, same run
            [0.8, 0.1, 0.1],  # blank
            [0.2, 0.1, 0.7],  # b
            [0.2, 0.2, 0.6],  # b, same run
        ]
    )
    decoded = greedy_decode(np.log(probs), CHARSET)
    assert decoded.text == "ab"
    assert decoded.char_confidences == pytest.approx((0.9, 0.7))
    assert decoded.confidence == pytest.approx(0.7)


def reference_confidence(probs: np.ndarray) -> float:
    """The docstring's definition written out frame by frame, independently of ctc.py."""
    best = probs.argmax(axis=1)
    runs = [
        (k, [t for t, _ in group])
        for k, group in itertools.groupby(enumerate(best.tolist()), key=lambda x: x[1])
    ]
    emitted = [(k, ts) for k, ts in runs if k != BLANK]
    scores = [max(probs[t, k] for t in ts) for k, ts in emitted]
    for t in range(len(best)):
        if best[t] != BLANK:
            continue
        before = [k for k, ts in emitted if ts[-1] < t]
        after = [k for k, ts in emitted if ts[0] > t]
        skip = {BLANK, before[-1] if before else BLANK, after[0] if after else BLANK}
        scores.append(
            1 - max((probs[t, c] for c in range(probs.shape[1]) if c not in skip), default=0.0)
        )
    return min(scores) if scores else 1.0


def test_logits_and_log_probabilities_of_the_same_scores_decode_alike():
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 3, (40, CHARSET.num_classes))
    from_logits = greedy_decode(logits, CHARSET, is_logits=True)
    from_log_probs = greedy_decode(log_softmax(logits), CHARSET)
    assert from_logits.text == from_log_probs.text
    assert from_logits.confidence == pytest.approx(from_log_probs.confidence, rel=1e-5)
    assert from_logits.char_confidences == pytest.approx(from_log_probs.char_confidences, rel=1e-5)


def test_logits_are_shift_invariant_per_frame():
    rng = np.random.default_rng(4)
    logits = rng.normal(0, 3, (30, CHARSET.num_classes))
    shifted = logits + rng.uniform(-50, 50, (30, 1))
    a = greedy_decode(logits, CHARSET, is_logits=True)
    b = greedy_decode(shifted, CHARSET, is_logits=True)
    assert a.text == b.text
    assert a.confidence == pytest.approx(b.confidence, rel=1e-4)


@pytest.mark.parametrize("seed", range(10))
def test_greedy_decode_agrees_with_a_plain_best_path_reading(seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, (int(rng.integers(1, 60)), CHARSET.num_classes))
    logits[:, BLANK] += 1.0  # blank-heavy, as trained models are
    probs = np.exp(log_softmax(logits))
    best = probs.argmax(axis=1)
    expected = "".join(CHARSET.chars[k - 1] for k, _ in itertools.groupby(best) if k != BLANK)
    decoded = greedy_decode(logits, CHARSET, is_logits=True)
    assert decoded.text == expected
    assert decoded.confidence == pytest.approx(max(0.0, reference_confidence(probs)), abs=1e-5)
    assert len(decoded.char_confidences) == len(decoded.char_spans) == len(decoded.text)
    assert all(decoded.confidence <= c <= 1.0 for c in decoded.char_confidences)


@pytest.mark.parametrize(
    ("path", "spans"),
    [
        ("a", [(0.0, 1.0)]),
        ("a_a", [(0, 1 / 3), (2 / 3, 1.0)]),
        ("_aa__b____", [(0.1, 0.3), (0.5, 0.6)]),
        ("ab", [(0.0, 0.5), (0.5, 1.0)]),
    ],
)
def test_char_spans_are_the_frame_runs_as_fractions_of_the_line(path, spans):
    decoded = greedy_decode(np.log(probs_for(path)), CHARSET)
    assert len(decoded.char_spans) == len(decoded.text)
    for got, want in zip(decoded.char_spans, spans, strict=True):
        assert got == pytest.approx(want)


@pytest.mark.parametrize("seed", range(5))
def test_char_spans_are_ordered_and_inside_the_line(seed):
    logits = np.random.default_rng(seed).normal(0, 2, (80, CHARSET.num_classes))
    spans = greedy_decode(logits, CHARSET, is_logits=True).char_spans
    assert spans, "random scores over 80 frames should emit something"
    for start, end in spans:
        assert 0.0 <= start < end <= 1.0
    for (_, prev_end), (next_start, _) in itertools.pairwise(spans):
        assert prev_end <= next_start


@pytest.mark.parametrize("classes", [2, 4, 10])
def test_scores_with_the_wrong_number_of_classes_are_rejected(classes):
    with pytest.raises(ValueError, match="classes"):
        greedy_decode(np.zeros((5, classes)), CHARSET)


@pytest.mark.parametrize("shape", [(3,), (2, 3, 3), ()])
def test_scores_that_are_not_one_line_of_frames_are_rejected(shape):
    with pytest.raises(ValueError, match="expected"):
        greedy_decode(np.zeros(shape), CHARSET)


def _logit_rows(path: str) -> np.ndarray:
    return np.log(probs_for(path))


def test_decode_batch_cuts_each_line_to_its_own_length():
    # Line 0 is 3 frames long; its padding frames would read a trailing "a" if they leaked in.
    line0 = _logit_rows("ab_" + "aaa")
    line1 = _logit_rows("_b_a__")
    logits = np.stack([line0, line1], axis=1)  # (T, N, C)
    decoded = decode_batch(logits, np.array([3, 6]), CHARSET)
    assert [d.text for d in decoded] == ["ab", "ba"]
    assert decoded[0] == greedy_decode(line0[:3], CHARSET, is_logits=True)
    # Spans are fractions of the line's own frames, not of the padded batch.
    assert decoded[0].char_spans[-1][1] == pytest.approx(2 / 3)


def test_decode_batch_returns_one_result_per_line_even_for_a_zero_length_line():
    logits = np.stack([_logit_rows("abab"), _logit_rows("bbbb")], axis=1)
    decoded = decode_batch(logits, [0, 4], CHARSET)
    assert decoded[0] == Decoded("", 0.0)
    assert decoded[1].text == "b"


def brute_force_prefix(log_probs: np.ndarray, target: list[int]) -> float:
    """log P(text starts with target) by enumerating every path: only for tiny inputs."""
    total = 0.0
    steps, classes = log_probs.shape
    for path in itertools.product(range(classes), repeat=steps):
        text = [k for k, _ in itertools.groupby(path) if k != BLANK]
        if text[: len(target)] == target:
            total += float(np.exp(sum(log_probs[t, c] for t, c in enumerate(path))))
    return float(np.log(total)) if total > 0 else float("-inf")


@pytest.mark.parametrize("seed", range(12))
def test_prefix_probability_equals_the_sum_over_all_paths(seed):
    from recognition.engine.ctc import prefix_log_prob

    rng = np.random.default_rng(seed)
    steps = int(rng.integers(1, 6))
    log_probs = log_softmax(rng.normal(0, 1.5, (steps, 3)))
    target = [int(c) for c in rng.integers(1, 3, size=int(rng.integers(1, 4)))]
    got, _ = prefix_log_prob(log_probs, target)
    expected = brute_force_prefix(log_probs, target)
    if np.isinf(expected):
        assert np.isinf(got)
    else:
        assert got == pytest.approx(expected, abs=1e-9)


def test_prefix_probability_finds_where_the_prefix_ends():
    from recognition.engine.ctc import prefix_log_prob

    probs = probs_for("aa_b__ab", p=0.97)
    log_p, end = prefix_log_prob(np.log(probs), [1, 2])
    assert log_p > np.log(0.9)
    assert end == 3  # "b" first emitted at frame 3
    assert prefix_log_prob(np.log(probs), [2])[0] < np.log(0.1)


def test_decode_batch_keeps_scores_only_when_asked():
    logits = np.random.default_rng(5).normal(0, 1, (6, 2, CHARSET.num_classes))
    plain = decode_batch(logits, [6, 4], CHARSET)
    scored = decode_batch(logits, [6, 4], CHARSET, keep_scores=True)
    assert all(d.log_probs is None for d in plain)
    assert [d.log_probs.shape for d in scored] == [(6, 3), (4, 3)]
    assert np.exp(scored[0].log_probs).sum(axis=1) == pytest.approx(np.ones(6), rel=1e-5)
    assert [d.text for d in plain] == [d.text for d in scored]


def test_decode_batch_keeps_just_the_columns_asked_for():
    logits = np.random.default_rng(6).normal(0, 1, (6, 2, CHARSET.num_classes))
    full = decode_batch(logits, [6, 4], CHARSET, keep_scores=True)
    few = decode_batch(logits, [6, 4], CHARSET, keep_scores=[0, 2])
    for a, b in zip(full, few, strict=True):
        assert b.log_probs.shape == (a.log_probs.shape[0], 2)
        np.testing.assert_allclose(b.log_probs, a.log_probs[:, [0, 2]], atol=1e-6)
        assert (a.text, a.confidence) == (b.text, b.confidence)
