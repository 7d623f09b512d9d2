"""The agent: model clients, the refinement loop and the search strategies."""
