# A correct submission in another style: Python lists, torch.full + diagonal, a generator
# passed to normal_, reshape, indexing with None, movedim, select/narrow.
import torch


def evens(n):
    return torch.tensor(list(range(0, n, 2)), dtype=torch.long)


def identity_plus(n, value):
    out = torch.full((n, n), float(value))
    out.diagonal().add_(1.0)
    return out


def seeded_noise(shape, seed):
    g = torch.Generator()
    g.manual_seed(seed)
    return torch.empty(shape).normal_(generator=g)


def flatten_features(x):
    return x.reshape(x.shape[0], -1)


def add_batch_dim(x):
    return x[None]


def drop_singleton_dims(x):
    return x.reshape([size for size in x.shape if size != 1])


def channels_first(x):
    return x.movedim(3, 1)


def swap_batch_and_time(x):
    return x.movedim(0, 1)


def first_sample(x):
    return x.select(0, 0)


def drop_first_step(x):
    return x.narrow(1, 1, x.shape[1] - 1)


def to_device(x, device):
    return x.to(device=torch.device(device))
