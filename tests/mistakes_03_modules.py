"""03_modules: realistic mistakes, each failing the check that concerns it with a message naming the concept."""

from __future__ import annotations

HIDDEN = "        x = F.relu(self.bn(self.fc1(x)))\n"
OUTPUT = "        return self.fc2(self.dropout(x))\n"
COUNT = "    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)\n"
SHAPES = "    return {name: tuple(p.shape) for name, p in model.named_parameters()}\n"

# (what the learner did, text in the reference, what they wrote instead, the check that must fail, words its message must hold)
MISTAKES = [
    ("submodule named linear1", "self.fc1", "self.linear1", "submodules", "no submodule named `fc1`"),
    (
        "LayerNorm instead of BatchNorm1d",
        "nn.BatchNorm1d(hidden_dim)",
        "nn.LayerNorm(hidden_dim)",
        "submodules",
        "expected an nn.BatchNorm1d",
    ),
    (
        "fc1 sized input_dim -> output_dim",
        "nn.Linear(input_dim, hidden_dim)",
        "nn.Linear(input_dim, output_dim)",
        "submodules",
        "fc1 maps input_dim to hidden_dim",
    ),
    (
        "dropout applied functionally, no self.dropout",
        "        self.dropout = nn.Dropout(p=dropout)\n",
        "        self.p = dropout\n",
        "dropout_probability",
        "self.dropout = nn.Dropout(p=dropout)",
    ),
    (
        "hard-coded p=0.3",
        "nn.Dropout(p=dropout)",
        "nn.Dropout(p=0.3)",
        "dropout_probability",
        "Use the dropout argument",
    ),
    (
        "fc1 without a bias",
        "nn.Linear(input_dim, hidden_dim)",
        "nn.Linear(input_dim, hidden_dim, bias=False)",
        "state_dict_names",
        "missing `fc1.bias`",
    ),
    (
        "batch norm without running statistics",
        "nn.BatchNorm1d(hidden_dim)",
        "nn.BatchNorm1d(hidden_dim, track_running_stats=False)",
        "state_dict_names",
        "keep track_running_stats=True",
    ),
    (
        "relu before batch norm",
        HIDDEN,
        "        x = self.bn(F.relu(self.fc1(x)))\n",
        "eval_output",
        "fc2(dropout(relu(bn(fc1(x)))))",
    ),
    (
        "F.dropout without training=",
        OUTPUT,
        "        return self.fc2(F.dropout(x, self.dropout.p))\n",
        "eval_no_dropout",
        "training=self.training",
    ),
    (
        "F.dropout without training= (output)",
        OUTPUT,
        "        return self.fc2(F.dropout(x, self.dropout.p))\n",
        "eval_output",
        "dropout is still active",
    ),
    ("dropout never applied", OUTPUT, "        return self.fc2(x)\n", "train_output", "dropout was not applied"),
    (
        "F.dropout with a hard-coded p",
        OUTPUT,
        "        return self.fc2(F.dropout(x, 0.3, training=self.training))\n",
        "train_output",
        "as if dropout had p=0.3",
    ),
    (
        "dropout before batch norm",
        HIDDEN + "        # nn.Dropout zeroes activations only in training mode; model.eval() turns it off.\n" + OUTPUT,
        "        x = F.relu(self.bn(self.dropout(self.fc1(x))))\n        return self.fc2(x)\n",
        "train_output",
        "dropout right before fc2",
    ),
    (
        "hidden activations detached",
        HIDDEN,
        "        x = F.relu(self.bn(self.fc1(x))).detach()\n",
        "gradients",
        "received no gradient",
    ),
    (
        "functional batch norm always in training mode",
        "self.bn(self.fc1(x))",
        "F.batch_norm(self.fc1(x), self.bn.running_mean, self.bn.running_var, self.bn.weight, self.bn.bias, training=True)",
        "batchnorm_statistics",
        "changed during forward passes in evaluation mode",
    ),
    (
        "batch norm with eps=1e-3",
        "nn.BatchNorm1d(hidden_dim)",
        "nn.BatchNorm1d(hidden_dim, eps=1e-3)",
        "eval_output",
        "`bn` was built with eps=0.001",
    ),
    (
        "batch norm with eps=1e-3 (training)",
        "nn.BatchNorm1d(hidden_dim)",
        "nn.BatchNorm1d(hidden_dim, eps=1e-3)",
        "train_output",
        "keep batch norm's defaults",
    ),
    (
        "batch norm with momentum=0.01",
        "nn.BatchNorm1d(hidden_dim)",
        "nn.BatchNorm1d(hidden_dim, momentum=0.01)",
        "batchnorm_statistics",
        "momentum=0.01",
    ),
    (
        "bn.eval() inside forward",
        "        x = F.relu(self.bn(self.fc1(x)))\n",
        "        self.bn.eval()\n        x = F.relu(self.bn(self.fc1(x)))\n",
        "train_output",
        "`bn` ran in evaluation mode",
    ),
    (
        "counts buffers (state_dict)",
        COUNT,
        "    return sum(t.numel() for t in model.state_dict().values())\n",
        "count_parameters",
        "are buffers, not parameters",
    ),
    (
        "count as a numpy integer",
        COUNT,
        "    import numpy as np\n\n    return np.sum([p.numel() for p in model.parameters() if p.requires_grad or not trainable_only])\n",
        "count_parameters",
        "Return a Python int",
    ),
    (
        "ignores trainable_only",
        COUNT,
        "    return sum(p.numel() for p in model.parameters())\n",
        "count_trainable_only",
        "skip parameters whose requires_grad is False",
    ),
    (
        "trainable_only=False still skips frozen ones",
        COUNT,
        "    return sum(p.numel() for p in model.parameters() if p.requires_grad)\n",
        "count_trainable_only",
        "count every parameter, frozen or not",
    ),
    (
        "shared parameter counted per module",
        COUNT,
        "    return sum(p.numel() for mod in model.modules() for p in mod.parameters(recurse=False) if p.requires_grad or not trainable_only)\n",
        "count_shared_once",
        "counted twice",
    ),
    (
        "shapes from state_dict (buffers included)",
        SHAPES,
        "    return {name: tuple(t.shape) for name, t in model.state_dict().items()}\n",
        "parameter_shapes",
        "Buffers such as batch norm's running_mean are not parameters",
    ),
    (
        "shapes as lists",
        SHAPES,
        "    return {name: list(p.shape) for name, p in model.named_parameters()}\n",
        "parameter_shapes",
        "expected the tuple ()",
    ),
    (
        "keys sorted",
        SHAPES,
        "    return dict(sorted((name, tuple(p.shape)) for name, p in model.named_parameters()))\n",
        "parameter_shapes_order",
        "named_parameters() order",
    ),
]
