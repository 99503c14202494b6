"""16 kHz mono PCM: decoding (shared with the web, which decodes live-stream chunks) and reading ranges."""

from models.pcm import BYTES_PER_SAMPLE, SAMPLE_RATE, decode_to_pcm16, read_pcm16

__all__ = ["BYTES_PER_SAMPLE", "SAMPLE_RATE", "decode_to_pcm16", "read_pcm16"]
