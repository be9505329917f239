"""Pure, deterministic scoring shared by the critic node and the offline evaluators."""
