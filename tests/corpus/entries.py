"""The corpus list: which installed function, over which domain, and what the contract
promises for it (docs/protocol.md, "Semantics"; tests/corpus/README.md).

Only names and numbers live here: the code plotted is the package's own installed file,
and the reference values come from our own mpmath re-implementations (`mp_functions`).

- `method`: what must serve the curve: autograd for tensor code and plain Python
  arithmetic (branches included), finite differences for `math`, numpy or scipy code.
- `jumps`, `kinks`, `higher`: the x in the domain where f, f′ or f″ jumps (f″ only when
  `order` is 2 or more); the value at such an x is the function's own, a jump at the
  domain's end (`easeInExpo(0) = 0`) is a jump like any other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

AUTOGRAD = "autograd"
FD = "finite-difference"
PI = math.pi


@dataclass(frozen=True)
class Entry:
    package: str  # the import name of the installed package
    file: str  # the file, relative to the package's folder
    function: str  # as `derivlens plot --function` takes it
    domain: tuple[float, float]
    kind: str  # activation, loss, easing, density, ... (what people plot it as)
    method: str = AUTOGRAD
    jumps: tuple[float, ...] = ()
    kinks: tuple[float, ...] = ()
    higher: tuple[float, ...] = ()
    order: int = 1
    samples: int = 101
    params: dict[str, float] = field(default_factory=dict)
    ydomain: tuple[float, float] | None = None  # two variables
    precision: float = 1e-9  # of the curve's scale: coarser for float32/float16 code
    quick: bool = False  # in the default (quick) selection

    @property
    def id(self) -> str:
        held = "".join(f",{k}={v:g}" for k, v in sorted(self.params.items()))
        return f"{self.package}:{self.function}{held}"

    @property
    def two_variables(self) -> bool:
        return self.ydomain is not None

    @property
    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"domain": self.domain, "samples": self.samples}
        if self.ydomain is not None:
            options["ydomain"] = self.ydomain
        else:
            options["order"] = self.order
        return options

    @property
    def discontinuities(self) -> list[tuple[float, int]]:
        """(x, order) of every jump the result must report, in x order."""
        found = [(x, 0) for x in self.jumps] + [(x, 1) for x in self.kinks]
        if self.order >= 2:
            found += [(x, 2) for x in self.higher]
        return sorted(found)


def _group(package: str, file: str, domain: tuple[float, float], kind: str,
           rows: list[tuple[str, dict[str, Any]]]) -> list[Entry]:  # fmt: skip
    return [Entry(package, file, name, **{"domain": domain, "kind": kind, **extra})
            for name, extra in rows]  # fmt: skip


UNIT = (0.0, 1.0)
Q = {"quick": True}

PYTWEENING = _group("pytweening", "__init__.py", UNIT, "easing", [
    ("linear", {}),
    ("easeInQuad", {}),
    ("easeOutQuad", {}),
    ("easeInOutQuad", {"order": 2, "higher": (0.5,), **Q}),
    ("easeInCubic", {}),
    ("easeOutCubic", Q),  # `n -= 1` on its argument
    ("easeInOutCubic", {"order": 2, "higher": (0.5,)}),
    ("easeInQuart", {}),
    ("easeOutQuart", {}),
    ("easeInOutQuart", {}),
    ("easeInQuint", {}),
    ("easeOutQuint", {}),
    ("easeInOutQuint", {}),
    ("easeInPoly", {"params": {"degree": 3}}),
    ("easeOutPoly", {}),
    ("easeInOutPoly", {}),
    ("easeInSine", {"method": FD}),
    ("easeOutSine", {"method": FD}),
    ("easeInOutSine", {"method": FD}),
    ("easeInExpo", {"jumps": (0.0,)}),
    ("easeOutExpo", {"jumps": (1.0,)}),
    ("easeInOutExpo", {"order": 2, "jumps": (0.0, 1.0), "higher": (0.5,), **Q}),
    ("easeInCirc", {"method": FD, "samples": 401, **Q}),  # f′ → ∞ at 1
    ("easeOutCirc", {"method": FD}),  # f′ → ∞ at 0
    ("easeInElastic", {"method": FD}),
    ("easeOutElastic", {"method": FD}),
    ("easeInBack", {}),
    ("easeOutBack", {}),
    ("easeInOutBack", {}),
    # the last branch's 2.65 (not 2.625) makes a jump of 0.006875 at 10/11
    ("easeOutBounce", {"kinks": (4 / 11, 8 / 11), "jumps": (10 / 11,), **Q}),
    ("easeInBounce", {"kinks": (3 / 11, 7 / 11), "jumps": (1 / 11,)}),
    ("easeInOutBounce", {"kinks": (3 / 22, 7 / 22, 15 / 22, 19 / 22), "jumps": (1 / 22, 21 / 22)}),
])  # fmt: skip

EASINGS = _group("easings", "easings.py", UNIT, "easing", [
    ("sine_in", {"method": FD}),
    ("sine_in_out", {"method": FD}),
    ("poly_in_out", {}),
    ("expo_in_out", {"jumps": (0.0, 1.0)}),
    ("circ_out", {}),  # f′ → ∞ at 0
    ("back_in_out", Q),
    ("elas_out", {"method": FD, "jumps": (1.0,)}),
])  # fmt: skip

TWEENER = _group("tweener", "ease.py", UNIT, "easing", [
    ("Ease.in_sine", {"method": FD}),
    ("Ease.in_out_quad", {"method": FD}),
    ("Ease.out_bounce", {"method": FD, "kinks": (4 / 11, 8 / 11, 10 / 11), **Q}),
    ("Ease.in_out_expo", {"method": FD, "jumps": (0.0, 1.0)}),
    ("Ease.in_back", {"method": FD}),
    ("Ease.out_elastic", {"method": FD, "jumps": (1.0,)}),
    ("Ease.in_out_bounce", {"method": FD,
                            "kinks": (1 / 22, 3 / 22, 7 / 22, 15 / 22, 19 / 22, 21 / 22)}),
    ("Ease.in_circ", {"method": FD}),
])  # fmt: skip

WIDE = (-5.0, 5.0)
LMFIT = _group("lmfit", "lineshapes.py", WIDE, "density", [
    ("gaussian", {"method": FD}),
    ("lorentzian", {}),
    ("pvoigt", {"method": FD}),
    ("moffat", {}),
    ("logistic", {"method": FD}),
    ("lognormal", {"method": FD, "domain": (0.05, 5.0)}),
    ("step", {"method": FD, "domain": (-2.0, 2.0), "kinks": (-0.5, 0.5)}),
    ("rectangle", {"method": FD, "domain": (-2.0, 3.0), "kinks": (-1.0, 0.0, 1.0, 2.0), **Q}),
    ("exponential", {"method": FD, "domain": (-2.0, 2.0)}),
    ("powerlaw", {"domain": (0.1, 3.0), "params": {"exponent": 2.5}}),
    ("sine", {"method": FD, "domain": (-3.0, 3.0)}),
    ("breit_wigner", {}),
    ("split_lorentzian", {"params": {"sigma_r": 2.0}}),
    ("students_t", Q),
    ("damped_oscillator", {"method": FD, "domain": (0.0, 3.0)}),
    ("skewed_gaussian", {"method": FD, "params": {"gamma": 2.0}}),
    ("expgaussian", {"method": FD}),
    ("doniach", {"method": FD}),
    ("linear", {"params": {"slope": -2.0, "intercept": 0.5}}),
])  # fmt: skip

SCIPY = _group("scipy", "stats/_continuous_distns.py", WIDE, "density", [
    ("_norm_pdf", {"method": FD, **Q}),
    ("_norm_logpdf", {}),
    ("_norm_cdf", {"method": FD}),
    ("_norm_sf", {"method": FD}),
])  # fmt: skip

GYMNASIUM = [
    Entry("gymnasium", "envs/classic_control/pendulum.py", "angle_normalize", (-10.0, 10.0),
          "control", jumps=(-3 * PI, -PI, PI, 3 * PI), quick=True),
    Entry("gymnasium", "envs/classic_control/utils.py", "verify_number_and_cast", (-2.0, 2.0),
          "control", method=FD),
]  # fmt: skip

COLOUR = _group("colour", "algebra/interpolation.py", (-4.0, 4.0), "interpolation kernel", [
    ("kernel_nearest_neighbour", {"method": FD, "domain": (-2.0, 2.0), "jumps": (-0.5, 0.5)}),
    ("kernel_linear", {"method": FD, "domain": (-2.0, 2.0), "kinks": (-1.0, 0.0, 1.0)}),
    ("kernel_sinc", {"method": FD, "kinks": (-3.0, 3.0), **Q}),
    ("kernel_lanczos", {"method": FD}),
    ("kernel_cardinal_spline", {"method": FD, "domain": (-3.0, 3.0)}),
])  # fmt: skip

MATPLOTLIB = _group("matplotlib", "_cm.py", UNIT, "colormap channel", [
    ("_flag_red", {"method": FD}),
    ("_prism_blue", {"method": FD}),
    ("_g0", {}),  # the constant 0
    ("_g7", {"method": FD}),  # sqrt: f′ → ∞ at 0
    ("_g11", {"method": FD, "kinks": (0.5,)}),
    ("_g12", {}),
    ("_g14", {"method": FD, "kinks": (0.5,)}),
    ("_g19", {"method": FD, "kinks": (0.25, 0.5, 0.75), **Q}),
    ("_g21", {}),
])  # fmt: skip

NUMPY = [
    Entry("numpy", "lib/_function_base_impl.py", "sinc", (-3.0, 3.0), "kernel", FD, quick=True),
    Entry("numpy", "lib/_function_base_impl.py", "i0", (-3.0, 3.0), "special", FD),
    Entry("numpy", "lib/_scimath_impl.py", "sqrt", (0.1, 4.0), "special", FD),
    # complex left of 0: a stencil that steps outside [0.001, 2] leaves the reals
    Entry("numpy", "lib/_scimath_impl.py", "log", (0.001, 2.0), "special", FD, quick=True),
]  # fmt: skip

TORCH_F = _group("torch", "nn/functional.py", WIDE, "activation", [
    ("gelu", {}),
    ("silu", {}),
    ("mish", {}),
    ("hardswish", {"kinks": (-3.0, 3.0), **Q}),
    ("relu6", {"domain": (-2.0, 8.0), "kinks": (0.0, 6.0)}),
    ("elu", {}),
    ("selu", {"kinks": (0.0,)}),
    ("celu", {}),
    ("leaky_relu", {"kinks": (0.0,)}),
    ("hardtanh", {"kinks": (-1.0, 1.0)}),
    ("softsign", {}),
    ("tanhshrink", {}),
    # its backward computes 1/6 in float32: autograd's f′ is reported (what torch
    # computes), exact to float32 (docs/protocol.md, "Semantics")
    ("hardsigmoid", {"kinks": (-3.0, 3.0), "precision": 2e-7}),
    ("softplus", {}),
    ("logsigmoid", {}),
])  # fmt: skip

TORCH_MODULES = _group("torch", "nn/modules/activation.py", WIDE, "activation", [
    ("SiLU.forward", {}),
    ("Mish.forward", {}),
    ("Hardswish.forward", {"kinks": (-3.0, 3.0)}),
    ("ELU.forward", {"params": {"ELU(alpha)": 0.5}, "kinks": (0.0,)}),
    ("CELU.forward", {}),
    ("Softplus.forward", {"params": {"Softplus(beta)": 2.0}, **Q}),
    ("LeakyReLU.forward", {"kinks": (0.0,)}),
    ("Hardtanh.forward", {"kinks": (-1.0, 1.0)}),
    ("Softshrink.forward", {"kinks": (-0.5, 0.5)}),
    ("Hardshrink.forward", {"jumps": (-0.5, 0.5)}),
    ("Tanhshrink.forward", {}),
    ("LogSigmoid.forward", {}),
])  # fmt: skip

PAIR = {"ydomain": (-2.0, 2.0), "samples": 21}
PROBABILITY = {"ydomain": (0.05, 0.95), "samples": 21}
TORCH_LOSSES = _group("torch", "nn/modules/loss.py", (-2.0, 2.0), "loss", [
    ("MSELoss.forward", PAIR),
    ("HuberLoss.forward", {**PAIR, "quick": True}),
    ("SmoothL1Loss.forward", PAIR),
    ("SoftMarginLoss.forward", PAIR),
    ("BCEWithLogitsLoss.forward", PROBABILITY),
    ("PoissonNLLLoss.forward", {"ydomain": (0.0, 3.0), "samples": 21}),
])  # fmt: skip

PYTORCH_OPTIMIZER = [
    Entry("pytorch_optimizer", "loss/bi_tempered.py", "log_t", (0.2, 3.0), "loss",
          ydomain=(0.1, 0.9), samples=21, quick=True),
    Entry("pytorch_optimizer", "loss/bi_tempered.py", "exp_t", (-1.0, 1.0), "loss",
          ydomain=(0.1, 0.9), samples=21),
    Entry("pytorch_optimizer", "loss/dice.py", "soft_dice_score", (0.1, 1.0), "loss",
          ydomain=(0.1, 1.0), samples=21),
    Entry("pytorch_optimizer", "loss/focal.py", "FocalLoss.forward", (-2.0, 2.0), "loss",
          ydomain=(0.05, 0.95), samples=21),
    Entry("pytorch_optimizer", "loss/tversky.py", "TverskyLoss.forward", (-2.0, 2.0), "loss",
          ydomain=(0.05, 0.95), samples=21),
    Entry("pytorch_optimizer", "loss/cross_entropy.py", "BCELoss.forward", (0.05, 0.95), "loss",
          ydomain=(0.05, 0.95), samples=21),
    # `.sum().float()`: computes in float32 whatever it is given
    Entry("pytorch_optimizer", "loss/f1.py", "SoftF1Loss.forward", (0.1, 0.9), "loss",
          ydomain=(0.1, 0.9), samples=21, precision=2e-6, quick=True),
]  # fmt: skip

OPFUNU = _group("opfunu", "utils/operator.py", (-3.0, 3.0), "optimisation test function", [
    ("sphere_func", {"method": FD}),
    ("rastrigin_func", {"method": FD}),
    ("griewank_func", {"method": FD, "domain": (-10.0, 10.0)}),
    ("ackley_func", {"method": FD, "kinks": (0.0,)}),
    ("scaffer_func", {"method": FD}),
    ("zakharov_func", {"method": FD}),
    ("levy_func", {"method": FD, "domain": (-5.0, 5.0)}),
    ("twist_func", {"domain": (-0.5, 1.5)}),
    ("non_continuous_rastrigin_func", {"method": FD, "domain": (-1.9, 1.9), "quick": True,
                                        "jumps": (-1.5, -1.0, 0.75, 1.25, 1.75),
                                        "kinks": (-0.5, 0.5)}),
])  # fmt: skip

PYRO = [
    # `x.float()`: the identity in float32 (and three `def`s of one name: two @overloads)
    Entry("pyro", "util.py", "torch_float", (-5.0, 5.0), "conversion", precision=2e-6,
          quick=True),
    Entry("pyro", "ops/special.py", "_SafeLog.forward", (0.1, 3.0), "special", quick=True),
    Entry("pyro", "ops/special.py", "safe_log", (0.1, 3.0), "special"),
    Entry("pyro", "ops/special.py", "log_beta", (0.5, 3.0), "special", ydomain=(0.5, 3.0),
          samples=21),
]  # fmt: skip

TORCHDIFFEQ = [  # 100 samples: the kink at 0 lies between two of them
    Entry("torchdiffeq", "_impl/misc.py", "_rms_norm", (-2.0, 2.0), "norm", kinks=(0.0,),
          samples=100, quick=True),
    Entry("torchdiffeq", "_impl/misc.py", "_linf_norm", (-2.0, 2.0), "norm", kinks=(0.0,),
          samples=100),
]  # fmt: skip

TORCH_HALF = [  # clamp to float16's range, then `.half()`: f moves in float16 steps
    Entry("torch", "distributed/algorithms/_quantization/quantization.py",
          "_fp32_to_fp16_with_clamp", (-5.0, 5.0), "conversion", precision=1e-3),
]  # fmt: skip

FONTTOOLS = [
    Entry("fontTools", "misc/roundTools.py", "otRound", (-3.0, 3.0), "rounding", FD,
          jumps=(-2.5, -1.5, -0.5, 0.5, 1.5, 2.5), samples=100, quick=True),
    Entry("fontTools", "misc/roundTools.py", "noRound", (-3.0, 3.0), "rounding"),
]  # fmt: skip

ENTRIES: list[Entry] = [
    *PYTWEENING, *EASINGS, *TWEENER, *LMFIT, *SCIPY, *GYMNASIUM, *COLOUR, *MATPLOTLIB,
    *NUMPY, *TORCH_F, *TORCH_MODULES, *TORCH_LOSSES, *PYTORCH_OPTIMIZER, *OPFUNU, *PYRO,
    *TORCHDIFFEQ, *FONTTOOLS, *TORCH_HALF,
]  # fmt: skip
BY_ID = {entry.id: entry for entry in ENTRIES}
assert len(BY_ID) == len(ENTRIES), "two entries with one id"
