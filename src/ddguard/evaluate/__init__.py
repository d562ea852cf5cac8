"""Pure judgements: (pins, target, knowledge) -> structured results. No I/O, no words."""
