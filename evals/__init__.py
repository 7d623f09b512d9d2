"""The eval suite: runner, metrics and reports."""
