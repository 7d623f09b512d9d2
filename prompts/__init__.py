"""Jinja2 templates and the model-facing abstraction: contract, Triton guide, patterns."""
