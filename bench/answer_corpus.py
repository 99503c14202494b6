"""Scripted meetings and questions about them, with exact ground truth, for `bench/answers.py`.

The meetings are rendered with Kokoro voices (one voice a person), uploaded with their `recorded_at` and
go through the real pipeline, so every choice here is about what a transcript and an assistant will face:

- Text is written for speech: numbers in words ("ninety two thousand"), no digits, symbols or
  abbreviations, one or two sentences a turn, first names Whisper tiny.en spells reliably. Speakers never
  take two turns in a row, so every line is one diarized turn.
- Work and family meetings are mixed and spread over seven weeks, and the same topic comes back with other
  values at other times or from other people (the contractor budget was fifty thousand five weeks ago and
  is sixty thousand this morning; Nina said the launch was on the tenth of June, Tom later moved it to the
  twenty fourth). Questions scoped by speaker, time or recording only have one right answer when the scope
  is applied; without it they meet a confuser.
- Every answerable question has one line that holds its answer (a citation must overlap it and name its
  speaker), and key facts short enough to check by substring, each with the spellings an answer may use.
  `check()` asserts that the facts are in that line and in no other line of the same meeting.
- Kinds: "named" shares words with its line (lexical search finds it); "paraphrase" shares no content word
  (only meaning finds it); "speaker", "time" and "recording" need the scope; "reply" is answered by the turn
  after a question asked in the meeting (the question line alone does not hold the fact); "unanswerable"
  asks what no line says, some of them near misses (the wedding is discussed, its date never).
- Time questions use phrases whose window holds the meeting on any day of the week and month
  (`app/time_phrases.py`): "this morning", "this afternoon", "yesterday", "N days ago" (that one day),
  "last week" only for a meeting seven days ago, and "N weeks ago" only for a meeting exactly 7N days ago;
  "last month" depends on the date, so it is not used. Each names a conversation ("said", "discussed",
  "agree", "hear") so the phrase says when it was said, not when the event happened. Questions name no
  enrolled person other than the one who said the answer (a name in a question filters by speaker).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    speaker: str
    text: str


@dataclass(frozen=True)
class Meeting:
    key: str
    title: str
    days_ago: int
    hour: float
    people: tuple[str, ...]
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Question:
    text: str
    kind: str
    meeting: str | None
    line: int | None
    facts: tuple[tuple[str, ...], ...]
    speaker: str | None


# Kokoro voices, one a person: US and UK, female and male, so neighbours in a meeting sound different.
PEOPLE: dict[str, str] = {
    "Sarah": "af_sarah",
    "Emma": "bf_emma",
    "David": "am_adam",
    "Michael": "am_michael",
    "Laura": "af_nicole",
    "James": "bm_george",
    "Nina": "af_bella",
    "Tom": "am_eric",
    "Grace": "af_jessica",
    "Peter": "bm_daniel",
}

KINDS = ("named", "paraphrase", "speaker", "time", "recording", "reply", "unanswerable")
MINIMUM = {
    "named": 35,
    "paraphrase": 25,
    "speaker": 15,
    "time": 12,
    "recording": 10,
    "reply": 12,
    "unanswerable": 20,
}


def _lines(*said: str) -> tuple[Line, ...]:
    """Lines written as "Name: what they say"."""
    return tuple(Line(*(part.strip() for part in turn.split(":", 1))) for turn in said)


MEETINGS: tuple[Meeting, ...] = (
    Meeting(
        "budget-review", "Budget review", 0, 9.5, ("Sarah", "Michael", "James"),
        _lines(
            "Sarah: Morning both, thanks for coming in early. I want to settle the contractor money "
            "before the launch.",
            "Michael: Sure. What are you asking for this time?",
            "Sarah: We need seventy thousand for contractors this quarter, mostly for the payment work.",
            "Michael: I can't do seventy. I'm raising the contractor budget to sixty thousand, "
            "and that's final.",
            "Sarah: Okay, sixty works if we drop the design agency.",
            "James: While we're here, the travel budget is being cut to five thousand for the rest "
            "of the year.",
            "Michael: Right, the board wants travel down because the office move costs more than planned.",
            "Sarah: How much is the move going to cost in the end?",
            "James: The movers quoted thirty eight thousand, including the new furniture.",
            "Michael: Fine. We'll also freeze the designer role until September.",
            "Sarah: That hurts, but I understand why.",
            "James: One more thing, the new laptops arrive on Thursday, twelve of them.",
            "Michael: Good. Sarah, send me the contractor plan by Friday.",
            "Sarah: Will do, you'll have it before lunch.",
        ),
    ),
    Meeting(
        "hiring-sync", "Hiring sync", 0, 14.0, ("Sarah", "Laura"),
        _lines(
            "Laura: Hi Sarah, I have good news about the senior backend role.",
            "Sarah: Great, tell me. Did Olivia accept?",
            "Laura: She did. We offered her ninety two thousand a year, and she signed it at lunch.",
            "Sarah: That's above the range we set, but she's worth it.",
            "Laura: Agreed. Her first day will be the seventh of July.",
            "Sarah: Not earlier? I hoped she could start in June.",
            "Laura: She has to give her current employer six weeks of notice.",
            "Sarah: Fair enough. What about Ben, the second candidate?",
            "Laura: Ben turned us down, because he didn't want to move his family across the country.",
            "Sarah: Shame. Did Olivia ask for anything else?",
            "Laura: Yes, she wants to work from home on Fridays, and I said that's fine.",
            "Sarah: Good. Who will be her onboarding buddy?",
            "Laura: I was thinking Nina, she knows the payment code best.",
            "Sarah: Perfect, I'll ask her tomorrow.",
            "Laura: Also, the recruiting agency lowered their fee to eighteen percent.",
            "Sarah: Great, thanks Laura, that was a productive afternoon.",
        ),
    ),
    Meeting(
        "payment-incident", "Payment incident review", 1, 10.0, ("Sarah", "Nina", "Tom"),
        _lines(
            "Sarah: Let's review the payment page incident while it's still fresh.",
            "Tom: From my side, customers were complaining for about two hours before anyone noticed.",
            "Sarah: Do we know why the payment page was so slow?",
            "Nina: It was slow because the currency service timed out under load.",
            "Tom: Really? I assumed it was the marketing email that went out that morning.",
            "Nina: That added some traffic, but the timeouts started well before it was sent.",
            "Sarah: How many orders did we lose?",
            "Nina: Around three hundred and forty orders failed while it was down.",
            "Tom: I'll send the biggest affected customers a discount code today.",
            "Sarah: What's the fix, so it doesn't happen again?",
            "Nina: We're adding a cache for exchange rates, refreshed every five minutes.",
            "Sarah: Good. Who owns the follow up?",
            "Tom: Nina owns the fix, and I'll write the note to customers.",
            "Nina: Fine by me, I'll have it live before the weekend.",
            "Sarah: Thanks both, let's close the incident once the fix is live.",
        ),
    ),
    Meeting(
        "family-call", "Call with Emma about Mom's birthday", 1, 17.5, ("Sarah", "Emma", "David"),
        _lines(
            "Emma: Hi you two, can you hear me? The signal at the station is terrible.",
            "Sarah: We can hear you fine. So, Mom's seventieth birthday, where are we?",
            "Emma: I think we should have the party at the lake house, it's the only place big enough.",
            "David: I'd rather book a table at Giovanni's, so nobody has to cook or clean.",
            "Sarah: Mom loves it up there, though. Let's go with Emma's idea.",
            "Emma: Great. I've invited thirty people, mostly her friends from the choir.",
            "David: How are we getting Grandma there? She can't take the train anymore.",
            "Emma: Sarah's going up early anyway, so she can drive Grandma.",
            "Sarah: Sure, and what about the cake, has anyone ordered one?",
            "Emma: I've ordered a lemon cake from Rosie's bakery.",
            "David: Really? I thought she preferred chocolate.",
            "Emma: She gave up chocolate last year, doctor's orders.",
            "Sarah: Speaking of plans, have you booked anything for the wedding yet?",
            "Emma: Not yet, we're still arguing about the guest list, it's a nightmare.",
            "David: Well, keep the wedding smaller than this party, please.",
            "Emma: No promises. I'll send everyone the shopping list tonight.",
            "Sarah: Thanks Emma, talk soon, give our love to Mark.",
        ),
    ),
    Meeting(
        "launch-planning", "Launch planning", 3, 11.0, ("Sarah", "Tom", "Nina"),
        _lines(
            "Tom: I have bad news, the launch is moving to the twenty fourth of June.",
            "Sarah: Why? Last I heard we were on track.",
            "Tom: The payment provider needs two more weeks of testing before they certify us.",
            "Nina: Honestly, that gives us time to polish the signup flow too.",
            "Sarah: Okay. What's the price going to be at launch?",
            "Tom: We settled on twenty nine dollars a month for the basic plan.",
            "Nina: And what about the pro plan?",
            "Tom: Forty nine dollars a month, with a free trial of fourteen days.",
            "Sarah: Who is writing the launch announcement?",
            "Nina: Hannah from marketing offered to write it.",
            "Tom: We'll also host a webinar for existing customers, with room for five hundred people.",
            "Sarah: Fine. Are we still launching in all three regions?",
            "Tom: No, Europe waits until the autumn because of the tax rules.",
            "Nina: Then I'll switch off the euro prices for now.",
            "Sarah: Good, let's meet again next week to confirm the date.",
        ),
    ),
    Meeting(
        "vet-call", "Vet call about Biscuit", 5, 16.0, ("David", "Grace", "Sarah"),
        _lines(
            "Grace: Hello, this is Doctor Grace from the Riverside clinic, I have Biscuit's results.",
            "David: Thanks for calling. Is it serious? He's been limping since the weekend.",
            "Grace: It's not broken, it's a sprained ligament in his left front leg.",
            "Sarah: I think he hurt it jumping off the sofa.",
            "David: I'm sure it happened at the park, chasing that squirrel.",
            "Grace: Either way, he needs rest. Short walks only, ten minutes at a time.",
            "Sarah: Does he need any medicine for it?",
            "Grace: Yes, an anti inflammatory, half a tablet twice a day for ten days.",
            "David: How much does he weigh now? He looks a bit heavy.",
            "Grace: He's twenty nine kilos, so he's put on two kilos since his checkup.",
            "Sarah: We'll cut back on the treats, I promise.",
            "Grace: Good. I'd like to see him again in two weeks.",
            "David: Can we do a Saturday morning?",
            "Grace: Saturday at nine thirty works, I'll put you down for that.",
            "Sarah: Thank you so much, that's a relief.",
        ),
    ),
    Meeting(
        "office-move", "Office move", 7, 13.5, ("James", "Michael", "Sarah"),
        _lines(
            "James: So we have two options for the new office, and I've visited both of them twice now.",
            "Michael: I prefer the old mill on Canal Road, the rent is lower and the lease is shorter.",
            "Sarah: That one is a forty minute bus ride for half the team though.",
            "James: The other one is right next to the train station, and it has a proper kitchen.",
            "Michael: What's the rent difference between them?",
            "James: The newer one is four thousand more per month, but parking is included.",
            "Sarah: I'd pay that to keep people happy.",
            "Michael: Fine, we'll take the Harbor Street building, but on a three year lease, not five.",
            "Sarah: When would we actually move in there?",
            "James: The movers can do the weekend of the twelfth of July.",
            "Michael: And the cost of the move itself?",
            "James: The first quote was thirty thousand, I'm waiting on two more.",
            "Sarah: Can we get desks that go up and down this time?",
            "James: Yes, I'll add standing desks for everyone who wants one.",
            "Michael: Okay, James, send me the lease draft by the end of the week.",
        ),
    ),
    Meeting(
        "team-standup", "Team standup", 9, 9.0, ("Sarah", "Nina", "Tom"),
        _lines(
            "Sarah: Morning, let's keep it short today. Nina, you first.",
            "Nina: The refund screens are done, and we're still on track to launch on the tenth of June.",
            "Tom: Great, sales is already telling customers about it.",
            "Nina: I also fixed the search page, it was slow because of a missing database index.",
            "Sarah: Nice. Tom, what's happening on your side?",
            "Tom: Bluebird still hasn't signed, they're waiting on their legal team.",
            "Sarah: Okay, chase them again on Friday.",
            "Tom: Also, I was on call last weekend and it was completely quiet.",
            "Nina: Lucky you. My last weekend on call had four alerts on Saturday alone.",
            "Sarah: Let's look at the rotation after the launch.",
            "Tom: One last thing, the sales kickoff is in Chicago this year, in October.",
            "Nina: Bring a warm coat, it gets cold there.",
            "Sarah: Okay, thanks everyone, same time tomorrow.",
        ),
    ),
    Meeting(
        "bluebird-call", "Bluebird Logistics renewal call", 12, 15.0, ("Tom", "Peter", "Sarah"),
        _lines(
            "Tom: Hi Peter, thanks for joining. Sarah from our engineering team is here too.",
            "Peter: Hello both. I'll be direct, we want to renew, but the price has to come down.",
            "Sarah: Understood. How many people are using it on your side today?",
            "Peter: We have two hundred and forty seats, and we'd add another sixty next year.",
            "Tom: What kind of discount did you have in mind?",
            "Peter: We're asking for fifteen percent off if we sign for two years.",
            "Tom: I can offer ten percent on a two year contract, that's the best I can do.",
            "Peter: Let me take that to our finance director, I think it will fly.",
            "Sarah: Is there anything in the product that would make the decision easier?",
            "Peter: Honestly, an export to Excel. My team copies the reports by hand every Monday.",
            "Sarah: That's already on our roadmap for the summer.",
            "Peter: Good. Also, our contract ends on the thirtieth of June, so we need to move fast.",
            "Tom: I'll send the new quote by Wednesday.",
            "Peter: Perfect, and send it to Karen in procurement, not to me.",
            "Tom: Will do, thanks Peter, talk soon.",
        ),
    ),
    Meeting(
        "trip-planning", "Lisbon trip planning", 15, 17.5, ("Sarah", "David", "Emma"),
        _lines(
            "David: Okay, Lisbon. The flights leave on the second of August, early in the morning.",
            "Emma: How early are we talking, exactly?",
            "David: Six forty from the city airport, so we'll need a taxi at four.",
            "Sarah: Wow, that's early. How long are we staying in Lisbon itself?",
            "David: I'd say five nights in Lisbon, there's a lot to see.",
            "Emma: I'd do three nights there and then two nights in Porto by train.",
            "Sarah: I like Emma's plan, I've always wanted to see the north.",
            "David: Fine, I'm outvoted. I found a hotel near the river for one hundred and forty euros "
            "a night.",
            "Emma: Does that price include breakfast too?",
            "David: Breakfast is included, and there's a rooftop pool.",
            "Sarah: Who's looking after Biscuit while we're away?",
            "Emma: Mark said he'd take him, he loves that dog.",
            "David: Great. I'll book everything tonight with my card, and we split it later.",
            "Sarah: Perfect. Don't forget travel insurance this time.",
            "David: I won't forget, I promise.",
        ),
    ),
    Meeting(
        "one-on-one-nina", "One on one with Nina", 18, 10.0, ("Sarah", "Nina"),
        _lines(
            "Sarah: Thanks for making time, Nina. How are things going?",
            "Nina: Mostly good, but I'm tired. I've been on call three weekends in a row.",
            "Sarah: That's not okay. We'll move to a rotation of six people next month.",
            "Nina: That would help a lot, thank you.",
            "Sarah: What would you like to work on after the launch?",
            "Nina: I'd love to lead the new search project, I have lots of ideas for it.",
            "Sarah: I think you're ready. I'll put your name forward to Michael.",
            "Nina: Also, can I go to the database conference in Berlin in November?",
            "Sarah: Yes, the budget should cover it. Book the tickets early.",
            "Nina: And one more thing, I'd like to mentor someone, maybe the new hire.",
            "Sarah: Great idea, I'll keep that in mind.",
            "Nina: Last thing, my laptop battery dies after an hour, can I get a new one?",
            "Sarah: Ask James, he's ordering new laptops this month.",
            "Nina: Will do, thanks Sarah, this was helpful.",
        ),
    ),
    Meeting(
        "budget-planning", "Quarterly budget planning", 35, 11.0, ("Sarah", "Michael"),
        _lines(
            "Michael: Let's get through the quarter quickly, I have the board at noon.",
            "Sarah: Sure. What do I have for contractors this quarter?",
            "Michael: The contractor budget is fifty thousand for the quarter.",
            "Sarah: That's tight with the launch coming, but we'll manage.",
            "Michael: Travel is twelve thousand for your team for the whole year.",
            "Sarah: Okay. And equipment? Half the laptops are falling apart.",
            "Michael: You can replace eight laptops now, and the rest next year.",
            "Sarah: What about training, can we still do the team workshop?",
            "Michael: Yes, keep the workshop, but cap it at three thousand.",
            "Sarah: Fine. And the designer role, is that still approved?",
            "Michael: For now, yes, but if sales are weak it will be the first thing we cut.",
            "Sarah: Understood, I'll plan around that.",
        ),
    ),
    Meeting(
        "hiring-kickoff", "Hiring kickoff", 42, 14.5, ("Sarah", "Laura", "Michael"),
        _lines(
            "Laura: Let's kick off the two roles, the senior backend engineer and the product designer.",
            "Michael: The salary range for the backend role is eighty to ninety thousand.",
            "Sarah: That's low for senior people, we might have to stretch.",
            "Laura: I'd like to use the recruiting agency again. Their fee is twenty percent of the first "
            "year salary.",
            "Michael: That's steep, try to find people ourselves first.",
            "Sarah: How many interview rounds are we planning?",
            "Laura: Four rounds, with the take home exercise as the second one.",
            "Sarah: Can we drop the take home? Good people skip it.",
            "Laura: Fine, I'll replace it with a pairing session.",
            "Michael: When do you want the backend hire to start?",
            "Sarah: Ideally by the first of June, before the launch.",
            "Laura: I'll post the jobs on Monday and share the first candidates in two weeks.",
            "Michael: Good, keep me posted on the designer role as well.",
        ),
    ),
    Meeting(
        "biscuit-checkup", "Biscuit annual checkup", 49, 8.5, ("David", "Grace"),
        _lines(
            "Grace: Good morning, let's have a look at Biscuit. How old is he now?",
            "David: He turned six years old in March.",
            "Grace: His heart and lungs sound perfect. He weighs twenty seven kilos today.",
            "David: Is that too much for a Labrador?",
            "Grace: It's fine for his breed, but don't let him go over twenty eight.",
            "David: Does he need any vaccines today?",
            "Grace: Yes, the rabies booster is due, I'll do it now.",
            "David: Okay. And why has he been scratching his ears so much lately?",
            "Grace: There's a mild ear infection, I'll give you drops for seven days.",
            "David: How much do we owe you for today?",
            "Grace: It comes to one hundred and twenty dollars, with the vaccine.",
            "David: Great, thanks a lot, see you next year then.",
        ),
    ),
)  # fmt: skip

_MEETING = {meeting.key: meeting for meeting in MEETINGS}


def _q(kind: str, text: str, meeting: str, line: int, *facts: str) -> Question:
    """An answerable question; each fact is its spellings joined by "|"; the speaker is the line's."""
    speaker = _MEETING[meeting].lines[line].speaker
    return Question(text, kind, meeting, line, tuple(tuple(f.split("|")) for f in facts), speaker)


