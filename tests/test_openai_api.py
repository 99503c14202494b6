"""The OpenAI-compatible transcription API, called with OpenAI's own Python client as tools do: every
response format of one two-voice meeting, both timestamp granularities, a stream, a recording not kept,
a wrong key, bad audio and bad fields, each answered in OpenAI's error shape."""

from __future__ import annotations

import hashlib

import openai
import pytest
import requests

from bench.corpus import Turn, conversation
from tests.helpers import synthesize, words

KAL, SLT = "flite:kal", "flite:slt"
LINES = [
    (KAL, "I think the budget for the warehouse needs another look before we sign anything."),
    (SLT, "We could move the launch to March if the supplier confirms the new dates."),
    (KAL, "The customer interviews were clear that onboarding takes far too long."),
    (SLT, "Let us ask the finance team to send the updated numbers by Friday."),
]


@pytest.fixture(scope="module")
def oa(live_server, bob):
    return openai.OpenAI(api_key=bob["token"], base_url=f"{live_server}/v1", max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    path = tmp_path_factory.mktemp("openai") / "meeting.wav"
    turns = conversation([Turn(voice, text) for voice, text in LINES], path)
    return path, turns


def held_with_sha(live_server, user, path) -> list[dict]:
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    response = requests.get(
        f"{live_server}/api/v1/recordings", params={"sha256": sha256}, headers=user["auth"], timeout=30
    )
    assert response.status_code == 200
    return response.json()["recordings"]


@pytest.fixture(scope="module")
def verbose(oa, meeting):
    """The first request transcribes the meeting; the later ones are answered from the recording."""
    path, _turns = meeting
    with path.open("rb") as audio:
        return oa.audio.transcriptions.create(
            model="whisper-1",
            file=audio,
            response_format="verbose_json",
            timestamp_granularities=["word", "segment"],
            extra_body={"speakers": "2", "title": "Warehouse and launch"},
        )


def said(text: str) -> set[str]:
    return set(words(text))


def test_verbose_json_has_the_words_segments_and_word_times(verbose, meeting):
    _path, turns = meeting
    heard = said(verbose.text)
    for key in ("budget", "warehouse", "launch", "march", "supplier", "onboarding", "finance", "friday"):
        assert key in heard, (key, verbose.text)
    assert verbose.language == "english"
    assert verbose.duration == pytest.approx(turns[-1].end, abs=2.0)
    assert verbose.segments and verbose.words
    assert " ".join(s.text for s in verbose.segments) == verbose.text
    for segment in verbose.segments:
        assert 0 <= segment.start < segment.end <= verbose.duration + 0.5
    starts = [w.start for w in verbose.words]
    assert starts == sorted(starts)
    # Each word is said inside the turn that holds it, give or take the word-timing error.
    for w in verbose.words:
        if w.word.strip(".,").lower() in ("warehouse", "supplier", "finance"):
            owner = next(t for t in turns if w.word.strip(".,").lower() in t.text.lower())
            assert owner.start - 1.0 <= w.start <= owner.end + 1.0, (w, owner)


def test_one_granularity_at_a_time(oa, meeting, verbose):
    path, _turns = meeting
    with path.open("rb") as audio:
        only_words = oa.audio.transcriptions.create(
            model="whisper-1", file=audio, response_format="verbose_json", timestamp_granularities=["word"]
        )
    assert only_words.words and only_words.segments is None
    with path.open("rb") as audio:
        only_segments = oa.audio.transcriptions.create(
            model="whisper-1", file=audio, response_format="verbose_json", timestamp_granularities=["segment"]
        )
    assert only_segments.segments and only_segments.words is None
    assert only_words.text == only_segments.text == verbose.text


def test_json_and_text_give_the_same_transcript(oa, meeting, verbose):
    path, _turns = meeting
    with path.open("rb") as audio:
        plain = oa.audio.transcriptions.create(model="whisper-1", file=audio)
    assert plain.text == verbose.text
    assert plain.usage.type == "duration" and plain.usage.seconds == pytest.approx(verbose.duration)
    with path.open("rb") as audio:
        text = oa.audio.transcriptions.create(model="whisper-1", file=audio, response_format="text")
    assert text.strip() == verbose.text


def test_diarized_json_tells_the_two_voices_apart(oa, live_server, bob, meeting, verbose):
    path, turns = meeting
    with path.open("rb") as audio:
        raw = oa.audio.transcriptions.with_raw_response.create(
            model="whisper-1", file=audio, response_format="diarized_json"
        )
    diarized = raw.parse()
    assert diarized.text == verbose.text
    by_voice: dict[str, set[str]] = {KAL: set(), SLT: set()}
    for segment in diarized.segments:
        assert segment.type == "transcript.text.segment"
        middle = (segment.start + segment.end) / 2
        turn = min(turns, key=lambda t: abs((t.start + t.end) / 2 - middle))
        by_voice[turn.voice].add(segment.speaker)
    assert len(by_voice[KAL]) == 1 and len(by_voice[SLT]) == 1, by_voice
    assert by_voice[KAL] != by_voice[SLT]
    # The names are the memory's own: the same as the recording shows (an enrolled voice's name, or
    # "Speaker N"), segment by segment.
    recording = requests.get(
        f"{live_server}/api/v1/recordings/{raw.headers['x-nemo-recording-id']}",
        headers=bob["auth"],
        timeout=30,
    ).json()
    assert [s.speaker for s in diarized.segments] == [s["speaker"] for s in recording["segments"]]


def test_subtitles_carry_times_and_speakers(oa, meeting, verbose):
    path, _turns = meeting
    with path.open("rb") as audio:
        srt = oa.audio.transcriptions.create(model="whisper-1", file=audio, response_format="srt")
    with path.open("rb") as audio:
        vtt = oa.audio.transcriptions.create(model="whisper-1", file=audio, response_format="vtt")
    assert "00:00:0" in srt and " --> " in srt and "Speaker " in srt
    assert vtt.startswith("WEBVTT") and "<v Speaker " in vtt
    assert said(srt) >= said(verbose.text)


def test_the_same_audio_is_stored_once(live_server, bob, meeting, verbose):
    path, _turns = meeting
    held = held_with_sha(live_server, bob, path)
    assert len(held) == 1 and held[0]["title"] == "Warehouse and launch"


def test_a_stream_of_deltas_then_the_whole_text_and_nothing_kept(oa, live_server, bob, tmp_path):
    path = synthesize(
        "The warehouse inventory count starts at nine on Tuesday, said Sarah from the budget team.",
        tmp_path / "inventory.wav",
    )
    with path.open("rb") as audio:
        stream = oa.audio.transcriptions.create(
            model="whisper-1",
            file=audio,
            stream=True,
            prompt="Sarah, quarterly budget report",
            temperature=0.0,
            extra_body={"store": "false"},
        )
        events = list(stream)
    kinds = [e.type for e in events]
    assert kinds[-1] == "transcript.text.done" and kinds.count("transcript.text.done") == 1
    deltas = [e.delta for e in events if e.type == "transcript.text.delta"]
    assert deltas and "".join(deltas) == events[-1].text
    heard = said(events[-1].text)
    assert {"warehouse", "inventory", "tuesday", "sarah"} <= heard, events[-1].text
    assert held_with_sha(live_server, bob, path) == []


def test_a_recording_not_kept_leaves_nothing(oa, live_server, bob, tmp_path):
    path = tmp_path / "again.wav"
    conversation([Turn(voice, text) for voice, text in LINES[:2]], path)
    with path.open("rb") as audio:
        text = oa.audio.transcriptions.create(
            model="whisper-1", file=audio, response_format="text", extra_body={"store": "false"}
        )
    assert {"warehouse", "launch"} <= said(text)
    assert held_with_sha(live_server, bob, path) == []


def test_a_wrong_key_is_a_401_in_openais_shape(live_server, meeting):
    client = openai.OpenAI(api_key="not-a-key", base_url=f"{live_server}/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught, meeting[0].open("rb") as audio:
        client.audio.transcriptions.create(model="whisper-1", file=audio)
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key" and caught.value.type == "authentication_error"
    with pytest.raises(openai.AuthenticationError):
        client.models.list()


def test_bad_audio_is_a_400_that_stores_nothing(oa, live_server, bob, tmp_path):
    path = tmp_path / "notes.wav"
    path.write_bytes(b"RIFF this is a shopping list, not audio " * 50)
    before = len(
        requests.get(f"{live_server}/api/v1/recordings", headers=bob["auth"], timeout=30).json()["recordings"]
    )
    with pytest.raises(openai.BadRequestError) as caught, path.open("rb") as audio:
        oa.audio.transcriptions.create(model="whisper-1", file=audio)
    error = caught.value
    assert error.status_code == 400 and error.param == "file" and error.type == "invalid_request_error"
    assert error.response.headers["x-should-retry"] == "false"
    after = len(
        requests.get(f"{live_server}/api/v1/recordings", headers=bob["auth"], timeout=30).json()["recordings"]
    )
    assert after == before


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"model": "gpt-9-transcribe"}, "model"),
        ({"response_format": "mp3"}, "response_format"),
        (
            {"timestamp_granularities": ["sentence"], "response_format": "verbose_json"},
            "timestamp_granularities",
        ),
        ({"timestamp_granularities": ["word"]}, "timestamp_granularities"),
        ({"temperature": 3.5}, "temperature"),
        ({"language": "klingon"}, "language"),
        ({"stream": True, "response_format": "srt"}, "stream"),
    ],
)
def test_bad_fields_name_their_param(oa, meeting, fields, param):
    request = {"model": "whisper-1", **fields}
    with pytest.raises(openai.BadRequestError) as caught, meeting[0].open("rb") as audio:
        oa.audio.transcriptions.create(file=audio, **request)
    assert caught.value.status_code == 400 and caught.value.param == param


def test_models_lists_the_alias_and_the_served_model(oa, live_server, bob):
    ids = [m.id for m in oa.models.list()]
    assert ids[0] == "whisper-1" and len(ids) == 2
    assert oa.models.retrieve(ids[1]).id == ids[1]
    with pytest.raises(openai.NotFoundError):
        oa.models.retrieve("gpt-9")
    missing = requests.get(f"{live_server}/v1/no-such-route", headers=bob["auth"], timeout=30)
    assert missing.status_code == 404 and set(missing.json()["error"]) == {"message", "type", "param", "code"}
