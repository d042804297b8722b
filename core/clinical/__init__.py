"""Clinical documents: readers (HPRIM, HL7 v2, CDA, XDM, PDF), identities, matching, kinds."""

# The version of the rules that say a result is abnormal or critical, stored with each analysis of the document
# queue (``rules``; none stored: 1). Raise it whenever they change: analyses made under an older one are counted
# again from their stored copies after the next sync (``Mailroom._refresh_analyses``), so a list's '!' follows
# today's rules, not those of the day the letter arrived. Here, not in the queue's module: a sync reads it.
# 1: every antibiogram line abnormal, flags only from the sender. 2 (2026-12-07): S/VS/MS not abnormal, flags
# computed from the bounds when the sender gives none, each repetition of a value checked.
ANALYSIS_RULES = 2
