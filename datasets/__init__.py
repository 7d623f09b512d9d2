"""The training corpus: schema, filters, dedup, splits, exports and problem generators."""
