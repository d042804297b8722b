"""The demo: a profile full of fictitious patients, practitioners and mail that exercises every feature."""