def _none(text: str) -> Question:
    return Question(text, "unanswerable", None, None, (), None)


QUESTIONS: tuple[Question, ...] = (
    # named: the question names something from its line.
    _q("named", "What was the contractor budget raised to?", "budget-review", 3,
       "sixty thousand|60,000|60000|60 thousand|60k"),
    _q("named", "What is the travel budget being cut to?", "budget-review", 5,
       "five thousand|5,000|5000|5 thousand|5k"),
    _q("named", "Until when is the designer role frozen?", "budget-review", 9, "september"),
    _q("named", "When do the new laptops arrive?", "budget-review", 11, "thursday"),
    _q("named", "By when does Michael want the contractor plan?", "budget-review", 12, "friday"),
    _q("named", "What salary did we offer Olivia?", "hiring-sync", 2,
       "ninety two thousand|92,000|92000|92 thousand|92k"),
    _q("named", "When is Olivia's first day?", "hiring-sync", 4, "july", "seventh|7"),
    _q("named", "How often will the cached exchange rates be refreshed?", "payment-incident", 10,
       "five minutes|5 minutes"),
    _q("named", "What will customers hit by the payment incident get from Tom as compensation?",
       "payment-incident", 8, "discount"),
    _q("named", "When will the fix for the payment page be live?", "payment-incident", 13, "weekend"),
    _q("named", "How long were customers complaining before anyone noticed the payment problem?",
       "payment-incident", 1, "two hours|2 hours"),
    _q("named", "How many people did Emma invite to Mom's party?", "family-call", 5, "thirty|30"),
    _q("named", "What kind of cake did Emma order?", "family-call", 9, "lemon"),
    _q("named", "Which bakery is making Mom's birthday cake?", "family-call", 9, "rosie"),
    _q("named", "Where do most of the guests at Mom's party know her from?", "family-call", 5, "choir"),
    _q("named", "How much will the basic plan cost?", "launch-planning", 5, "twenty nine|29"),
    _q("named", "How long is the free trial?", "launch-planning", 7, "fourteen|14|two weeks"),
    _q("named", "How many people can join the launch webinar?", "launch-planning", 10, "five hundred|500"),
    _q("named", "When does the launch reach Europe?", "launch-planning", 12, "autumn|fall"),
    _q("named", "What is Nina switching off for now?", "launch-planning", 13, "euro price"),
    _q("named", "What's wrong with Biscuit's leg?", "vet-call", 2, "sprain"),
    _q("named", "How long can Biscuit's walks be while his leg heals?", "vet-call", 5,
       "ten minutes|10 minutes"),
    _q("named", "For how many days does Biscuit take the tablets?", "vet-call", 7, "ten days|10 days"),
    _q("named", "After the leg injury, when does the vet want to see Biscuit again?", "vet-call", 11,
       "two weeks|2 weeks|fortnight"),
    _q("named", "Why was the search page slow?", "team-standup", 3, "index"),
    _q("named", "Why hasn't Bluebird signed the renewal yet?", "team-standup", 5, "legal"),
    _q("named", "Where is the sales kickoff this year?", "team-standup", 10, "chicago"),
    _q("named", "Which building did we choose for the new office?", "office-move", 7, "harbor"),
    _q("named", "How long is the lease for the new office?", "office-move", 7,
       "three year|3 year|three-year|3-year"),
    _q("named", "What does Michael want James to send him?", "office-move", 14, "draft"),
    _q("named", "How many seats would Bluebird add next year?", "bluebird-call", 3, "sixty|60"),
    _q("named", "When does Bluebird's current contract end?", "bluebird-call", 11, "june", "thirtieth|30"),
    _q("named", "Who should the new Bluebird quote go to?", "bluebird-call", 13, "karen"),
    _q("named", "On what date do the Lisbon flights leave?", "trip-planning", 0, "august", "second|2"),
    _q("named", "How much does the Lisbon hotel cost per night?", "trip-planning", 7,
       "one hundred and forty|hundred and forty|hundred forty|140"),
    _q("named", "What did Sarah say not to forget for the Lisbon trip?", "trip-planning", 13, "insurance"),
    _q("named", "How are we getting to Porto?", "trip-planning", 5, "train"),
    _q("named", "How many weekends in a row was Nina on call?", "one-on-one-nina", 1, "three|3"),
    _q("named", "How many people will be in the new on call rotation?", "one-on-one-nina", 2, "six|6"),
    _q("named", "Where is the database conference Nina wants to attend?", "one-on-one-nina", 7, "berlin"),
    _q("named", "Who is ordering the new laptops?", "one-on-one-nina", 12, "james"),
    _q("named", "Who would Nina like to mentor?", "one-on-one-nina", 9, "new hire"),
    _q("named", "What weight should Biscuit stay under?", "biscuit-checkup", 4, "twenty eight|28"),
    _q("named", "How long does Biscuit need the ear drops?", "biscuit-checkup", 8,
       "seven days|7 days|a week|one week"),
    _q("named", "What breed is Biscuit?", "biscuit-checkup", 3, "labrador"),
    _q("named", "What's the cap on the team workshop?", "budget-planning", 8,
       "three thousand|3,000|3000|3 thousand|3k"),
    _q("named", "When will Laura post the jobs?", "hiring-kickoff", 11, "monday"),
    # paraphrase: no content word in common with the line.
    _q("paraphrase", "How much will the new engineer earn?", "hiring-sync", 2,
       "ninety two thousand|92,000|92000|92 thousand|92k"),
    _q("paraphrase", "What reason did the other applicant give for saying no?", "hiring-sync", 8, "family"),
    _q("paraphrase", "Which weekday will the new person be remote?", "hiring-sync", 10, "friday"),
    _q("paraphrase", "How many purchases did we miss out on?", "payment-incident", 7,
       "three hundred and forty|three hundred forty|340"),
    _q("paraphrase", "How will we prevent the checkout trouble from recurring?", "payment-incident", 10,
       "cache"),
    _q("paraphrase", "How many will attend the celebration for our mother?", "family-call", 5, "thirty|30"),
    _q("paraphrase", "Who is giving Nana a lift to the celebration?", "family-call", 7, "sarah"),
    _q("paraphrase", "Why does Mom no longer eat cocoa treats?", "family-call", 11, "doctor"),
    _q("paraphrase", "What's holding up the release?", "launch-planning", 2, "test|certif"),
    _q("paraphrase", "What will the entry level subscription charge be?", "launch-planning", 5,
       "twenty nine|29"),
    _q("paraphrase", "Who will draft the public news post for the release?", "launch-planning", 9, "hannah"),
    _q("paraphrase", "Why are customers across the Atlantic delayed?", "launch-planning", 12, "tax"),
    _q("paraphrase", "What did the animal doctor diagnose?", "vet-call", 2, "sprain"),
    _q("paraphrase", "What will we reduce to help the dog slim down?", "vet-call", 10, "treat"),
    _q("paraphrase", "What's the name of the veterinary practice we use?", "vet-call", 0, "riverside"),
    _q("paraphrase", "Will there be adjustable height tables?", "office-move", 13, "stand"),
    _q("paraphrase", "What makes the pricier option attractive?", "office-move", 3, "station|kitchen|train"),
    _q("paraphrase", "What's the downside of the cheaper building?", "office-move", 2,
       "bus|forty minute|40 minute|commute"),
    _q("paraphrase", "What capability does the logistics customer want added?", "bluebird-call", 9,
       "excel|export|spreadsheet"),
    _q("paraphrase", "Whom should the pricing proposal be addressed to?", "bluebird-call", 13, "karen"),
    _q("paraphrase", "How much are the rooms by the water going to cost?", "trip-planning", 7,
       "one hundred and forty|hundred and forty|hundred forty|140"),
    _q("paraphrase", "Does the accommodation have somewhere to swim?", "trip-planning", 9, "pool"),
    _q("paraphrase", "Who will mind our pet while we travel?", "trip-planning", 11, "mark"),
    _q("paraphrase", "Which city does Nina hope to visit for a tech event?", "one-on-one-nina", 7, "berlin"),
    _q("paraphrase", "Which initiative would Nina like to head?", "one-on-one-nina", 5, "search"),
    _q("paraphrase", "How big will the new duty roster be?", "one-on-one-nina", 2, "six|6"),
    _q("paraphrase", "What was the bill at the animal clinic?", "biscuit-checkup", 10,
       "one hundred and twenty|hundred and twenty|hundred twenty|120"),
    _q("paraphrase", "Which shot was given during the yearly visit?", "biscuit-checkup", 6, "rabies"),
    _q("paraphrase", "How much can we spend on the training day?", "budget-planning", 8,
       "three thousand|3,000|3000|3 thousand|3k"),
    _q("paraphrase", "What will candidates do instead of the homework assignment?", "hiring-kickoff", 8,
       "pair"),
    _q("paraphrase", "Why are work trips being reduced?", "budget-review", 6,
       "office|move cost|moving|relocat"),
    _q("paraphrase", "What must Sarah sacrifice to accept the lower figure?", "budget-review", 4, "agency"),
    _q("paraphrase", "How many computers are being delivered?", "budget-review", 11, "twelve|12"),
    _q("paraphrase", "Which city hosts the annual gathering of the sellers?", "team-standup", 10, "chicago"),
    # speaker: someone else said something different on the same topic.
    _q("speaker", "How much contractor money did Sarah ask for?", "budget-review", 2,
       "seventy thousand|70,000|70000|70 thousand|70k"),
    _q("speaker", "What did James say is happening to the travel budget?", "budget-review", 5,
       "five thousand|5,000|5000|5 thousand|5k"),
    _q("speaker", "According to Nina, why was the payment page slow?", "payment-incident", 3, "currency"),
    _q("speaker", "What did Tom think caused the payment page trouble?", "payment-incident", 4, "email"),
    _q("speaker", "Where did Emma want to have Mom's party?", "family-call", 2, "lake"),
    _q("speaker", "Where did David want to celebrate Mom's birthday?", "family-call", 3, "giovanni"),
    _q("speaker", "What launch date did Tom announce?", "launch-planning", 0, "june", "twenty fourth|24"),
    _q("speaker", "What launch date did Nina say we were on track for?", "team-standup", 1,
       "june", "tenth|10"),
    _q("speaker", "How did Sarah think Biscuit hurt his leg?", "vet-call", 3, "sofa|couch"),
    _q("speaker", "Where did David think Biscuit got hurt?", "vet-call", 4, "park|squirrel"),
    _q("speaker", "What did Tom say about his weekend on call?", "team-standup", 7, "quiet"),
    _q("speaker", "Which building did Michael prefer at first for the new office?", "office-move", 1,
       "mill|canal"),
    _q("speaker", "What discount did Peter ask for?", "bluebird-call", 5,
       "fifteen percent|15 percent|15%"),
    _q("speaker", "What discount did Tom offer Bluebird?", "bluebird-call", 6, "ten percent|10 percent|10%"),
    _q("speaker", "How many nights in Lisbon did David want?", "trip-planning", 4, "five|5"),
    _q("speaker", "How many nights in Lisbon did Emma suggest?", "trip-planning", 5, "three|3"),
    _q("speaker", "What salary range did Michael give for the backend role?", "hiring-kickoff", 1,
       "eighty|80", "ninety|90"),
    # time: the same topic has another value at another time.
    _q("time", "What contractor budget did we agree on this morning?", "budget-review", 3,
       "sixty thousand|60,000|60000|60 thousand|60k"),
    _q("time", "Five weeks ago, what contractor budget did we agree on?", "budget-planning", 2,
       "fifty thousand|50,000|50000|50 thousand|50k"),
    _q("time", "What travel budget was decided five weeks ago?", "budget-planning", 4,
       "twelve thousand|12,000|12000|12 thousand|12k"),
    _q("time", "What did we hear about the travel budget this morning?", "budget-review", 5,
       "five thousand|5,000|5000|5 thousand|5k"),
    _q("time", "How many laptops did we agree to replace five weeks ago?", "budget-planning", 6, "eight|8"),
    _q("time", "What start date for the new backend hire did we hear this afternoon?", "hiring-sync", 4,
       "july", "seventh|7"),
    _q("time", "Six weeks ago, when did we say the backend hire should start?", "hiring-kickoff", 10,
       "june", "first|1st"),
    _q("time", "What did we hear about the recruiting agency's fee this afternoon?", "hiring-sync", 14,
       "eighteen|18"),
    _q("time", "What fee did the recruiting agency charge, as discussed six weeks ago?", "hiring-kickoff", 3,
       "twenty percent|20 percent|20%"),
    _q("time", "What launch date was discussed three days ago?", "launch-planning", 0,
       "june", "twenty fourth|24"),
    _q("time", "Nine days ago, what launch date did we say we were on track for?", "team-standup", 1,
       "june", "tenth|10"),
    _q("time", "Which slow page did we discuss yesterday, and what caused it?", "payment-incident", 3,
       "currency"),
    _q("time", "Which slow page was mentioned nine days ago, and why was it slow?", "team-standup", 3,
       "search", "index"),
    _q("time", "Seven weeks ago, what did the vet say Biscuit weighed?", "biscuit-checkup", 2,
       "twenty seven|27"),
    _q("time", "Five days ago, what did the vet say Biscuit weighs?", "vet-call", 9, "twenty nine|29"),
    _q("time", "Last week, what did we hear was the first quote for the office move?", "office-move", 11,
       "thirty thousand|30,000|30000|30 thousand|30k"),
    _q("time", "What did we hear this morning about the cost of the office move?", "budget-review", 8,
       "thirty eight thousand|38,000|38000|38 thousand|38k"),
    # recording: scoped by the recording's title.
    _q("recording", "In the Bluebird Logistics renewal call, what discount did they ask for?",
       "bluebird-call", 5, "fifteen percent|15 percent|15%"),
    _q("recording", "In the office move meeting, what was the first quote for the move?", "office-move", 11,
       "thirty thousand|30,000|30000|30 thousand|30k"),
    _q("recording", "In the vet call about Biscuit, how much did he weigh?", "vet-call", 9, "twenty nine|29"),
    _q("recording", "In Biscuit's annual checkup, what did he weigh?", "biscuit-checkup", 2,
       "twenty seven|27"),
    _q("recording", "In the budget review, how many laptops were said to be arriving?", "budget-review", 11,
       "twelve|12"),
    _q("recording", "In the quarterly budget planning, how many laptops could we replace?",
       "budget-planning", 6, "eight|8"),
    _q("recording", "In the team standup, what was making a page slow?", "team-standup", 3, "index"),
    _q("recording", "In the launch planning meeting, what launch date was given?", "launch-planning", 0,
       "june", "twenty fourth|24"),
    _q("recording", "In the hiring kickoff, what fee did the recruiting agency charge?", "hiring-kickoff", 3,
       "twenty percent|20 percent|20%"),
    _q("recording", "In the hiring sync, what did the agency lower its fee to?", "hiring-sync", 14,
       "eighteen|18"),
    _q("recording", "In the quarterly budget planning, why was Michael in a hurry?", "budget-planning", 0,
       "board"),
    _q("recording", "In the one on one with Nina, which city's conference came up?", "one-on-one-nina", 7,
       "berlin"),
    _q("recording", "In the call with Emma about Mom's birthday, what cake was ordered?", "family-call", 9,
       "lemon"),
    # reply: asked by one person in the meeting, answered by another in the next line.
    _q("reply", "Why was the payment page slow?", "payment-incident", 3, "currency"),
    _q("reply", "How much will the office move cost in the end?", "budget-review", 8,
       "thirty eight thousand|38,000|38000|38 thousand|38k"),
    _q("reply", "Why can't Olivia start before July?", "hiring-sync", 6, "notice"),
    _q("reply", "Why did Ben turn down the job?", "hiring-sync", 8, "family"),
    _q("reply", "What else did Olivia ask for besides the salary?", "hiring-sync", 10, "friday"),
    _q("reply", "Who will be Olivia's onboarding buddy?", "hiring-sync", 12, "nina"),
    _q("reply", "How many orders did we lose during the payment incident?", "payment-incident", 7,
       "three hundred and forty|three hundred forty|340"),
    _q("reply", "What's the fix for the payment page problem?", "payment-incident", 10, "cache"),
    _q("reply", "Who owns the follow up on the payment incident?", "payment-incident", 12, "nina"),
    _q("reply", "Who is driving Grandma to Mom's party?", "family-call", 7, "sarah"),
    _q("reply", "Why didn't Emma order a chocolate cake?", "family-call", 11, "doctor"),
    _q("reply", "Why did the launch move?", "launch-planning", 2, "test|certif"),
    _q("reply", "How much is the pro plan?", "launch-planning", 7, "forty nine|49"),
    _q("reply", "Who is writing the launch announcement?", "launch-planning", 9, "hannah"),
    _q("reply", "What medicine is Biscuit getting for his leg?", "vet-call", 7, "inflammatory"),
    _q("reply", "What time is Biscuit's follow up appointment?", "vet-call", 13, "nine thirty|9:30|9.30|930"),
    _q("reply", "How much more per month does the office by the station cost?", "office-move", 5,
       "four thousand|4,000|4000|4 thousand|4k"),
    _q("reply", "When is the office move happening?", "office-move", 9, "july", "twelfth|12"),
    _q("reply", "How many seats does Bluebird have?", "bluebird-call", 3,
       "two hundred and forty|two hundred forty|240"),
    _q("reply", "What would make Bluebird's renewal decision easier?", "bluebird-call", 9,
       "excel|export|spreadsheet"),
    _q("reply", "What time is the flight to Lisbon?", "trip-planning", 2, "six forty|6:40|6.40|640"),
    _q("reply", "Who is looking after Biscuit during the Lisbon trip?", "trip-planning", 11, "mark"),
    _q("reply", "Is breakfast included at the Lisbon hotel?", "trip-planning", 9, "included"),
    _q("reply", "How old is Biscuit?", "biscuit-checkup", 1, "six|6"),
    _q("reply", "What's wrong with Biscuit's ears?", "biscuit-checkup", 8, "infection"),
    _q("reply", "How many interview rounds were planned?", "hiring-kickoff", 6, "four|4"),
    _q("reply", "What does Nina want to work on after the launch?", "one-on-one-nina", 5, "search"),
    # unanswerable: never said; some are near misses (the topic is discussed, the detail is not).
    _none("When is Emma's wedding?"),
    _none("What date is Mom's seventieth birthday party?"),
    _none("What time does Mom's birthday party start?"),
    _none("What present are we giving Mom for her birthday?"),
    _none("What salary did Ben ask for?"),
    _none("Who is Olivia's current employer?"),
    _none("How many people applied for the senior backend role?"),
    _none("Who did we hire as the product designer?"),
    _none("What is the monthly rent for the Harbor Street office?"),
    _none("Which moving company are we using for the office move?"),
    _none("How much was the design agency going to cost?"),
    _none("How much does Bluebird pay us per year?"),
    _none("What is the name of the hotel in Lisbon?"),
    _none("How much did the flights to Lisbon cost?"),
    _none("Which airline are we flying to Lisbon?"),
    _none("How much is the enterprise plan?"),
    _none("How many people signed up for the launch webinar?"),
    _none("How much revenue did we lose in the payment incident?"),
    _none("Which payment provider is certifying us for the launch?"),
    _none("How much does Biscuit's medicine cost?"),
    _none("How much do the tickets for the Berlin database conference cost?"),
    _none("What is the budget for the sales kickoff in Chicago?"),
)  # fmt: skip

