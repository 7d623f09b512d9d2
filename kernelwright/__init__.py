"""kernelwright: an agent that writes Triton kernels with language models, and checks them."""

__version__ = "0.1.0"
