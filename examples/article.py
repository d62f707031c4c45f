"""The three examples of the article derivlens grew from, ready to plot.

"How can I plot the derivative of a function using PyTorch?" computes each of these by
hand (a backward pass, a central difference, torch.autograd.grad) and draws them with
pyplot. With derivlens, put the cursor in a function and run "Plot derivative", or:

    derivlens plot examples/article.py --function f --out f.png
"""

import torch


# Example 1: a cubic and its derivative.
# derivlens: domain=-2..2
def f(x):
    return x**3 - 2 * x**2 + x - 1


# Example 2: sin(2πx) and its derivative 2π·cos(2πx) — exact, no central difference.
# derivlens: domain=0..1
def g(x):
    return torch.sin(2 * torch.pi * x)


# Example 3: a function of two variables: contours, gradient field and both partials.
def h(x, y):
    return x**2 + y**2


# Example 3, as the article plots it: y held at 1, the partial derivative in x.
def h_at_y_1(x, y=1.0):
    return h(x, y)
