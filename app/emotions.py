"""The seven emotion classes, shared by the API (to validate filters) and the engines (to label)."""

EMOTIONS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
