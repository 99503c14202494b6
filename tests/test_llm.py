"""The LLM engine on the shipped model (assembled from its packages, sha256-checked), and the model pool
swapping it with the ASR model under a budget that holds only one of them."""

from __future__ import annotations

import pytest

from workers.engines import asr_engine
from workers.llm import Abstention, ContextTooLong, llm_engine
from workers.pool import ModelPool

BIG_BUDGET = 8 * 1024**3


@pytest.fixture(scope="module")
def llm():
    return llm_engine(ModelPool(BIG_BUDGET), "qwen2.5-0.5b-instruct", 2048, 2, 0)


def test_the_default_model_answers_and_streams_every_token(llm):
    pieces = []
    generation = llm.generate(
        [{"role": "user", "content": "What is the capital of France? Answer with one word."}],
        max_tokens=16,
        temperature=0.0,
        on_token=pieces.append,
    )
    assert "paris" in generation.text.lower()
    assert "".join(pieces) == generation.text
    assert 1 <= generation.completion_tokens <= 16 and generation.prompt_tokens > 10
    assert generation.first_token_seconds is not None and generation.first_token_seconds < generation.seconds


def test_the_abstention_is_taken_by_the_models_own_probability_of_it(llm):
    question = [{"role": "user", "content": "What is the capital of France? Answer with one word."}]
    plain = llm.generate(question, max_tokens=8, temperature=0.0, on_token=lambda _p: None)
    never = Abstention("I could not find that.", threshold=1.01)
    pieces: list[str] = []
    looked = llm.generate(question, max_tokens=8, temperature=0.0, on_token=pieces.append, abstention=never)
    # Reading the first token's probability leaves the answer exactly as it was, cache and all.
    assert looked.text == plain.text and "".join(pieces) == looked.text and not looked.abstained
    assert 0.0 <= looked.abstain_probability < 0.5  # it knows this one
    pieces.clear()
    always = Abstention("I could not find that.", threshold=0.0)
    said = llm.generate(question, max_tokens=8, temperature=0.0, on_token=pieces.append, abstention=always)
    assert said.abstained and said.text == "I could not find that." and "".join(pieces) == said.text
    assert said.finish_reason == "stop" and said.completion_tokens == len(pieces)


def test_a_prompt_over_the_context_is_refused_before_generating(llm):
    with pytest.raises(ContextTooLong, match="context holds 2048") as caught:
        llm.generate(
            [{"role": "user", "content": "budget " * 3000}], max_tokens=64, temperature=0, on_token=print
        )
    assert caught.value.prompt_tokens > 2048


def test_the_pool_swaps_asr_and_llm_within_a_budget_for_one(tmp_path):
    """A budget that fits either model but not both: each switch evicts the other, and is counted and
    timed as a swap."""
    pool = ModelPool(budget_bytes=600 * 1024**2)
    asr = asr_engine(pool, "whisper-tiny.en", "cpu", "int8", 2)
    assert pool.stats.swaps == 0 and pool.stats.loads == 1
    llm = llm_engine(pool, "qwen2.5-0.5b-instruct", 1024, 2, 0)
    assert pool.stats.swaps == 1 and pool.stats.evictions == 1
    assert pool.stats.resident == [next(iter(pool._models))] and pool.stats.resident[0].startswith("llm:")
    assert pool.stats.last_swap_seconds > 0
    asr_again = asr_engine(pool, "whisper-tiny.en", "cpu", "int8", 2)
    assert asr_again is not asr and pool.stats.swaps == 2
    assert pool.stats.swap_seconds >= pool.stats.last_swap_seconds > 0
    assert llm is not None
