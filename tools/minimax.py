#!/usr/bin/env python3
"""Derives the polynomial coefficients of simdkit's own math kernels.

Each fit is a near-minimax polynomial (Lawson's iteratively reweighted least
squares on Chebyshev nodes, the target computed with mpmath at 40 digits),
its coefficients rounded to the kernel's lane type, and the resulting
relative error of the quantity the kernel computes printed in units of the
lane type's 2^-(digits), measured on a fine grid with the rounded
coefficients (the kernel's own rounding is measured by tools/ulp_accuracy).

    python3 tools/minimax.py log_tail_f32

Prints the coefficients, lowest degree first, as the kernels spell them.
"""
import argparse
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40

SQRT_HALF_M1 = float(mp.sqrt(0.5) - 1)
SQRT_TWO_M1 = float(mp.sqrt(2) - 1)


def log_tail(f):
    """(log(1 + f) - f) / f^2: log(1 + f) = f + f^2 Q(f)."""
    f = mp.mpf(f)
    return (mp.log1p(f) - f) / f**2


def exp_tail(r):
    """(e^r - 1 - r) / r^2: e^r = 1 + r + r^2 P(r)."""
    r = mp.mpf(r)
    return (mp.expm1(r) - r) / r**2


def tan_tail(t):
    """(tan r - r) / r^3 as a function of t = r^2: tan r = r + r^3 T(r^2)."""
    r = mp.sqrt(mp.mpf(t))
    return (mp.tan(r) - r) / r**3


TWO_OVER_SQRT_PI = 2 / mp.sqrt(mp.pi)


def erf_over_x(s):
    """erf(x) / x at s = x^2."""
    x = mp.sqrt(mp.mpf(s))
    return mp.erf(x) / x if x else TWO_OVER_SQRT_PI


def erf_tail(s):
    """(erf(x) / x - 2 / sqrt(pi)) / s at s = x^2: erf(x) = x (2 / sqrt(pi) +
    s E(s)), the leading constant applied in two parts by the kernel."""
    s = mp.mpf(s)
    return (erf_over_x(s) - TWO_OVER_SQRT_PI) / s


# erfc(x) = e^(-x^2) t S(t - 1/2) for x >= ERF_SPLIT, t = 3 / (3 + x):
# e^(x^2) erfc(x) falls like 1 / (sqrt(pi) x), which the factor t takes, so
# S stays within [0.19, 0.74]; centred on 1/2 (t - 1/2 is exact for most t),
# the terms fall fast enough that Horner's roundings do not pile up as they
# do in powers of t near 1. Past ERFC_ZERO_F32 / _F64, erfc is below half
# the least subnormal.
ERF_SPLIT = 0.5
ERFC_ZERO_F32 = 10.5
ERFC_ZERO_F64 = 27.5


def erfc_scaled(u):
    """e^(x^2) erfc(x) / t at t = u + 1/2, x = 3 (1 / t - 1)."""
    t = mp.mpf(u) + mp.mpf(0.5)
    x = 3 * (1 / t - 1)
    return mp.erfc(x) * mp.exp(x * x) / t


def erf_small_fit(degree, dtype):
    """erf(x) = x (2 / sqrt(pi) + s E(s)), s = x^2 below the split."""
    return dict(target=erf_tail, interval=(0.0, ERF_SPLIT**2), degree=degree, dtype=dtype,
                weight=lambda s: s, result=lambda s, p: TWO_OVER_SQRT_PI + s * p,
                exact=erf_over_x)


def erfc_scaled_fit(zero, degree, dtype):
    """S in erfc(x) = e^(-x^2) t S(t - 1/2) from the split up to `zero`."""
    return dict(target=erfc_scaled, interval=(3 / (3 + zero) - 0.5, 3 / (3 + ERF_SPLIT) - 0.5),
                degree=degree, dtype=dtype, weight=lambda u: 1 / float(erfc_scaled(u)),
                result=lambda u, p: p, exact=erfc_scaled)


def cbrt_fit(degree, dtype):
    """cbrt(m) on [1, 2]: the start of cbrt's Newton steps, each of which
    doubles its bits (2^-13.7 -> float32's; 2^-22.5, two steps, float64's)."""
    return dict(target=mp.cbrt, interval=(1.0, 2.0), degree=degree, dtype=dtype,
                weight=lambda m: 1 / np.cbrt(m), result=lambda m, p: p, exact=mp.cbrt)


def cbrt_step_fit(degree, dtype):
    """m^(-2/3) on [1, 2]: Newton's step 1 / (3 y^2) for cbrt without a
    division (to 2^-15 / 2^-22: the step's error is the start's times it)."""
    return dict(target=lambda m: mp.mpf(m)**(-mp.mpf(2) / 3), interval=(1.0, 2.0), degree=degree,
                dtype=dtype, weight=lambda m: np.cbrt(m)**2, result=lambda m, p: p,
                exact=lambda m: mp.mpf(m)**(-mp.mpf(2) / 3))

