"""The scripted meetings of the answer bench (`bench/answers.py`): the people and their Kokoro voices, and
every meeting's title, day, hour and lines. Data only; the rules it is written to, the questions about it
(`bench/answer_questions.py`) and the check of both are in `bench/answer_corpus.py`. Kept apart from the
questions because each is a few hundred lines of hand-written text, and a meeting is read on its own."""

from __future__ import annotations

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

MEETING_BY_KEY = {meeting.key: meeting for meeting in MEETINGS}
