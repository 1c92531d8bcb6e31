"""Exercise 03: building an nn.Module and inspecting its parameters.

Replace each `raise NotImplementedError(...)` with your code. See README.md.
"""

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
        raise NotImplementedError("TODO: super().__init__(), then self.fc1, self.bn, self.dropout, self.fc2")

    def forward(self, x: Tensor) -> Tensor:
        """(B, input_dim) -> (B, output_dim): fc2(dropout(relu(bn(fc1(x)))))."""
        raise NotImplementedError("TODO: fc1 -> bn -> relu -> dropout -> fc2")


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """The number of scalar parameters in `model` (as model.parameters() yields them).

    With trainable_only, count only parameters with requires_grad. Buffers (such as
    BatchNorm's running statistics) are not parameters. Hint: p.numel().
    """
    raise NotImplementedError("TODO: sum p.numel() over the (trainable) parameters")


def parameter_shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """{name: shape} for every parameter, in model.named_parameters() order."""
    raise NotImplementedError("TODO: map each parameter name to its shape")
