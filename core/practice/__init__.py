"""The practice's stateful services around the pure clinical readers and matching: the patients registry,
the document queue and the filing into the practice software's import folder."""
