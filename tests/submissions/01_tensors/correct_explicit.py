# A correct submission in another style: explicit shapes, ones * value + eye, the global
# CPU generator reseeded inside fork_rng, contiguous().view, axis-by-axis squeeze, chained
# transposes, unbind, Ellipsis slicing.
import math

import torch


def evens(n: int) -> torch.Tensor:
    return torch.arange(n, dtype=torch.int64)[::2]


def identity_plus(n: int, value: float) -> torch.Tensor:
    return torch.ones(n, n) * value + torch.eye(n)


def seeded_noise(shape, seed):
    with torch.random.fork_rng(devices=[]):  # restores the CPU generator's state on the way out
        torch.random.default_generator.manual_seed(seed)
        return torch.randn(shape)


def flatten_features(x):
    return x.contiguous().view(x.size(0), math.prod(x.shape[1:]))


def add_batch_dim(x):
    return x.reshape(1, *x.shape)


def drop_singleton_dims(x):
    for dim in reversed(range(x.dim())):
        if x.shape[dim] == 1:
            x = x.squeeze(dim)
    return x


def channels_first(x):
    return x.transpose(1, 3).transpose(2, 3)


def swap_batch_and_time(x):
    return x.permute(1, 0, *range(2, x.dim()))


def first_sample(x):
    return x.unbind(0)[0]


def drop_first_step(x):
    return x[:, 1:, ...]


def to_device(x, device):
    if x.device == torch.device(device):
        return x
    return x.to(device)
