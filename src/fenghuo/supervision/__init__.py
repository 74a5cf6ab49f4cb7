"""Supervision (issue 16 item 3): directives to take measures within a time limit (Law art. 55),
interviews (约谈, Law art. 56) and the unit's rectification (整改), verified by the issuer."""