def atan_tail(t):
    """(atan r - r) / r^3 as a function of t = r^2: atan r = r + r^3 A(r^2)."""
    r = mp.sqrt(mp.mpf(t))
    return (mp.atan(r) - r) / r**3


def log_odd_tail(w):
    """(log((1 + s) / (1 - s)) - 2 s - 2 s^3 / 3) / s^5 as a function of w = s^2."""
    s = mp.sqrt(mp.mpf(w))
    return (2 * mp.atanh(s) - 2 * s - 2 * s**3 / 3) / s**5


def log2_ratio(f):
    """log2(1 + f) / f: log2(1 + f) = f L(f)."""
    f = mp.mpf(f)
    return mp.log1p(f) / mp.log(2) / f


def exp2(r):
    return mp.mpf(2)**mp.mpf(r)


# s = f / (2 + f) for 1 + f in [sqrt(1/2), sqrt(2)): |s| <= (sqrt(2) - 1) / (sqrt(2) + 1).
LOG_ODD_S2 = float(((mp.sqrt(2) - 1) / (mp.sqrt(2) + 1))**2)

HALF_LN2 = float(mp.log(2) / 2)
QUARTER_PI_SQUARED = float((mp.pi / 4)**2)

# name: target, interval, degree, lane type, weight (the factor from an
# error in the polynomial to the relative error of what the kernel returns),
# result (the kernel's value from the argument and the polynomial's) and
# exact (the true value).
FITS = {
    "log_tail_f32": dict(
        target=log_tail, interval=(SQRT_HALF_M1, SQRT_TWO_M1), degree=8, dtype=np.float32,
        weight=lambda f: np.abs(f),
        result=lambda f, q: f + f * f * q,
        exact=lambda f: mp.log1p(f)),
    "tan_tail_f32": dict(
        target=tan_tail, interval=(0.0, QUARTER_PI_SQUARED), degree=5, dtype=np.float32,
        weight=lambda t: t,
        result=lambda t, p: mp.sqrt(t) + t * mp.sqrt(t) * p,
        exact=lambda t: mp.tan(mp.sqrt(t))),
    "tan_tail_f64": dict(
        target=tan_tail, interval=(0.0, QUARTER_PI_SQUARED), degree=14, dtype=np.float64,
        weight=lambda t: t,
        result=lambda t, p: mp.sqrt(t) + t * mp.sqrt(t) * p,
        exact=lambda t: mp.tan(mp.sqrt(t))),
    "exp_tail_f64": dict(
        target=exp_tail, interval=(-HALF_LN2, HALF_LN2), degree=9, dtype=np.float64,
        weight=lambda r: r * r / np.exp(r),
        result=lambda r, p: 1 + r + r * r * p,
        exact=lambda r: mp.exp(r)),
    # Degree 10 for the float64 functions that carry e^r's rounding errors
    # (expm1, sinh, cosh, tanh): their results are e^r - 1 scaled, up to
    # 3.4 times the error of e^r near q = 1, so degree 9's 0.1 x 2^-53 cost
    # them a third of an ULP.
    "exp_tail_f64_carried": dict(
        target=exp_tail, interval=(-HALF_LN2, HALF_LN2), degree=10, dtype=np.float64,
        weight=lambda r: r * r / np.exp(r),
        result=lambda r, p: 1 + r + r * r * p,
        exact=lambda r: mp.exp(r)),
    "erf_small_f32": erf_small_fit(degree=4, dtype=np.float32),
    "erf_small_f64": erf_small_fit(degree=9, dtype=np.float64),
    "erfc_scaled_f32": erfc_scaled_fit(ERFC_ZERO_F32, degree=10, dtype=np.float32),
    "erfc_scaled_f64": erfc_scaled_fit(ERFC_ZERO_F64, degree=22, dtype=np.float64),
    "cbrt_f32": cbrt_fit(degree=3, dtype=np.float32),
    "cbrt_f64": cbrt_fit(degree=6, dtype=np.float64),
    "cbrt_step_f32": cbrt_step_fit(degree=5, dtype=np.float32),
    "cbrt_step_f64": cbrt_step_fit(degree=6, dtype=np.float64),

    "atan_tail_f32": dict(
        target=atan_tail, interval=(0.0, 1.0), degree=7, dtype=np.float32,
        weight=lambda t: t,
        result=lambda t, p: mp.sqrt(t) + t * mp.sqrt(t) * p,
        exact=lambda t: mp.atan(mp.sqrt(t))),
    "atan_tail_f64": dict(
        target=atan_tail, interval=(0.0, 1.0), degree=18, dtype=np.float64,
        weight=lambda t: t,
        result=lambda t, p: mp.sqrt(t) + t * mp.sqrt(t) * p,
        exact=lambda t: mp.atan(mp.sqrt(t))),
    # float32 pow, computed in float64 lanes (kernels/binary_math-inl.h):
    # log2 and 2^r to about 2^-35, far below float32's rounding.
    "log2_ratio_f64": dict(
        target=log2_ratio, interval=(SQRT_HALF_M1, SQRT_TWO_M1), degree=12, dtype=np.float64,
        weight=lambda f: 1.0,
        result=lambda f, q: f * q,
        exact=lambda f: mp.log1p(f) / mp.log(2)),
    "exp2_f64": dict(
        target=exp2, interval=(-0.5, 0.5), degree=7, dtype=np.float64,
        weight=lambda r: 2.0**-r,
        result=lambda r, p: p,
        exact=lambda r: mp.mpf(2)**r),
    # pow's log in float64 (kernels/binary_math-inl.h): log(1 + f) =
    # 2 s + 2 s^3 / 3 + s^5 P(s^2), the first two terms in double-double.
    "log_odd_tail_f64": dict(
        target=log_odd_tail, interval=(0.0, LOG_ODD_S2), degree=6, dtype=np.float64,
        weight=lambda w: w * w,
        result=lambda w, p: 2 * mp.sqrt(w) + 2 * w * mp.sqrt(w) / 3 + w * w * mp.sqrt(w) * p,
        exact=lambda w: 2 * mp.atanh(mp.sqrt(w))),
}


