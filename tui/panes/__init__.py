"""The panes of the main screen (Réception, À classer, Rédaction, Annuaire) and the help and lock screens."""
