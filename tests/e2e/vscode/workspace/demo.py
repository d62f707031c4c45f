"""derivlens demo: hover a def, click "Plot derivative", or run the command."""

import torch


def wave(x):
    return torch.sin(2 * x) * torch.exp(-0.1 * x**2)


# derivlens: domain=-4..4
def damped(x, a=1.5):
    return torch.sin(a * x) * torch.exp(-(x**2) / 8)


# derivlens: domain=-3..3 order=2
def cubic(x, a=1.0):
    return a * x**3 - 3 * x


def bowl(x, y):
    return x**2 + 0.5 * y**2


# derivlens: domain=-1.5..1.5 ydomain=-0.5..2
def rosenbrock(v):
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2


def spin(x):
    while True:
        pass
