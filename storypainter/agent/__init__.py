"""The graph and nothing else: state, runtime context, wiring and routing."""
