# A correct submission in another style: torch.relu, dropout stored as an attribute p and
# applied before the ReLU (relu(dropout(h)) == dropout(relu(h)) exactly: dropout only zeroes
# and scales by a positive factor), counting with a list and sum(), shapes via p.size().
import torch
from torch import nn


class MyModel(nn.Module):
    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int, dropout: float = 0.3):
        super().__init__()
        self.p = dropout
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.bn = nn.BatchNorm1d(hidden_dim)
        self.dropout = nn.Dropout(p=self.p, inplace=False)
        self.fc2 = nn.Linear(hidden_dim, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.fc1(x)
        out = self.bn(out)
        out = self.dropout(out)
        out = torch.relu(out)
        out = self.fc2(out)
        return out


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    if trainable_only:
        return sum([p.numel() for p in model.parameters() if p.requires_grad])
    return sum(map(torch.numel, model.parameters()))


def parameter_shapes(model: nn.Module) -> dict:
    return dict((name, tuple(param.size())) for name, param in model.named_parameters())
