"""mallgen: case data (YAML) to the documents of the contract follow-up handbook."""

__version__ = "0.1.0"