# Words too common to count as shared content between a paraphrase and its line.
_STOPWORD_TEXT = (
    "about after again also been before being could does doing from have having here into just like "
    "many more most much only other over should some than that their them then there these they this those "
    "very were what when where which while whom will with would your going said says tell"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def _stems(text: str) -> set[str]:
    """Content words as a crude stem: lowercase alphabetic tokens of 4+ letters, first 5 characters."""
    return {w[:5] for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 4 and w not in _STOPWORDS}


def _shared(a: str, b: str) -> set[str]:
    """Stems of `a` that match one of `b` (a shorter stem matches a longer one it begins: year, years)."""
    theirs = _stems(b)
    return {s for s in _stems(a) if any(s.startswith(t) or t.startswith(s) for t in theirs)}


def _holds(text: str, facts: tuple[tuple[str, ...], ...]) -> bool:
    return all(any(alt in text.lower() for alt in alts) for alts in facts)


def counts() -> dict[str, int]:
    found = Counter(q.kind for q in QUESTIONS)
    return {kind: found[kind] for kind in KINDS}


def check() -> None:
    """Assert the corpus is consistent: people, turns, spoken text, and every question's ground truth."""
    assert len(PEOPLE) in range(8, 11) and len(set(PEOPLE.values())) == len(PEOPLE)
    assert set(PEOPLE.values()) <= {
        "af_sarah", "af_nicole", "af_bella", "af_jessica", "af_heart", "am_adam", "am_michael", "am_eric",
        "am_liam", "am_puck", "bf_emma", "bf_isabella", "bm_george", "bm_lewis", "bm_daniel",
    }  # fmt: skip
    assert len(MEETINGS) >= 12 and len(_MEETING) == len(MEETINGS)
    for meeting in MEETINGS:
        where = meeting.key
        assert 2 <= len(meeting.people) <= 4 and set(meeting.people) <= set(PEOPLE), where
        assert 12 <= len(meeting.lines) <= 18, where
        assert 8 <= meeting.hour <= 18 and meeting.days_ago >= 0, where
        assert {line.speaker for line in meeting.lines} == set(meeting.people), where
        for n, line in enumerate(meeting.lines):
            assert re.fullmatch(r"[A-Za-z][A-Za-z ,.?'!]*[.?!]", line.text), (where, n, line.text)
            assert 3 <= len(line.text.split()) <= 30, (where, n)
            if n:
                assert line.speaker != meeting.lines[n - 1].speaker, (where, n)
    for kind, least in MINIMUM.items():
        assert counts()[kind] >= least, (kind, counts()[kind])
    assert len({q.text for q in QUESTIONS}) == len(QUESTIONS), "a question is asked twice"
    for q in QUESTIONS:
        assert q.kind in KINDS, q.text
        if q.kind == "unanswerable":
            assert q.meeting is None and q.line is None and q.speaker is None and not q.facts, q.text
            continue
        assert q.meeting in _MEETING and q.line is not None, q.text
        lines = _MEETING[q.meeting].lines
        assert 0 <= q.line < len(lines), q.text
        target = lines[q.line]
        assert q.speaker == target.speaker, q.text
        assert q.facts and all(alts and all(a == a.lower() for a in alts) for alts in q.facts), q.text
        assert _holds(target.text, q.facts), (q.text, target.text)
        others = [n for n, line in enumerate(lines) if n != q.line and _holds(line.text, q.facts)]
        assert not others, (q.text, "also in lines", others)
        if q.kind == "paraphrase":
            assert not _shared(q.text, target.text), (q.text, _shared(q.text, target.text))
        if q.kind == "reply":
            assert q.line > 0 and "?" in lines[q.line - 1].text, q.text
        # A question that names an enrolled person is scoped to them (the longest name, as the assistant
        # reads it): it must be the one who said the line.
        named = sorted((p for p in PEOPLE if re.search(rf"\b{p}\b", q.text)), key=lambda p: -len(p))
        assert not named or named[0] == q.speaker, (q.text, named)


if __name__ == "__main__":
    check()
    lines = sum(len(m.lines) for m in MEETINGS)
    words = sum(len(line.text.split()) for m in MEETINGS for line in m.lines)
    print(counts(), f"total {len(QUESTIONS)} questions")
    print(f"{len(MEETINGS)} meetings, {lines} lines, {words} words (about {words / 150:.0f} min of speech)")
