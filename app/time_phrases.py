"""Time expressions in a question ("this morning", "6 hours ago", "last week", "on Monday") turned into a
time window for the memory search.

People ask the assistant about moments by when they happened; the search filters by when a segment was
spoken (`recorded_at` + offset). Windows are computed in the asker's time zone (the chat page sends it;
UTC otherwise), and the phrase is removed from the text that is searched, so "this morning" does not pull
up every segment that says "morning". Only the first phrase counts: one question, one window.

A phrase can also say when the *event* happened rather than when anyone spoke of it: "why did the backup
fail last night?" is usually answered by a recording made this morning ("last night the backup job
failed ..."). Such a window is marked `about_event`; the assistant then searches the whole memory with the
phrase left in (it matches the words people used), never narrowing by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a few": 3,
}  # fmt: skip
# Parts of a day, as hours [from, to) of the local day.
DAY_PARTS = {"morning": (5, 12), "afternoon": (12, 17), "evening": (17, 24), "night": (17, 24)}

_NUMBER = r"([0-9]{1,4}|a couple of|a few|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_UNIT = r"(minute|hour|day|week)s?"
_AGO = re.compile(rf"\b(?:about |around )?{_NUMBER} {_UNIT} ago\b")
_WITHIN = re.compile(rf"\b(?:in |during |over |within )?(?:the )?(?:last|past) {_NUMBER} {_UNIT}\b")
_PART = re.compile(r"\b(this|yesterday|last) (morning|afternoon|evening|night)\b|\btonight\b")
_DAY = re.compile(r"\b(today|yesterday)\b")
_SPAN = re.compile(r"\b(this|last) (week|month)\b")
_WEEKDAY = re.compile(rf"\b(?:on |last )?({'|'.join(WEEKDAYS)})\b")


# Words that put the question about what was said in a conversation, so its time phrase is when it was said.
_SPOKEN_TEXT = (
    "say said says saying tell told talk talked talking discuss discussed discussing mention mentioned "
    "ask asked agree agreed decide decided decision conversation conversations meeting meetings call "
    "called calls record recorded recording recordings hear heard promise promised suggest suggested "
    "propose proposed explain explained speak spoke spoken note notes plan plans planned"
)
SPOKEN_WORDS = frozenset(_SPOKEN_TEXT.split())
# Words that carry no topic of their own: a question of only these and a time phrase asks what was said then.
_EMPTY_TEXT = (
    "a an the and or of to in on at for from by with about is are was were be been it this that what which "
    "who whom when where why how do does did done have has had i you he she we they me us my our your "
    "anything something everything happen happened happening new any there"
)
_EMPTY_WORDS = frozenset(_EMPTY_TEXT.split())
_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class TimeWindow:
    since: float
    until: float
    phrase: str
    about_event: bool = False


def is_about_event(rest: str) -> bool:
    """True when the question, its time phrase taken out, asks about an event with a topic of its own and
    says nothing of a conversation ("why did the backup job fail", not "what did Ken say", not "what
    happened")."""
    words = _WORD.findall(rest.lower())
    if any(word in SPOKEN_WORDS for word in words):
        return False
    return sum(1 for word in words if word not in _EMPTY_WORDS) >= 2


def zone(name: str | None) -> ZoneInfo:
    """The asker's zone; an unknown name is an error the caller reports (it never silently means UTC)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _count(text: str) -> int:
    return int(text) if text.isdigit() else NUMBER_WORDS[text]


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _window(text: str, now: datetime) -> tuple[datetime, datetime, re.Match] | None:
    today = _midnight(now)
    if match := _AGO.search(text):
        count, unit = _count(match.group(1)), match.group(2)
        if unit in ("day", "week"):
            # "three days ago" is that whole day; "two weeks ago" that whole week.
            if unit == "day":
                start = today - timedelta(days=count)
                return start, start + timedelta(days=1), match
            start = today - timedelta(days=today.weekday() + 7 * count)
            return start, start + timedelta(days=7), match
        # "6 hours ago" is a moment: give it room either side (a quarter of the distance, 15 min at least).
        centre = now - timedelta(seconds=count * UNIT_SECONDS[unit])
        slack = timedelta(seconds=max(900, count * UNIT_SECONDS[unit] / 4))
        return centre - slack, min(now, centre + slack), match
    if match := _WITHIN.search(text):
        count, unit = _count(match.group(1)), match.group(2)
        return now - timedelta(seconds=count * UNIT_SECONDS[unit]), now, match
    if match := _PART.search(text):
        if match.group(0) == "tonight":
            which, part = "this", "night"
        else:
            which, part = match.group(1), match.group(2)
        day = today if which == "this" else today - timedelta(days=1)
        if which == "last" and part == "night":
            # Last night runs from yesterday evening into the small hours of today.
            return day + timedelta(hours=17), today + timedelta(hours=5), match
        start_hour, end_hour = DAY_PARTS[part]
        return day + timedelta(hours=start_hour), day + timedelta(hours=end_hour), match
    if match := _DAY.search(text):
        if match.group(1) == "today":
            return today, now, match
        return today - timedelta(days=1), today, match
    if match := _SPAN.search(text):
        which, span = match.group(1), match.group(2)
        if span == "week":
            start = today - timedelta(days=today.weekday())
            return (start, now, match) if which == "this" else (start - timedelta(days=7), start, match)
        start = today.replace(day=1)
        if which == "this":
            return start, now, match
        previous = (start - timedelta(days=1)).replace(day=1)
        return previous, start, match
    if match := _WEEKDAY.search(text):
        # The most recent such day: today if it is that day (and not "last"), else the one before.
        back = (today.weekday() - WEEKDAYS.index(match.group(1))) % 7
        if back == 0 and match.group(0).startswith("last"):
            back = 7
        start = today - timedelta(days=back)
        return start, start + timedelta(days=1), match
    return None


def find_window(question: str, now: float, timezone: str | None = None) -> tuple[TimeWindow | None, str]:
    """The time window a question names (or None) and the question without the phrase."""
    local_now = datetime.fromtimestamp(now, zone(timezone))
    lowered = question.lower()
    found = _window(lowered, local_now)
    if found is None:
        return None, question
    start, end, match = found
    rest = (question[: match.start()] + question[match.end() :]).strip()
    rest = re.sub(r"\s{2,}", " ", rest)
    window = TimeWindow(
        start.timestamp(), min(end.timestamp(), now), match.group(0).strip(), is_about_event(rest)
    )
    return window, rest or question
