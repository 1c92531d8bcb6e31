# A correct submission in another style: submodules registered in another order, an extra
# parameter-free nn.ReLU submodule, dropout applied with F.dropout(x, p, training=self.training),
# an explicit counting loop, and an OrderedDict of torch.Size shapes.
from collections import OrderedDict

import torch.nn.functional as F
from torch import nn


class MyModel(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim, dropout=0.3):
        super().__init__()
        self.fc2 = nn.Linear(hidden_dim, output_dim)
        self.dropout = nn.Dropout(dropout)
        self.act = nn.ReLU()
        self.bn = nn.BatchNorm1d(num_features=hidden_dim)
        self.fc1 = nn.Linear(in_features=input_dim, out_features=hidden_dim)

    def forward(self, x):
        h = self.act(self.bn(self.fc1(x)))
        h = F.dropout(h, self.dropout.p, training=self.training)
        return self.fc2(h)


def count_parameters(model, trainable_only=True):
    total = 0
    for p in model.parameters():
        if trainable_only and not p.requires_grad:
            continue
        total += p.numel()
    return total


def parameter_shapes(model):
    shapes = OrderedDict()
    for name, p in model.named_parameters():
        shapes[name] = p.shape
    return shapes
