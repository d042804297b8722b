"""missive's engine: storage, crypto, transport, clinical documents. Never imports the UI."""

__version__ = "0.1.0"
