"""The LLM engine: llama.cpp (llama-cpp-python) over a GGUF file, with the model's own chat template.

Generation streams one piece of text per token through a callback, so the chat task can put each on the
answer's Redis stream as it comes. The prompt is formatted and tokenized here, not by llama-cpp-python's
chat helpers, so the prompt's exact token count is known before generation starts: a conversation that
would not fit the context is cut (or refused) up front instead of failing halfway through an answer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workers.pool import ModelPool

log = logging.getLogger(__name__)

# Bytes of KV cache per context token the pool reserves beside the weights: enough for the shipped Qwen
# models (12-28 KB a token in f16); a bigger model given by path is budgeted at its file size plus this.
KV_BYTES_PER_TOKEN = 48 * 1024


class ContextTooLong(ValueError):
    """The prompt and the tokens asked for do not fit the model's context."""

    def __init__(self, prompt_tokens: int, max_tokens: int, context: int) -> None:
        super().__init__(
            f"the conversation is {prompt_tokens} tokens and {max_tokens} more were asked for; "
            f"the model's context holds {context}"
        )
        self.prompt_tokens = prompt_tokens


@dataclass
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    first_token_seconds: float | None
    seconds: float
    finish_reason: str
    # With an abstention given: the model's own probability of starting it, and whether it was taken.
    abstain_probability: float | None = None
    abstained: bool = False

    @property
    def tokens_per_second(self) -> float:
        """Generation speed after the first token (the first one also pays for reading the prompt)."""
        after_first = self.seconds - (self.first_token_seconds or 0.0)
        if self.completion_tokens < 2 or after_first <= 0:
            return 0.0
        return (self.completion_tokens - 1) / after_first


@dataclass(frozen=True)
class Abstention:
    """The sentence that says "not found", and the probability of its first token at which it is taken.

    A small model asked something its excerpts do not answer still puts real weight on saying so, but
    rarely the most: greedy decoding then invents an answer. Reading the first token's probability
    (one look at the logits the prompt already produced) and taking the abstention when it passes a
    threshold set on the answer benchmark turns that weight into an honest "not found"."""

    text: str
    threshold: float


def gpu_offload_supported() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


class LlmEngine:
    def __init__(self, path: Path, name: str, context: int, threads: int, gpu_layers: int) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.name = name
        self.context = context
        self.gpu_layers = gpu_layers
        self._llm = Llama(
            model_path=str(path),
            n_ctx=context,
            n_threads=threads,
            n_threads_batch=threads,
            n_gpu_layers=gpu_layers,
            verbose=False,
        )
        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ValueError(f"{path} has no chat template: it is a base model, not a chat model")
        eos = self._token_text(self._llm.token_eos())
        bos = self._token_text(self._llm.token_bos())
        self._format = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self._llm.detokenize([token], special=True).decode("utf-8", errors="ignore")

    def prompt_tokens(self, messages: list[dict]) -> list[int]:
        prompt = self._format(messages=messages).prompt
        return self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def first_token_probability(self, tokens: list[int], wanted: int) -> float:
        """The probability that the answer to the prompt `tokens` starts with token `wanted`. Evaluates
        only what the previous prompt does not share (llama.cpp's cache), as the generation that follows
        would; that generation then finds the whole prompt cached."""
        import numpy as np
        from llama_cpp import Llama

        llm = self._llm
        # At least the last token is evaluated again: its logits are the ones wanted.
        shared = Llama.longest_token_prefix(llm._input_ids, tokens[:-1])
        llm.n_tokens = shared
        llm.eval(tokens[shared:])
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).astype(np.float64)
        logits -= logits.max()
        weights = np.exp(logits)
        return float(weights[wanted] / weights.sum())

    def generate(
        self,
        messages: list[dict],
        max_tokens: int,
        temperature: float,
        on_token: Callable[[str], None],
        seed: int = 0,
        abstention: Abstention | None = None,
    ) -> Generation:
        tokens = self.prompt_tokens(messages)
        if len(tokens) + max_tokens > self.context:
            raise ContextTooLong(len(tokens), max_tokens, self.context)
        started = time.perf_counter()
        abstain_probability = None
        if abstention is not None:
            said = self._llm.tokenize(abstention.text.encode("utf-8"), add_bos=False, special=False)
            abstain_probability = self.first_token_probability(tokens, said[0])
            if abstain_probability >= abstention.threshold:
                return self._say(abstention.text, said, len(tokens), started, on_token, abstain_probability)
        first_token = None
        pieces: list[str] = []
        finish_reason = "length"
        completion_tokens = 0
        self._llm.set_seed(seed)
        stream = self._llm.create_completion(
            tokens, max_tokens=max_tokens, temperature=temperature, stream=True, seed=seed
        )
        for chunk in stream:
            choice = chunk["choices"][0]
            piece = choice.get("text") or ""
            # One chunk per generated token, then a closing chunk with the finish reason and (unless a
            # stop string held text back) nothing else: the end-of-text token is not part of the answer.
            if piece or not choice.get("finish_reason"):
                completion_tokens += 1
            if piece:
                if first_token is None:
                    first_token = time.perf_counter() - started
                pieces.append(piece)
                on_token(piece)
            if choice.get("finish_reason"):
                finish_reason = choice["finish_reason"]
        return Generation(
            text="".join(pieces),
            prompt_tokens=len(tokens),
            completion_tokens=min(completion_tokens, max_tokens),
            first_token_seconds=first_token,
            seconds=time.perf_counter() - started,
            finish_reason=finish_reason,
            abstain_probability=abstain_probability,
        )

    def _say(
        self,
        text: str,
        said: list[int],
        prompt_tokens: int,
        started: float,
        on_token: Callable[[str], None],
        probability: float,
    ) -> Generation:
        """The abstention, streamed token by token like a generated answer."""
        first_token = time.perf_counter() - started
        for token in said:
            on_token(self._llm.detokenize([token]).decode("utf-8", errors="ignore"))
        return Generation(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=len(said),
            first_token_seconds=first_token,
            seconds=time.perf_counter() - started,
            finish_reason="stop",
            abstain_probability=probability,
            abstained=True,
        )

    def close(self) -> None:
        """Frees the weights and context now rather than whenever the garbage collector gets to it: the pool
        evicts a model to make room for the next one."""
        self._llm.close()


def model_path(model: str) -> tuple[Path, str]:
    """A manifest name (assembled, sha256-checked) or a path to any GGUF chat model, and its name."""
    if model.endswith(".gguf") or "/" in model:
        path = Path(model)
        if not path.is_file():
            raise FileNotFoundError(f"{path} is not a GGUF file")
        return path, path.stem
    from models.assemble import ensure_model

    return ensure_model(model) / "model.gguf", model


def llm_engine(pool: ModelPool, model: str, context: int, threads: int, gpu_layers: int | None) -> LlmEngine:
    """The engine resident in the pool; all layers go to the GPU when llama.cpp was built with one (unless
    the config says how many)."""
    path, name = model_path(model)
    layers = gpu_layers if gpu_layers is not None else (-1 if gpu_offload_supported() else 0)
    size = int(path.stat().st_size * 1.1) + context * KV_BYTES_PER_TOKEN
    return pool.get(
        f"llm:{path}:{context}:{layers}", size, lambda: LlmEngine(path, name, context, threads, layers)
    )
