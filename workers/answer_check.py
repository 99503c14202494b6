"""Whether an answer is held by the moments it cites, checked before it is kept as found.

A small model given excerpts that do not answer the question rarely says so: it answers with the
nearest fact it was shown ("How much did the flights cost?" -> the office move's quote; "What date is the
party?" -> where the party is). Its own probability of abstaining does not tell those apart from right
answers (bench/answers: 0.004-0.13 for both), and a second pass of the same model as a judge separated
them little better (yes-probabilities 0.05-0.67 for invented answers, 0.14-0.96 for right ones) for
0.7 s more per answer. Two plain checks catch much of it at no cost, as classic question answering
does:

- **The kind of answer asked for.** A question for an amount ("how much", "how many", "what budget")
  wants a number in the answer, one for a time ("what date", "when", "until when") a date, a day or a
  time, one for something with a name of its own ("which airline", "what is the name of the hotel") a
  name the question does not already hold. An answer without one does not answer it, whatever it cites.
- **Something new.** The evidence of that kind must be the answer's own, not words it echoes from the
  question ("What time does the party start?" -> "it will start at the lake house" holds no time); a
  question for money ("how much does the medicine cost", "what fee") wants a sum of money (a currency, a
  percentage, thousands, or so much a month), not any number ("around 340 orders failed"); and an
  answer to a question that is not yes-or-no must say something the question did not ("Olivia's current
  employer is her current employer").
- **The things the question names.** A name the question is about (its capitalised words: "Lisbon",
  "Biscuit", "Bluebird") must be somewhere in the recording the answer cites: said in it, one of its
  speakers, or in its title. An answer drawn from a recording that never mentions the thing asked about
  ("the flights to Lisbon" answered from the office move) is about something else. The whole recording
  is read, not the cited line: people say "the dog" and "she" far more often than the name.

Paraphrased questions share no content word with their answer by design; neither check needs one.
"""

from __future__ import annotations

import re

from workers.prompts import attribution, content_words, without_citations

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.:]*")
_NUMBER_WORDS_TEXT = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "thousand million billion half quarter dozen once twice none no single double"
)
_NUMBER_WORDS = frozenset(_NUMBER_WORDS_TEXT.split())
_TIME_WORDS_TEXT = (
    "january february march april may june july august september october november december jan feb mar "
    "apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday today "
    "tomorrow tonight yesterday morning afternoon evening night noon midnight week weeks month months year "
    "years weekend day days hour hours minute minutes spring summer autumn fall winter quarter christmas "
    "easter soon later next last end start beginning early late before after o'clock am pm asap now"
)
_TIME_WORDS = frozenset(_TIME_WORDS_TEXT.split())
# Question openings that ask for an amount, and for a time. "How long" asks for either (two hours, until
# September), so it wants one of the two.
_AMOUNT = re.compile(
    r"^\s*(how (much|many)|what(?:'s| is| was| are| were)? (the )?(budget|price|cost|fee|salary|rate|"
    r"amount|number|total|figure|quote|discount|percentage)\b)",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"^\s*((by |until |since )?when\b|what (date|day|time|month|year)\b|which (date|day|month|year)\b|"
    r"(by|until) what (date|day|time)\b)",
    re.IGNORECASE,
)
_DURATION = re.compile(r"^\s*(for )?how long\b", re.IGNORECASE)
# Questions for something with a name of its own: the answer names it.
# Words between "which" and the thing named ("which moving company"), never a verb or an article ("what
# did the agency lower its fee to" asks for an amount, not a name).
_MODIFIER = r"(?!(?:did|does|do|is|was|are|were|has|have|had|will|would|can|could|should|the|a|an)\b)[a-z]+"
_NAMED_THINGS = (
    "company|airline|hotel|city|town|country|provider|agency|restaurant|bakery|practice|clinic|firm|vendor|"
    "brand|supplier|shop|store|bank|school|venue|client|customer|building"
)
_NAMED = re.compile(
    rf"^\s*(what(?:'s| is| was| are| were)? the names? of\b|(which|what) ({_MODIFIER} ){{0,2}}"
    rf"({_NAMED_THINGS})\b)",
    re.IGNORECASE,
)
# "<Name> said ..." opens most answers: that name is who spoke, not what was asked for.
_SPEECH = re.compile(
    r"^(said|says|thinks|thought|asked|asks|wants|wanted|suggested|mentioned|told|offered|agreed|explained)$",
    re.IGNORECASE,
)
# Leading words that open a question or a clause and are capitalised for that reason alone.
_OPENERS_TEXT = (
    "what which who whom whose when where why how is are was were do does did can could should would will "
    "in on at for from by with about during after before since until the a an and or but if so ok okay "
    "i we you they he she it my our your their this that these those there here please tell"
)
_OPENERS = frozenset(_OPENERS_TEXT.split())
_POSSESSIVE = re.compile(r"['’]s$")
# A scope said first ("Six weeks ago, when did ...", "In the hiring sync, how much ..."): the question
# proper follows the comma.
_PREFIX = re.compile(r"^[^,?]{1,60},\s*(?=\w)")


