"""Scoring for the benchmarks: word error rate and diarization error rate."""

from __future__ import annotations

import re

import numpy as np

FRAME = 0.01  # seconds per frame when scoring DER


_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]  # fmt: skip
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred")]
_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
            "nine": "ninth", "twelve": "twelfth"}  # fmt: skip
# American spelling for the British words that appear in meeting talk; both sides get the same form.
_SPELLING = {
    "colour": "color", "favourite": "favorite", "organise": "organize", "organised": "organized",
    "realise": "realize", "realised": "realized", "analyse": "analyze", "centre": "center",
    "programme": "program", "cancelled": "canceled", "travelled": "traveled", "behaviour": "behavior",
    "prioritise": "prioritize", "apologise": "apologize", "okay": "ok", "mm": "mhm", "hmm": "mhm",
    "mmhmm": "mhm", "mhmm": "mhm", "uhhuh": "uh-huh",
}  # fmt: skip


def number_words(n: int) -> str:
    """An integer in words: 40000 -> "forty thousand", as a speaker says it."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for value, name in _SCALES:
        if n >= value:
            rest = n % value
            return f"{number_words(n // value)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError(n)


def _spoken_number(match: re.Match) -> str:
    raw, suffix = match.group(1).replace(",", ""), (match.group(2) or "").lower()
    whole, _, fraction = raw.partition(".")
    text = number_words(int(whole))
    if fraction:
        text += " point " + " ".join(_ONES[int(d)] for d in fraction)
    if suffix in ("st", "nd", "rd", "th"):
        last = text.split()[-1]
        ordinal = _ORDINAL.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
        text = " ".join(text.split()[:-1] + [ordinal])
    elif suffix == "%":
        text += " percent"
    return f" {text} "


def normalise(text: str) -> str:
    """Text as it is scored: lower case, numbers spelled out ("40,000" = "forty thousand", "10:30" = "ten
    thirty", "5%" = "five percent", "$3" = "three dollars"), one spelling per word, no punctuation."""
    text = re.sub(r"\b(m+-?h+m+|m+h+m+|uh-?huh)\b", "mhm", text.lower()).replace("-", " ")
    text = re.sub(r"\$\s?(\d[\d,]*(?:\.\d+)?)", r"\1 dollars", text)
    text = re.sub(
        r"\b(\d{1,2}):(\d\d)\b", lambda m: f"{m.group(1)} {'' if m.group(2) == '00' else m.group(2)}", text
    )
    text = re.sub(r"(\d[\d,]*(?:\.\d+)?)(st|nd|rd|th|%)?", _spoken_number, text)
    tokens = re.findall(r"[a-z']+", text)
    return " ".join(_SPELLING.get(t, t) for t in tokens)


def words(text: str) -> list[str]:
    return normalise(text).split()


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length). Row by row with numpy: an hour's transcript is tens of
    thousands of words, far too many for a pure-Python double loop."""
    ref, hyp = words(reference), words(hypothesis)
    vocabulary: dict[str, int] = {}
    ref_ids = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in ref], dtype=np.int64)
    hyp_ids = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in hyp], dtype=np.int64)
    columns = np.arange(len(hyp) + 1)
    previous = columns.copy()
    for i, word in enumerate(ref_ids, 1):
        current = np.empty_like(previous)
        current[0] = i
        # Deletion and substitution from the previous row ...
        current[1:] = np.minimum(previous[1:] + 1, previous[:-1] + (hyp_ids != word))
        # ... then insertions along the row: current[j] = min over k <= j of current[k] + (j - k).
        current = np.minimum.accumulate(current - columns) + columns
        previous = current
    return int(previous[-1]), len(ref)


def _frames(spans: list[tuple[float, float, str]], total: int) -> tuple[np.ndarray, list[str]]:
    """(speakers, frames) booleans: who is talking in each frame (several at once where they overlap)."""
    names = sorted({s[2] for s in spans})
    grid = np.zeros((len(names), total), dtype=bool)
    for start, end, name in spans:
        grid[names.index(name), int(round(start / FRAME)) : int(round(end / FRAME))] = True
    return grid, names


def diarization_error(
    reference: list[tuple[float, float, str]],
    hypothesis: list[tuple[float, float, str]],
    collar: float = 0.25,
) -> dict[str, float]:
    """DER as NIST scores it, overlap counted: per frame, missed = reference speakers beyond the hypothesis',
    false alarm = hypothesis speakers beyond the reference's, confusion = the rest that the best one-to-one
    speaker mapping gets wrong; over the reference's speaker time. Frames within `collar` seconds of a
    reference boundary are not scored."""
    from scipy.optimize import linear_sum_assignment

    end = max([e for _s, e, _n in reference + hypothesis] + [0.0])
    total = int(np.ceil(end / FRAME)) + 1
    ref, _ref_names = _frames(reference, total)
    hyp, _hyp_names = _frames(hypothesis, total)
    scored = np.ones(total, dtype=bool)
    if collar > 0:
        for start, stop, _name in reference:
            for edge in (start, stop):
                scored[max(0, int((edge - collar) / FRAME)) : int((edge + collar) / FRAME)] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    overlap = ref.astype(np.int64) @ hyp.T.astype(np.int64)
    rows, cols = linear_sum_assignment(-overlap) if overlap.size else ([], [])
    correct_per_frame = np.zeros(ref.shape[1], dtype=np.int64)
    for r, h in zip(rows, cols, strict=True):
        correct_per_frame += ref[r] & hyp[h]
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    missed = np.maximum(n_ref - n_hyp, 0).sum()
    false_alarm = np.maximum(n_hyp - n_ref, 0).sum()
    confusion = (np.minimum(n_ref, n_hyp) - correct_per_frame).sum()
    reference_time = max(int(n_ref.sum()), 1)
    return {
        "der": float(missed + false_alarm + confusion) / reference_time,
        "missed": float(missed) / reference_time,
        "false_alarm": float(false_alarm) / reference_time,
        "confusion": float(confusion) / reference_time,
    }
