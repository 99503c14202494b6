"""The OpenAI-compatible API's pure parts: field checks, response shapes, decoder hints."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from app.errors import ApiError
from app.openai_api import formats
from app.openai_api.params import parse
from workers.asr import DecodeHints, HintedEngine, with_hints

MODELS = ("whisper-1", "whisper-tiny.en")
RECORDING = {
    "duration": 7.5,
    "language": "en",
    "segments": [
        {
            "start": 0.5, "end": 3.0, "text": "The budget is final.", "speaker": "Kal", "speaker_id": "v1",
            "avg_logprob": -0.2,
            "words": [
                {"word": "The", "start": 0.5, "end": 0.7}, {"word": "budget", "start": 0.7, "end": 1.2},
            ],
        },
        {
            "start": 3.5, "end": 6.0, "text": "Send it Friday.", "speaker": None, "speaker_id": None,
            "avg_logprob": None, "words": [{"word": "Send", "start": 3.5, "end": 3.8}],
        },
    ],
}  # fmt: skip


def test_a_plain_request_takes_openais_defaults():
    params = parse(MultiDict({"model": "whisper-1"}), MODELS)
    assert params.response_format == "json" and params.granularities == ("segment",)
    assert params.store and not params.stream and params.decode_options == {}


def test_granularities_come_with_or_without_brackets_and_once_each():
    form = MultiDict(
        [("model", "whisper-1"), ("response_format", "verbose_json"), ("timestamp_granularities[]", "word"),
         ("timestamp_granularities[]", "segment"), ("timestamp_granularities", "word")]
    )  # fmt: skip
    assert parse(form, MODELS).granularities == ("word", "segment")


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({}, "model"),
        ({"model": "whisper-1", "temperature": "nan"}, "temperature"),
        ({"model": "whisper-1", "temperature": "-0.1"}, "temperature"),
        ({"model": "whisper-1", "stream": "maybe"}, "stream"),
        ({"model": "whisper-1", "store": "2"}, "store"),
        ({"model": "whisper-1", "prompt": "x" * 1001}, "prompt"),
        ({"model": "whisper-1", "language": "e1"}, "language"),
    ],
)
def test_bad_fields_are_400s_that_name_the_field(fields, param):
    with pytest.raises(ApiError) as caught:
        parse(MultiDict(fields), MODELS)
    assert caught.value.status == 400 and caught.value.param == param


def test_prompt_and_temperature_reach_the_decoder_and_zero_keeps_its_fallback():
    params = parse(MultiDict({"model": "whisper-1", "prompt": "Kal, Nemo", "temperature": "0.3"}), MODELS)
    assert params.decode_options == {"prompt": "Kal, Nemo", "temperature": 0.3}
    assert DecodeHints(**params.decode_options).whisper_options() == {
        "initial_prompt": "Kal, Nemo",
        "temperature": 0.3,
    }
    # Temperature 0 is OpenAI's "start greedy, go hotter on failure": Whisper's own default.
    assert DecodeHints(None, 0.0).whisper_options() == {}


def test_hints_wrap_an_engine_only_when_there_are_some():
    class Engine:
        name = "fake"

        def transcribe_batch(self, audios, language, hints=None):
            return [[hints]]

    engine = Engine()
    assert with_hints(engine, DecodeHints()) is engine
    hinted = with_hints(engine, DecodeHints("Nemo", None))
    assert isinstance(hinted, HintedEngine) and hinted.name == "fake"
    assert hinted.transcribe_batch([], "en") == [[DecodeHints("Nemo", None)]]


def test_verbose_json_has_what_each_granularity_asks_for():
    both = formats.verbose(RECORDING, ("word", "segment"), None)
    assert both["text"] == "The budget is final. Send it Friday." and both["language"] == "english"
    assert [s["speaker"] for s in both["segments"]] == ["Kal", None]
    assert [w["word"] for w in both["words"]] == ["The", "budget", "Send"]
    assert "words" not in formats.verbose(RECORDING, ("segment",), None)
    assert "segments" not in formats.verbose(RECORDING, ("word",), None)


def test_diarized_json_names_speakers_and_text_formats_end_in_a_newline():
    diarized = formats.diarized(RECORDING)
    assert [s["speaker"] for s in diarized["segments"]] == ["Kal", "unknown"]
    assert [s["id"] for s in diarized["segments"]] == ["seg_000", "seg_001"]
    text, mimetype = formats.render("text", RECORDING)
    assert text == "The budget is final. Send it Friday.\n" and mimetype.startswith("text/plain")
    body, _ = formats.render("json", RECORDING)
    assert body == {
        "text": "The budget is final. Send it Friday.",
        "usage": {"type": "duration", "seconds": 7.5},
    }