# A question for a sum of money, and what a sum of money looks like in an answer.
_MONEY_ASKED = re.compile(
    r"^\s*(how much\b.*\b(cost|costs|price|pay|paid|spend|spent|budget|salary|revenue|fee|rent|quote|quoted|"
    r"charge|charged|earn|owe|worth|afford|bill|money|lose|lost)\b|what(?:'s| is| was)? (the )?(\w+ )?"
    r"(price|cost|fee|salary|rent|budget|quote|bill)\b)",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"[$€£%]|\b(dollars?|euros?|pounds?|cents?|bucks|k|thousand|million|billion|hundred|grand|percent)\b|"
    r"\b\d{1,3}(,\d{3})+\b|\b\d{4,}\b|\b(a|an|per|each|every)\s+(month|year|night|hour|week|day|person|seat)\b",
    re.IGNORECASE,
)
# Questions answered by yes or no: "Yes." says something the question did not.
_YES_NO = re.compile(
    r"^\s*(is|are|will|does|did|can|could|should|has|have|was|were|do|would)\b", re.IGNORECASE
)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _bare(word: str) -> str:
    """The word lower-cased, without a possessive: "Biscuit's" is "biscuit"."""
    return _POSSESSIVE.sub("", word).lower()


def _has_number(text: str) -> bool:
    return any(w[0].isdigit() or w.lower() in _NUMBER_WORDS for w in _words(text))


def _has_time(text: str) -> bool:
    return any(w[0].isdigit() or w.lower() in _TIME_WORDS for w in _words(text))


def asked_kind(question: str) -> str | None:
    """`amount`, `time`, `amount or time` (how long), `name` (which company, what is the name of),
    or None when the question asks for none of them."""
    question = _PREFIX.sub("", question)
    if _AMOUNT.search(question):
        return "amount"
    if _TIME.search(question):
        return "time"
    if _DURATION.search(question):
        return "amount or time"
    if _NAMED.search(question):
        return "name"
    return None


def _names_something(answer: str, question: str) -> bool:
    """A capitalised word in the answer that the question does not have, and that is not a month, a day,
    a word capitalised for opening the sentence, or the name of whoever "said" it."""
    asked = {w.lower() for w in _words(question)}
    words = _words(answer)
    for n, word in enumerate(words):
        lower = _bare(word)
        if not word[0].isupper() or lower in asked or lower in _TIME_WORDS or lower in _OPENERS:
            continue
        if n + 1 < len(words) and _SPEECH.match(words[n + 1]):
            continue
        return True
    return False


def has_kind(answer: str, kind: str | None, question: str = "") -> bool:
    if kind == "amount":
        return _has_number(answer)
    if kind == "time":
        return _has_time(answer)
    if kind == "amount or time":
        return _has_number(answer) or _has_time(answer)
    if kind == "name":
        return _names_something(answer, question)
    return True


def named_terms(question: str) -> set[str]:
    """The question's capitalised words that are not capitalised for being first: "Lisbon" and "Biscuit"
    in "How much does Biscuit's medicine cost in Lisbon?", lower-cased, possessive dropped."""
    letters = [c for c in question if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > len(letters) / 2:
        return set()  # typed in capitals: a capital tells nothing
    terms = set()
    for sentence in re.split(r"(?<=[.?!,;:])\s+", question):
        for n, word in enumerate(_words(sentence)):
            term = _bare(word)
            if not word[0].isupper() or term in _OPENERS:
                continue
            if n == 0 and not _POSSESSIVE.search(word):
                continue  # capitalised for opening the sentence, unless it is someone's ("Mom's ...")
            if len(term) > 1:
                terms.add(term)
    return terms


def _fresh(claim: str, question: str) -> str:
    """The answer's words that the question does not have: what it says of its own."""
    asked = {w.lower() for w in _words(question)}
    return " ".join(w for w in _words(claim) if w.lower() not in asked)


def _says_nothing_new(claim: str, question: str) -> bool:
    def meaning(text: str) -> set[str]:
        return content_words(text) | {w for w in _words(text) if w[0].isdigit()}

    return not (meaning(claim) - meaning(question))


def unsupported(question: str, answer: str, cited_recordings: list[str]) -> str | None:
    """Why the answer is not held by what it cites, or None when nothing says it is not.
    `cited_recordings` holds, per recording the answer cites, its title, speakers' names and words (any
    case); the answer's citation marks and the name it opens with as who said it are not part of what
    it says."""
    _name, claim = attribution(without_citations(answer))
    kind = asked_kind(question)
    asked = _PREFIX.sub("", question)
    if not has_kind(_fresh(claim, question), kind, question):
        wanted = {"amount": "an amount", "time": "a date or time", "name": "a name"}.get(
            kind or "", "an amount or a time"
        )
        return f"the question asks for {wanted} and the answer gives none"
    if _MONEY_ASKED.search(asked) and not _MONEY.search(claim):
        return "the question asks for a sum of money and the answer gives none"
    if not _YES_NO.search(asked) and _says_nothing_new(claim, question):
        return "the answer only repeats the question"
    if not cited_recordings:
        return None
    where = " ".join(cited_recordings).lower()
    missing = sorted(t for t in named_terms(question) if not re.search(rf"\b{re.escape(t)}", where))
    if missing:
        return f"the recordings it cites never mention {', '.join(missing)}"
    return None
