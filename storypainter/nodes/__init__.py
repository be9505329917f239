"""One file per node. A node is a plain function ``(state, runtime) -> update``;
nodes never import each other and meet only through the graph state."""
