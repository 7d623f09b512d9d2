"""Sandboxed, warm, crash-proof evaluation of untrusted candidate kernels."""
