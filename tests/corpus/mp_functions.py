"""Our own mpmath re-implementations of the corpus functions, for reference values.

Written from each function's documented formula (its docstring or the formula it is
known by), never copied: `make_references.py` evaluates them at high precision and
differentiates them with `mpmath.diff`. Where a package computes with a float constant
(`np.pi`, `1 / 2.75`, `2.592388901516299780093093`), the same float is used here, so
that a breakpoint sits where the package's own code puts it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mpmath
from mpmath import mpf

from tests.corpus import entries as E

Reference = Callable[..., Any]
REFERENCES: dict[str, Reference] = {}
F = mpf  # a float constant of the package, taken exactly
FPI = F(math.pi)


def ref(*ids: str) -> Callable[[Reference], Reference]:
    def register(function: Reference) -> Reference:
        for name in ids:
            REFERENCES[name] = function
        return function

    return register


def sigmoid(x: Any) -> Any:
    return 1 / (1 + mpmath.exp(-x))


def softplus(x: Any) -> Any:
    return mpmath.log(1 + mpmath.exp(x))


def expo_in_out(x: Any) -> Any:
    """Half of 2^(20x − 10) rising to the midpoint, the mirror image after; 0 and 1 at the
    ends exactly (the easings.net formula that most easing packages follow)."""
    if x == 0 or x == 1:
        return F(x)
    if x < 0.5:
        return mpmath.power(2, 20 * x - 10) / 2
    return (2 - mpmath.power(2, -20 * x + 10)) / 2


def bounce_out(x: Any, last: float) -> Any:
    """Robert Penner's bounce: parabolas 7.5625·(x − c)² + h, with `last` the centre of the
    final one (2.625/2.75 in Penner's; pytweening writes 2.65/2.75)."""
    k = F(7.5625)
    if x < F(1 / 2.75):
        return k * x * x
    if x < F(2 / 2.75):
        return k * (x - F(1.5 / 2.75)) ** 2 + F(0.75)
    if x < F(2.5 / 2.75):
        return k * (x - F(2.25 / 2.75)) ** 2 + F(0.9375)
    return k * (x - F(last)) ** 2 + F(0.984375)


def elastic_out(x: Any, period: float = 0.3) -> Any:
    """2^(−10x)·sin((x − s)·2π/p) + 1 with s = p/4 (amplitude 1)."""
    s = F(period) / 4
    return mpmath.power(2, -10 * x) * mpmath.sin((x - s) * 2 * mpmath.pi / F(period)) + 1


def back(x: Any, s: float) -> Any:
    return x * x * ((F(s) + 1) * x - F(s))


def in_out(x: Any, first: Reference, second: Reference) -> Any:
    """The usual in-out easing: `first` on [0, 1/2), `second` after, both given 2x."""
    return first(2 * x) if x < 0.5 else second(2 * x)


def polynomial(degree: int) -> dict[str, Reference]:
    """The polynomial easings of `degree` k: in xᵏ, out 1 − (1 − x)ᵏ, and in-out."""
    return {
        "In": lambda x: x**degree,
        "Out": lambda x: 1 - (1 - x) ** degree,
        "InOut": lambda x: in_out(x, lambda n: n**degree / 2, lambda n: 1 - (2 - n) ** degree / 2),
    }


# --- pytweening -------------------------------------------------------------------------
P = "pytweening:"
REFERENCES.update({
    P + "linear": lambda x: x,
    **{
        P + f"ease{way}{name}": easing
        for name, degree in (("Quad", 2), ("Cubic", 3), ("Quart", 4), ("Quint", 5))
        for way, easing in polynomial(degree).items()
    },
    P + "easeInPoly,degree=3": polynomial(3)["In"],
    P + "easeOutPoly": polynomial(2)["Out"],
    P + "easeInOutPoly": polynomial(2)["InOut"],
    P + "easeInSine": lambda x: 1 - mpmath.cos(x * FPI / 2),
    P + "easeOutSine": lambda x: mpmath.sin(x * FPI / 2),
    P + "easeInOutSine": lambda x: (1 - mpmath.cos(FPI * x)) / 2,
    P + "easeInExpo": lambda x: F(0) if x == 0 else mpmath.power(2, 10 * (x - 1)),
    P + "easeOutExpo": lambda x: F(1) if x == 1 else 1 - mpmath.power(2, -10 * x),
    P + "easeInOutExpo": expo_in_out,
    P + "easeInCirc": lambda x: 1 - mpmath.sqrt(1 - x * x),
    P + "easeOutCirc": lambda x: mpmath.sqrt(1 - (x - 1) ** 2),
    P + "easeInElastic": lambda x: 1 - elastic_out(1 - x),
    P + "easeOutElastic": elastic_out,
    P + "easeInBack": lambda x: back(x, 1.70158),
    P + "easeOutBack": lambda x: (x - 1) ** 2 * ((F(1.70158) + 1) * (x - 1) + F(1.70158)) + 1,
    P + "easeInOutBack": lambda x: in_out(
        x, lambda n: back(n, 1.70158 * 1.525) / 2,
        lambda n: (back(2 - n, 1.70158 * 1.525) * -1 + 2) / 2),
    P + "easeOutBounce": lambda x: bounce_out(x, 2.65 / 2.75),
    P + "easeInBounce": lambda x: 1 - bounce_out(1 - x, 2.65 / 2.75),
    P + "easeInOutBounce": lambda x: in_out(
        x, lambda n: (1 - bounce_out(1 - n, 2.65 / 2.75)) / 2,
        lambda n: bounce_out(n - 1, 2.65 / 2.75) / 2 + F(0.5)),
})  # fmt: skip

# --- easings (elas_const_1 = 2π/3) and tweener (Penner's constants) ----------------------
C_BACK2 = 2.592388901516299780093093
REFERENCES.update({
    "easings:sine_in": lambda x: 1 - mpmath.cos(x * FPI / 2),
    "easings:sine_in_out": lambda x: (1 - mpmath.cos(FPI * x)) / 2,
    "easings:poly_in_out": lambda x: in_out(x, lambda n: n**2 / 2, lambda n: 1 - (2 - n) ** 2 / 2),
    "easings:expo_in_out": expo_in_out,
    "easings:circ_out": lambda x: mpmath.sqrt(1 - (x - 1) ** 2),
    "easings:back_in_out": lambda x: in_out(
        x, lambda n: ((F(C_BACK2) + 1) * n**3 - F(C_BACK2) * n * n) / 2,
        lambda n: (1 + (F(C_BACK2) + 1) * (n - 2) ** 3 + F(C_BACK2) * (n - 2) ** 2) / 2 + F(0.5)),
    "easings:elas_out": lambda x: F(x) if x in (0, 1) else
        mpmath.power(2, -10 * x) * mpmath.sin((10 * x - F(0.75)) * (2 * FPI / 3)) + 1,
    "tweener:Ease.in_sine": lambda x: F(x) if x == 1 else 1 - mpmath.cos(x * FPI / 2),
    "tweener:Ease.in_out_quad": lambda x: in_out(x, lambda n: n**2 / 2,
                                                 lambda n: 1 - (2 - n) ** 2 / 2),
    "tweener:Ease.out_bounce": lambda x: bounce_out(x, 2.625 / 2.75),
    "tweener:Ease.in_out_expo": expo_in_out,
    "tweener:Ease.in_back": lambda x: F(x) if x == 1 else back(x, 1.70158),
    "tweener:Ease.out_elastic": lambda x: F(x) if x in (0, 1) else
        mpmath.power(2, -10 * x) * mpmath.sin((10 * x - F(0.75)) * (F(math.tau) / 3)) + 1,
    "tweener:Ease.in_out_bounce": lambda x: (1 - bounce_out(1 - 2 * x, 2.625 / 2.75)) / 2
        if x < 0.5 else (1 + bounce_out(2 * x - 1, 2.625 / 2.75)) / 2,
    "tweener:Ease.in_circ": lambda x: 1 - mpmath.sqrt(1 - x * x),
})  # fmt: skip


# --- lmfit's lineshapes (amplitude 1, centre 0, sigma 1 unless held otherwise) -----------
def gaussian(x: Any, sigma: Any = 1) -> Any:
    return mpmath.exp(-(x**2) / (2 * sigma**2)) / (mpmath.sqrt(2 * mpmath.pi) * sigma)


def lorentzian(x: Any) -> Any:
    return 1 / (mpmath.pi * (1 + x**2))


L = "lmfit:"
REFERENCES.update({
    L + "gaussian": gaussian,
    L + "lorentzian": lorentzian,
    L + "pvoigt": lambda x: gaussian(x, 1 / mpmath.sqrt(2 * mpmath.log(2))) / 2 + lorentzian(x) / 2,
    L + "moffat": lambda x: 1 / (x**2 + 1),
    L + "logistic": lambda x: 1 - 1 / (1 + mpmath.exp(x)),
    L + "lognormal": lambda x: gaussian(mpmath.log(x)) / x,
    L + "step": lambda x: min(F(1), max(F(0), x + F(0.5))),
    L + "rectangle": lambda x: (min(F(1), max(F(-1), x)) + min(F(1), max(F(-1), 1 - x))) / 2,
    L + "exponential": lambda x: mpmath.exp(-x),
    L + "powerlaw,exponent=2.5": lambda x: x ** F(2.5),
    L + "sine": mpmath.sin,
    L + "breit_wigner": lambda x: (F(0.5) + x) ** 2 / (F(0.25) + x**2),
    L + "split_lorentzian,sigma_r=2": lambda x: 2 / (3 * mpmath.pi)
        * (1 / (1 + x**2) if x < 0 else 4 / (4 + x**2)),
    L + "students_t": lorentzian,  # Student's t with one degree of freedom is Cauchy's
    L + "damped_oscillator": lambda x: 1 / mpmath.sqrt((1 - x**2) ** 2 + (F(0.2) * x) ** 2),
    L + "skewed_gaussian,gamma=2": lambda x: (1 + mpmath.erf(2 * x / mpmath.sqrt(2))) * gaussian(x),
    L + "expgaussian": lambda x: mpmath.exp(F(0.5) - x) * mpmath.erfc((1 - x) / mpmath.sqrt(2)) / 2,
    L + "doniach": lambda x: mpmath.cos(mpmath.atan(x)) / mpmath.sqrt(1 + x**2),
    L + "linear,intercept=0.5,slope=-2": lambda x: -2 * x + F(0.5),
    "scipy:_norm_pdf": gaussian,
    "scipy:_norm_logpdf": lambda x: -(x**2) / 2 - mpmath.log(mpmath.sqrt(2 * mpmath.pi)),
    "scipy:_norm_cdf": mpmath.ncdf,
    "scipy:_norm_sf": lambda x: mpmath.ncdf(-x),
})  # fmt: skip


# --- control, kernels, colormaps, numpy ---------------------------------------------------
def angle_wrap(x: Any) -> Any:
    """x wrapped into [−π, π) (with the float π the package uses)."""
    shifted = x + FPI
    return shifted - 2 * FPI * mpmath.floor(shifted / (2 * FPI)) - FPI


def cardinal_spline(x: Any) -> Any:
    """Keys' cubic convolution kernel with a = 1/2 (Catmull-Rom)."""
    r = abs(x)
    if r < 1:
        return (9 * r**3 - 15 * r**2 + 6) / 6
    if r < 2:
        return (-3 * r**3 + 15 * r**2 - 24 * r + 12) / 6
    return F(0)


REFERENCES.update({
    "gymnasium:angle_normalize": angle_wrap,
    "gymnasium:verify_number_and_cast": lambda x: x,
    "colour:kernel_nearest_neighbour": lambda x: F(1) if abs(x) < 0.5 else F(0),
    "colour:kernel_linear": lambda x: 1 - abs(x) if abs(x) < 1 else F(0),
    "colour:kernel_sinc": lambda x: mpmath.sincpi(x) if abs(x) < 3 else F(0),
    "colour:kernel_lanczos": lambda x: mpmath.sincpi(x) * mpmath.sincpi(x / 3)
        if abs(x) < 3 else F(0),
    "colour:kernel_cardinal_spline": cardinal_spline,
    "matplotlib:_flag_red": lambda x: F(0.75) * mpmath.sin((x * F(31.5) + F(0.25)) * FPI) + F(0.5),
    "matplotlib:_prism_blue": lambda x: -F(1.1) * mpmath.sin(x * F(20.9) * FPI),
    "matplotlib:_g0": lambda x: F(0),
    "matplotlib:_g7": mpmath.sqrt,
    "matplotlib:_g11": lambda x: abs(x - F(0.5)),
    "matplotlib:_g12": lambda x: (2 * x - 1) ** 2,
    "matplotlib:_g14": lambda x: abs(mpmath.cos(x * FPI)),
    "matplotlib:_g19": lambda x: abs(mpmath.sin(x * 4 * FPI)),
    "matplotlib:_g21": lambda x: 3 * x,
    "numpy:sinc": mpmath.sincpi,
    "numpy:i0": lambda x: mpmath.besseli(0, x),
    "numpy:sqrt": mpmath.sqrt,
    "numpy:log": mpmath.log,
})  # fmt: skip

# --- torch: activations and losses (float64 in, as derivlens evaluates) -------------------
SELU_SCALE = F(1.0507009873554804934193349852946)
SELU_ALPHA = F(1.6732632423543772848170429916717)


def elu(x: Any, alpha: Any = 1) -> Any:
    return x if x > 0 else alpha * (mpmath.exp(x) - 1)


def hardswish(x: Any) -> Any:
    return x * min(max(x + 3, F(0)), F(6)) / 6


def huber(x: Any, y: Any) -> Any:
    d = abs(x - y)
    return d**2 / 2 if d < 1 else d - F(0.5)


def focal(x: Any, y: Any, gamma: Any = 2) -> Any:
    """Lin et al.'s focal loss on logits: (1 − p_t)^γ · BCE, α = 1."""
    bce = softplus(x) - y * x
    return (1 - mpmath.exp(-bce)) ** gamma * bce


def tversky(x: Any, y: Any) -> Any:
    """1 − Tversky index of σ(x) against y, α = β = 1/2, smoothing 1e-6."""
    p, smooth = sigmoid(x), F(1e-6)
    tp, fp, fn = p * y, (1 - y) * p, y * (1 - p)
    return 1 - (tp + smooth) / (tp + fp / 2 + fn / 2 + smooth)


def soft_f1(p: Any, y: Any) -> Any:
    """1 − soft F1 (β = 1, eps 1e-6) of probability p against target y."""
    eps = F(1e-6)
    tp, fp, fn = y * p, (1 - y) * p, y * (1 - p)
    precision, recall = tp / (tp + fp + eps), tp / (tp + fn + eps)
    return 1 - 2 * precision * recall / (precision + recall + eps)


T = "torch:"
REFERENCES.update({
    T + "gelu": lambda x: x * (1 + mpmath.erf(x / mpmath.sqrt(2))) / 2,
    T + "silu": lambda x: x * sigmoid(x),
    T + "mish": lambda x: x * mpmath.tanh(softplus(x)),
    T + "hardswish": hardswish,
    T + "relu6": lambda x: min(max(x, F(0)), F(6)),
    T + "elu": elu,
    T + "selu": lambda x: SELU_SCALE * elu(x, SELU_ALPHA),
    T + "celu": elu,
    T + "leaky_relu": lambda x: x if x > 0 else F(0.01) * x,
    T + "hardtanh": lambda x: min(max(x, F(-1)), F(1)),
    T + "softsign": lambda x: x / (1 + abs(x)),
    T + "tanhshrink": lambda x: x - mpmath.tanh(x),
    T + "hardsigmoid": lambda x: min(max(x / 6 + F(0.5), F(0)), F(1)),
    T + "softplus": softplus,
    T + "logsigmoid": lambda x: -softplus(-x),
    T + "SiLU.forward": lambda x: x * sigmoid(x),
    T + "Mish.forward": lambda x: x * mpmath.tanh(softplus(x)),
    T + "Hardswish.forward": hardswish,
    T + "ELU.forward,ELU(alpha)=0.5": lambda x: elu(x, F(0.5)),
    T + "CELU.forward": elu,
    T + "Softplus.forward,Softplus(beta)=2": lambda x: softplus(2 * x) / 2,
    T + "LeakyReLU.forward": lambda x: x if x > 0 else F(0.01) * x,
    T + "Hardtanh.forward": lambda x: min(max(x, F(-1)), F(1)),
    T + "Softshrink.forward": lambda x: x - F(0.5) if x > 0.5
        else (x + F(0.5) if x < -0.5 else F(0)),
    T + "Hardshrink.forward": lambda x: x if abs(x) > 0.5 else F(0),
    T + "Tanhshrink.forward": lambda x: x - mpmath.tanh(x),
    T + "LogSigmoid.forward": lambda x: -softplus(-x),
    T + "MSELoss.forward": lambda x, y: (x - y) ** 2,
    T + "HuberLoss.forward": huber,
    T + "SmoothL1Loss.forward": huber,
    T + "SoftMarginLoss.forward": lambda x, y: softplus(-y * x),
    T + "BCEWithLogitsLoss.forward": lambda x, y: softplus(x) - y * x,
    T + "PoissonNLLLoss.forward": lambda x, y: mpmath.exp(x) - y * x,
    "pytorch_optimizer:log_t": lambda u, t: (u ** (1 - t) - 1) / (1 - t),
    "pytorch_optimizer:exp_t": lambda u, t: max(1 + (1 - t) * u, F(0)) ** (1 / (1 - t)),
    "pytorch_optimizer:soft_dice_score": lambda o, t: 2 * o * t / (o + t),
    "pytorch_optimizer:FocalLoss.forward": focal,
    "pytorch_optimizer:TverskyLoss.forward": tversky,
    "pytorch_optimizer:BCELoss.forward": lambda p, y: -y * mpmath.log(p)
        - (1 - y) * mpmath.log(1 - p),
    "pytorch_optimizer:SoftF1Loss.forward": soft_f1,
})  # fmt: skip


# --- optimisation test functions (one dimension), pyro, torchdiffeq, fontTools -----------
def rastrigin(y: Any) -> Any:
    return y**2 - 10 * mpmath.cos(2 * FPI * y) + 10


def cec_rounded(x: Any) -> Any:
    """CEC's "non-continuous" rounding: x where |x| < 1/2, else 2x rounded half up (for
    x > 0) or truncated towards zero (x < 0), halved."""
    if abs(x) < 0.5:
        return x
    twice = 2 * x
    whole = mpmath.floor(twice) if twice > 0 else mpmath.ceil(twice)
    if twice > 0 and twice - whole >= 0.5:
        whole += 1
    return whole / 2


def levy(x: Any) -> Any:
    w = 1 + (x - 1) / 4
    return mpmath.sin(FPI * w) ** 2 + (w - 1) ** 2 * (1 + mpmath.sin(2 * FPI * w) ** 2)


OPF = "opfunu:"
REFERENCES.update({
    OPF + "sphere_func": lambda x: x**2,
    OPF + "rastrigin_func": rastrigin,
    OPF + "griewank_func": lambda x: x**2 / 4000 - mpmath.cos(x) + 1,
    OPF + "ackley_func": lambda x: -20 * mpmath.exp(-F(0.2) * abs(x))
        - mpmath.exp(mpmath.cos(2 * FPI * x)) + 20 + mpmath.e,
    OPF + "scaffer_func": lambda x: F(0.5)
        + (mpmath.sin(abs(x)) ** 2 - F(0.5)) / (1 + F(0.001) * x**2) ** 2,
    OPF + "zakharov_func": lambda x: x**2 + (x / 2) ** 2 + (x / 2) ** 4,
    OPF + "levy_func": levy,
    OPF + "twist_func": lambda x: 4 * (x**4 - 2 * x**3 + x**2),
    OPF + "non_continuous_rastrigin_func": lambda x: 2 * rastrigin(cec_rounded(x)),
    "pyro:_SafeLog.forward": mpmath.log,
    "pyro:safe_log": mpmath.log,
    "pyro:log_beta": lambda x, y: mpmath.loggamma(x) + mpmath.loggamma(y) - mpmath.loggamma(x + y),
    "torchdiffeq:_rms_norm": abs,
    "torchdiffeq:_linf_norm": abs,
    "fontTools:otRound": lambda x: mpmath.floor(x + F(0.5)),
    "fontTools:noRound": lambda x: x,
    "pyro:torch_float": lambda x: x,  # exact: the float32 rounding is the code's precision
    "torch:_fp32_to_fp16_with_clamp": lambda x: x,
})  # fmt: skip

missing = {e.id for e in E.ENTRIES} - REFERENCES.keys()
assert not missing, f"no reference for {sorted(missing)}"
