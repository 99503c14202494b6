"""A synthetic memory: many meetings over two years, named speakers, everyday talk, and hidden in it a set of
facts, each said once, with two questions about each: one that names one thing from it in other words
around it (how people ask), one that shares no content word with it (a stress test).

Filler sentences are drawn from templates (tens of thousands of distinct sentences, reused across a large
memory the way real talk repeats itself); the facts are written by hand. A question's answer is the one
segment that states its fact.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SPEAKERS = [
    "Sarah Chen", "Marcus Webb", "Priya Natarajan", "Tom Okafor", "Lena Fischer", "Diego Alvarez",
    "Hannah Brooks", "Kenji Sato", "Amira Haddad", "Oliver Grant", "Sofia Rossi", "Ben Carter",
]  # fmt: skip

# (fact as said in a meeting, a question in other words only, a question that names one thing from it)
FACTS = [
    ("The offsite in Lisbon has a budget of forty thousand euros.", "How much money can we spend on the Portugal team trip?", "What's the spending limit for the Lisbon trip?"),
    ("Our biggest client, Northwind, is threatening to cancel the contract in March.", "Which customer might walk away early next year?", 'Is Northwind going to drop us?'),
    ("The new espresso machine for the kitchen arrives on Thursday.", "When will the coffee maker be delivered?", 'Any news on the espresso delivery?'),
    ("We decided to hire two more backend engineers before summer.", "How many developers are we recruiting?", 'How many backend people are we adding?'),
    ("The server outage last night was caused by an expired TLS certificate.", "Why did the website go down yesterday?", 'What broke with the certificate last night?'),
    ("My daughter starts kindergarten next September.", "When does the little one begin school?", 'When is kindergarten starting for my daughter?'),
    ("The quarterly board meeting moved from Tuesday to the following Monday.", "Was the directors' review rescheduled?", 'When is the board meeting now?'),
    ("Rent for the Berlin office goes up by twelve percent in January.", "How much more will we pay for the German workspace?", 'What happens to the Berlin rent?'),
    ("The marketing launch video got three hundred thousand views in a week.", "How popular was the promotional clip?", 'How did the launch video do?'),
    ("I'm allergic to peanuts, so please order the Thai food without them.", "What can't I eat at the team lunch?", 'Which allergy should I mention when ordering lunch?'),
    ("The warehouse in Rotterdam will close at the end of the year.", "Which storage site is shutting down?", "What's the plan for Rotterdam?"),
    ("Grandpa's ninetieth birthday party is at the lake house on the fourteenth.", "Where are we celebrating the old man's big anniversary?", "Where is Grandpa's party?"),
    ("Version four of the mobile app drops support for Android nine.", "Which phones will the next release stop working on?", 'Which Android versions lose support?'),
    ("The auditors found a fifty thousand dollar error in the travel expenses.", "What did the accounting review discover?", 'What did the auditors find?'),
    ("We're switching the payroll provider from Paylocity to Gusto.", "Who will handle salaries from now on?", 'Which payroll company are we moving to?'),
    ("The patent application for the battery cooling design was approved.", "Did we get the invention protected?", 'What happened with the patent?'),
    ("Jenna is going on parental leave for six months starting in April.", "How long will Jenna be away with the baby?", "When does Jenna's leave start?"),
    ("The customer satisfaction score dropped to sixty-two this quarter.", "How happy are users with us lately?", 'What was the satisfaction score this quarter?'),
    ("The roof of the garage leaks whenever it rains heavily.", "What's wrong with the car shed?", 'Is something wrong with the garage?'),
    ("Our flight to Tokyo departs at eleven forty at night from gate twelve.", "What time do we leave for Japan?", 'When does the Tokyo flight leave?'),
    ("The vet said the dog needs surgery on his left knee.", "What's going on with the puppy's leg?", 'What did the vet say?'),
    ("We signed a three year lease for the new lab in Cambridge.", "How long is the agreement for the research space?", 'What kind of lease did we sign in Cambridge?'),
    ("The conference keynote is limited to twenty minutes including questions.", "How much time do I have on the main stage?", 'How long can the keynote be?'),
    ("The prototype battery lasted nineteen hours in the endurance test.", "How long did the device run on one charge?", 'How did the prototype do in the endurance test?'),
    ("Password resets will require a hardware security key from next month.", "What changes about logging in soon?", "What's changing with password resets?"),
    ("The school bake sale raised eight hundred and forty dollars.", "How much did the cookie fundraiser bring in?", 'How much did the bake sale make?'),
    ("Shipping to Canada now takes eleven business days because of the strike.", "Why are northern deliveries so slow?", 'How long is shipping to Canada taking?'),
    ("The database migration to Postgres is scheduled for the long weekend.", "When are we moving the data to the new engine?", 'When is the Postgres migration?'),
    ("Mom's blood test results came back normal.", "Are my mother's lab results okay?", "What were Mom's test results?"),
    ("The solar panels on the factory cut our electricity bill by a third.", "How much power money did the roof installation save?", 'What did the solar panels do for the bill?'),
    ("We lost the Henderson bid to a competitor who was fifteen percent cheaper.", "Why didn't we win that tender?", 'What happened with the Henderson bid?'),
    ("The intern project on fraud detection reached ninety-four percent precision.", "How accurate was the student's model for catching scams?", "How did the intern's fraud project turn out?"),
    ("The wedding venue needs the final guest count by the first of May.", "When do we have to confirm how many people come to the ceremony?", 'What does the wedding venue need from us?'),
    ("Our office plants are being replaced with artificial ones to save water.", "What's happening to the greenery at work?", "What's happening to the office plants?"),
    ("The translation vendor charges nine cents per word for Japanese.", "What's the price for localizing text into Japanese?", 'How much does Japanese translation cost?'),
    ("The bicycle was stolen from outside the library on Friday afternoon.", "What happened to my bike?", 'Where was the bicycle when it got stolen?'),
    ("The board approved a four day work week trial for the support team.", "Which group gets shorter weeks as an experiment?", 'Who gets the four day week trial?'),
    ("Inventory of winter jackets is down to two hundred units.", "How many coats do we have left in stock?", 'How many winter jackets are left?'),
    ("The pediatric clinic is moving to the second floor of the mall.", "Where will the children's doctor be located?", 'Where is the pediatric clinic going?'),
    ("Our podcast episode with the mayor will be released on Wednesday.", "When does the interview with the city leader come out?", 'When is the podcast with the mayor out?'),
]  # fmt: skip

_PEOPLE = ["the client", "finance", "legal", "the vendor", "our manager", "the design team", "support", "sales",
           "the contractor", "procurement", "the landlord", "the agency", "HR", "the auditors", "my brother"]  # fmt: skip
_THINGS = ["report", "proposal", "invoice", "schedule", "contract", "slide deck", "budget", "roadmap", "forecast",
           "timeline", "checklist", "survey", "estimate", "spreadsheet", "dashboard", "newsletter", "agenda"]  # fmt: skip
_PROJECTS = ["onboarding", "website", "migration", "rebrand", "hiring", "pricing", "logistics", "analytics",
             "renovation", "campaign", "training", "security", "partnership", "expansion", "retention"]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "next week", "tomorrow", "the end of the month",
         "after lunch", "this afternoon", "before the holidays", "the weekend"]  # fmt: skip
_FEELINGS = ["I'm really pleased with", "I'm worried about", "honestly I'm annoyed about", "I'm excited about",
             "I'm a bit disappointed with", "I can't believe how good", "I'm tired of arguing about",
             "I'm nervous about", "it's kind of gross how messy", "nobody told me about"]  # fmt: skip
_TEMPLATES = [
    "Can {person} send the {project} {thing} by {day}?",
    "We still need to review the {thing} for the {project} project.",
    "{feeling} the {project} {thing}.",
    "Let's move the {project} sync to {day}.",
    "I talked to {person} about the {thing} this morning.",
    "The {project} {thing} is almost done, maybe {day}.",
    "Who owns the {thing} for {project} now?",
    "{feeling} what {person} said about the {thing}.",
    "I'll put the {project} {thing} on the agenda for {day}.",
    "Did {person} sign off on the {project} {thing} yet?",
    "Okay, so the {thing} from {person} looks fine to me.",
    "We could push the {project} work to {day} if {person} agrees.",
]


@dataclass
class Fact:
    index: int
    text: str
    question: str  # names one thing that was said (a place, a name, an object), as people usually ask
    paraphrase: str  # shares no content word with the fact: the hardest case for any search


def filler_sentences(count: int, seed: int = 7) -> list[str]:
    """`count` distinct everyday sentences drawn at random from the templates."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        sentence = rng.choice(_TEMPLATES).format(
            person=rng.choice(_PEOPLE),
            thing=rng.choice(_THINGS),
            project=rng.choice(_PROJECTS),
            day=rng.choice(_DAYS),
            feeling=rng.choice(_FEELINGS),
        )
        sentence = sentence[0].upper() + sentence[1:]
        if sentence not in seen:
            seen.add(sentence)
            out.append(sentence)
    return out


def facts() -> list[Fact]:
    return [Fact(i, text, anchored, paraphrase) for i, (text, paraphrase, anchored) in enumerate(FACTS)]
