"""What the models answer in, shared by the engines (which produce it) and the web (which validates
filters and draws pages with it), so that neither imports the other."""

# The seven emotion classes every emotion engine labels with.
EMOTIONS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
# The emotion engine built from the sentence-embedding model and labelled examples (the default): a name
# in the configuration, and the prefix of the labels' model name in the store.
EMBEDDING_CLASSIFIER = "embedding-classifier"
