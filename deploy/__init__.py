"""How to run Nemo Server: the one-command local launcher, plus process files for other setups."""
