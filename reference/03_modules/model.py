"""Exercise 03: building an nn.Module and inspecting its parameters."""

import torch.nn.functional as F
from torch import Tensor, nn


class MyModel(nn.Module):
    """A two-layer MLP: fc1 -> BatchNorm -> ReLU -> dropout -> fc2.

    MyModel(input_dim, hidden_dim, output_dim, dropout=0.3) has submodules named exactly
    fc1 (nn.Linear input_dim -> hidden_dim), bn (nn.BatchNorm1d(hidden_dim)),
    dropout (nn.Dropout(p=dropout)) and fc2 (nn.Linear hidden_dim -> output_dim).
    """

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int, dropout: float = 0.3) -> None:
        """Create the four submodules as attributes; call super().__init__() first."""
        super().__init__()  # sets up the bookkeeping that registers submodules and parameters
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.bn = nn.BatchNorm1d(hidden_dim)
        self.dropout = nn.Dropout(p=dropout)
        self.fc2 = nn.Linear(hidden_dim, output_dim)

    def forward(self, x: Tensor) -> Tensor:
        """(B, input_dim) -> (B, output_dim): fc2(dropout(relu(bn(fc1(x)))))."""
        x = F.relu(self.bn(self.fc1(x)))
        # nn.Dropout zeroes activations only in training mode; model.eval() turns it off.
        return self.fc2(self.dropout(x))


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """The number of scalar parameters in `model` (as model.parameters() yields them).

    With trainable_only, count only parameters with requires_grad. Buffers (such as
    BatchNorm's running statistics) are not parameters. Hint: p.numel().
    """
    # model.parameters() yields a parameter shared by two layers only once.
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def parameter_shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """{name: shape} for every parameter, in model.named_parameters() order."""
    # Dicts keep insertion order, so the keys come out in named_parameters() order.
    return {name: tuple(p.shape) for name, p in model.named_parameters()}
