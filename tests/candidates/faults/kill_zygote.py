# Kills the process that forked it (the zygote, which never runs candidate code) and then
# itself. Reached through getattr so the static guards do not stop it first: the pool must
# report a crash and start a new zygote.
import os

import torch.nn as nn

kill = getattr(os, "ki" + "ll")


class ModelNew(nn.Module):
    def forward(self, x):
        kill(os.getppid(), 9)
        kill(os.getpid(), 9)
        return x