def fit(spec, nodes=600, iterations=40):
    """Lawson's weighted least squares, in 40 digits on the scaled variable
    t = x / max|x| (float64 normal equations cannot reach float64's own
    precision)."""
    lo, hi = spec["interval"]
    scale = mp.mpf(max(abs(lo), abs(hi)))
    x = [(mp.mpf(lo) + hi) / 2 + (mp.mpf(hi) - lo) / 2 * mp.cos(mp.pi * (i + 0.5) / nodes)
         for i in range(nodes)]
    x = [v for v in x if abs(v) > 1e-6]
    y = [spec["target"](v) for v in x]
    w = [mp.mpf(float(spec["weight"](np.float64(v)))) for v in x]
    degree = spec["degree"]
    powers = [[(v / scale)**j for j in range(degree + 1)] for v in x]
    u = [mp.mpf(1)] * len(x)
    for _ in range(iterations):
        weights = [(wi * wi) * ui for wi, ui in zip(w, u)]
        normal = mp.matrix(degree + 1, degree + 1)
        right = mp.matrix(degree + 1, 1)
        for row, yi, wi in zip(powers, y, weights):
            for i in range(degree + 1):
                right[i] += wi * row[i] * yi
                for j in range(degree + 1):
                    normal[i, j] += wi * row[i] * row[j]
        scaled = mp.lu_solve(normal, right)
        errors = [abs(sum(scaled[j] * row[j] for j in range(degree + 1)) - yi) * wi
                  for row, yi, wi in zip(powers, y, w)]
        u = [ui * e for ui, e in zip(u, errors)]
        total = sum(u)
        u = [ui / total for ui in u]
    return np.array([float(scaled[j] / scale**j) for j in range(degree + 1)], dtype=spec["dtype"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fits", nargs="*", metavar="FIT", help="one of: " + ", ".join(sorted(FITS)))
    args = parser.parse_args()
    unknown = [name for name in args.fits if name not in FITS]
    if unknown:
        parser.error(f"unknown fit {unknown[0]!r}; expected one of {sorted(FITS)}")
    for name in args.fits or sorted(FITS):
        spec = FITS[name]
        coefficients = fit(spec)
        lo, hi = spec["interval"]
        grid = np.linspace(lo, hi, 20001)
        grid = grid[grid != 0]
        # In 40 digits: the polynomial's error alone, not its evaluation's.
        terms = [mp.mpf(float(c)) for c in coefficients]
        worst = 0
        for v in grid[::4]:
            v = mp.mpf(float(v))
            exact = spec["exact"](v)
            got = spec["result"](v, mp.polyval(terms[::-1], v))
            worst = max(worst, abs((got - exact) / exact))
        digits = np.finfo(spec["dtype"]).nmant + 1
        worst = float(worst) * 2.0**digits
        print(f"{name}: degree {spec['degree']} on [{lo:.9g}, {hi:.9g}], "
              f"max relative error {worst:.3f} x 2^-{digits}")
        suffix = "f" if spec["dtype"] == np.float32 else ""
        for c in coefficients:
            print(f"  {np.format_float_positional(c, unique=True)}{suffix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
