#!/usr/bin/env python3
"""Derives the polynomial coefficients of simdkit's own math kernels.

Each fit is a near-minimax polynomial (Lawson's iteratively reweighted least
squares on Chebyshev nodes, the target computed with mpmath at 60 digits),
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

mp.mp.dps = 60

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


def odd_tail_fit(function, upper, degree, dtype):
    """f(x) = x + x^3 P(x^2) for an odd f with f'(0) = 1 (tan, sin, asin,
    atan), P fitted at t = x^2 in [0, upper], the error relative to f."""
    def tail(t):
        x = mp.sqrt(mp.mpf(t))
        return (function(x) - x) / x**3
    return dict(target=tail, interval=(0.0, upper), degree=degree, dtype=dtype,
                weight=lambda t: t,
                result=lambda t, p: mp.sqrt(t) + t * mp.sqrt(t) * p,
                exact=lambda t: function(mp.sqrt(t)))


def cos_tail(t):
    """(cos r - 1 + t / 2) / t^2 at t = r^2: cos r = 1 - t / 2 + t^2 C(t)."""
    t = mp.mpf(t)
    return (mp.cos(mp.sqrt(t)) - 1 + t / 2) / t**2


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


def cbrt_inverse_fit(degree, dtype):
    """m^(-1/3) on [1, 2], relative: the start u of cbrt, refined without a
    division (u^2 / 3 is Newton's 1 / (3 y^2) for y = a u^2), so the final
    step's error is about 8 times the start's square (float64 first refines u
    once: 2 e^2)."""
    return dict(target=lambda m: mp.mpf(m)**(-mp.mpf(1) / 3), interval=(1.0, 2.0), degree=degree,
                dtype=dtype, weight=lambda m: np.cbrt(m), result=lambda m, p: p,
                exact=lambda m: mp.mpf(m)**(-mp.mpf(1) / 3))

def log2_ratio(f):
    """log2(1 + f) / f: log2(1 + f) = f L(f)."""
    f = mp.mpf(f)
    return mp.log1p(f) / mp.log(2) / f


def exp2(r):
    return mp.mpf(2)**mp.mpf(r)


def exp2_ratio(f):
    """(2^f - 1) / f: 2^f = 1 + f E(f)."""
    f = mp.mpf(f)
    return mp.expm1(f * mp.log(2)) / f


INV_LN2 = 1 / mp.log(2)


def log2_tail(r):
    """(log2(1 + r) - r / ln 2 + r^2 / (2 ln 2)) / r^3: log2(1 + r) =
    r A + r^2 B + r^3 P(r), A and B applied in two parts by the kernel."""
    r = mp.mpf(r)
    return (mp.log1p(r) * INV_LN2 - r * INV_LN2 + r * r * INV_LN2 / 2) / r**3


# pow's table-driven log2 (kernels/binary_math-inl.h, ReduceLog2): 1 + r =
# z / c for z in the table's cell of c, r within these bounds (the cells of
# [0.71875, 1.4375), 1/c of at most 5 bits so that r is exact).
LOG2_TABLE_R = (-0.0703125, 0.06640625)


HALF_LN2 = float(mp.log(2) / 2)


# The float64 log's table (kernels/math-inl.h LogHighLowF64): a positive
# normal u is 2^k m with m in [LOG_TABLE_START, 2 LOG_TABLE_START), read from
# the bits; the 3 bits below m's leading ones (counted from the start's bits)
# pick one of 8 intervals, and m / c - 1 = m inv_c - 1 = r is what the
# polynomial sees. The start puts 1 in the middle of its interval's bits,
# where c = 1 (no table rounding near log's zero); elsewhere inv_c is
# 2 / (a + b) rounded, and log(c) = -log(inv_c) is split into a high part on
# the grid of 2^-42 (k ln2_high + log_c_high is then exact for |k| < 2^11)
# and the rest.
LOG_TABLE_START = 0.71875  # bits 0x3FE7000000000000
LOG_TABLE_BITS = 3


def log_table():
    """Rows (a, b, inv_c, log_c_high, log_c_low) of the 8 intervals [a, b)."""
    start = int(np.float64(LOG_TABLE_START).view(np.int64))
    step = 1 << (52 - LOG_TABLE_BITS)
    rows = []
    for i in range(1 << LOG_TABLE_BITS):
        a = float(np.int64(start + i * step).view(np.float64))
        b = float(np.int64(start + (i + 1) * step).view(np.float64))
        inv_c = 1.0 if a <= 1.0 < b else float(2 / (mp.mpf(a) + b))
        log_c = -mp.log(mp.mpf(inv_c))
        high = float(mp.nint(log_c * 2**42) / 2**42)
        rows.append((a, b, inv_c, high, float(log_c - high)))
    return rows


def log_table_r_range():
    """The r = m inv_c - 1 the table leaves, over all intervals."""
    rows = log_table()
    return (float(min(mp.mpf(a) * inv - 1 for a, _, inv, _, _ in rows)),
            float(max(mp.mpf(b) * inv - 1 for _, b, inv, _, _ in rows)))


def log1p_tail(r):
    """(log(1 + r) - r + r^2 / 2) / r^3: log(1 + r) = r - r^2 / 2 + r^3 P(r)."""
    r = mp.mpf(r)
    return (mp.log1p(r) - r + r * r / 2) / r**3


LOG_TABLE_R = log_table_r_range()
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
    "tan_tail_f32": odd_tail_fit(mp.tan, QUARTER_PI_SQUARED, degree=5, dtype=np.float32),
    "tan_tail_f64": odd_tail_fit(mp.tan, QUARTER_PI_SQUARED, degree=14, dtype=np.float64),
    # float64 sin and cos after the reduction by pi/2, |r| <= pi/4.
    "sin_tail_f64": odd_tail_fit(mp.sin, QUARTER_PI_SQUARED, degree=5, dtype=np.float64),
    "cos_tail_f64": dict(
        target=cos_tail, interval=(0.0, QUARTER_PI_SQUARED), degree=5, dtype=np.float64,
        weight=lambda t: t * t / np.cos(np.sqrt(t)),
        result=lambda t, p: 1 - t / 2 + t * t * p,
        exact=lambda t: mp.cos(mp.sqrt(t))),
    # float64 asin and acos: asin x = x + x^3 P(x^2) for |x| <= 1/2, and
    # the same polynomial at (1 - |x|) / 2 above (t up to 1/4 either way).
    "asin_tail_f64": odd_tail_fit(mp.asin, 0.25, degree=12, dtype=np.float64),
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
    "cbrt_inverse_f32": cbrt_inverse_fit(degree=5, dtype=np.float32),
    "cbrt_inverse_f64": cbrt_inverse_fit(degree=5, dtype=np.float64),

    "atan_tail_f32": odd_tail_fit(mp.atan, 1.0, degree=7, dtype=np.float32),
    "atan_tail_f64": odd_tail_fit(mp.atan, 1.0, degree=18, dtype=np.float64),
    # float32 pow, computed in float64 lanes (kernels/binary_math-inl.h):
    # 2^r to 2^-29 (log2 below, to 2^-36), far below float32's rounding.
    "exp2_f64": dict(
        target=exp2, interval=(-0.5, 0.5), degree=6, dtype=np.float64,
        weight=lambda r: 2.0**-r,
        result=lambda r, p: p,
        exact=lambda r: mp.mpf(2)**r),
    # pow's log2 in float64 past the table (kernels/binary_math-inl.h):
    # log2(1 + r) = r A + r^2 B + r^3 P(r), the first two terms in
    # double-double; the error relative to log2(1 + r) (about r / ln 2).
    "log2_tail_f64": dict(
        target=log2_tail, interval=LOG2_TABLE_R, degree=10, dtype=np.float64,
        weight=lambda r: r * r,
        result=lambda r, p: r * INV_LN2 - r * r * INV_LN2 / 2 + r**3 * p,
        exact=lambda r: mp.log1p(r) * INV_LN2),
    # float32 pow in float32 lanes (with FMA): log(1 + r) = r - r^2 / 2 +
    # r^3 P(r), the first two terms in double-float, r^3 P(r) at most 2^-9
    # of the sum; then times 1/ln 2 in two parts.
    "log1p_tail_f32": dict(
        target=log1p_tail, interval=LOG2_TABLE_R, degree=4, dtype=np.float32,
        weight=lambda r: r * r,
        result=lambda r, p: r - r * r / 2 + r**3 * p,
        exact=lambda r: mp.log1p(r)),
    # and 2^f = 1 + f E(f) past a table of 2^(j/8), |f| <= 1/16 (plus the
    # rounding of the product's low part into f).
    "exp2_table_ratio_f32": dict(
        target=exp2_ratio, interval=(-0.0626, 0.0626), degree=3, dtype=np.float32,
        weight=lambda f: np.abs(f),
        result=lambda f, e: 1 + f * e,
        exact=lambda f: mp.mpf(2)**f),
    # float64 pow's 2^f past the same table of 2^(j/8) (in double-double
    # parts), |f| <= 1/16.
    "exp2_table_ratio_f64": dict(
        target=exp2_ratio, interval=(-0.0626, 0.0626), degree=6, dtype=np.float64,
        weight=lambda f: np.abs(f),
        result=lambda f, e: 1 + f * e,
        exact=lambda f: mp.mpf(2)**f),
    # float32 pow's log2 past the table, in float64: log2(1 + r) = r L(r).
    "log2_table_ratio_f64": dict(
        target=log2_ratio, interval=LOG2_TABLE_R, degree=6, dtype=np.float64,
        weight=lambda r: 1.0,
        result=lambda r, q: r * q,
        exact=lambda r: mp.log1p(r) / mp.log(2)),
    # The float64 log family's core (kernels/math-inl.h LogHighLowF64): r
    # from the 8-interval table; weighted as where c = 1 (the result is r
    # itself there), the worst case.
    "log1p_tail_f64": dict(
        target=log1p_tail, interval=LOG_TABLE_R, degree=8, dtype=np.float64,
        weight=lambda r: r * r,
        result=lambda r, p: r - r * r / 2 + r**3 * p,
        exact=lambda r: mp.log1p(r)),
}


def log2_table(grid_bits=42, dtype=np.float64):
    """Prints pow's log2 table (kernels/binary_math-inl.h): per cell of z
    (8 cells of 2^49 float64 bit patterns from 0.71875, the same values as
    float32's 2^20), the 1/c of at most 5 significant bits (so that
    z (1/c) - 1 is exact, in float32 too) that makes |r| = |z / c - 1|
    smallest over the cell, and log2 c as a multiple of 2^-grid_bits (2^-42
    for float64, 2^-16 for float32: k + high is then exact for every k) and
    the rest in dtype."""
    worst = 0
    for cell in range(8):
        low_bits = 0x3FE7000000000000 + (cell << 49)
        low = mp.mpf(float(np.int64(low_bits).view(np.float64)))
        high = mp.mpf(float(np.int64(low_bits + (1 << 49)).view(np.float64)))
        if low < 1 < high:
            inverse = mp.mpf(1)
        else:
            # z is a multiple of 2^-53 below 1 (2^-52 above) and 1/c of
            # 2^-q: r = z (1/c) - 1 is exact while |r| < 2^-q (2^(1 - q)).
            fits = []
            for q in (4, 5):
                limit = mp.mpf(2)**(-q if high <= 1 else 1 - q)
                for i in range(2**q // 2, 2**(q + 1)):
                    v = mp.mpf(i) / 2**q
                    error = max(abs(low * v - 1), abs(high * v - 1))
                    if error < limit:
                        fits.append((error, v))
            inverse = min(fits)[1]
        worst = max(worst, abs(low * inverse - 1), abs(high * inverse - 1))
        log2c = -mp.log(inverse, 2)
        high_part = mp.nint(log2c * 2**grid_bits) / 2**grid_bits
        rest = np.format_float_scientific(dtype(float(log2c - high_part)), unique=True)
        print(f"  [{float(low):.6f}, {float(high):.6f}): 1/c {float(inverse)!r}, "
              f"log2 c {float(high_part)!r} + {rest}")
    print(f"  max |r| {float(worst)!r}")


def exp2_table(dtype=np.float32):
    """Prints pow's table of 2^(j/8), j = 0..7, as high and low parts of the
    lane type (kernels/binary_math-inl.h Exp2ByEighths)."""
    suffix = "f" if dtype == np.float32 else ""
    for j in range(8):
        exact = mp.mpf(2)**(mp.mpf(j) / 8)
        high = dtype(float(exact))
        low = dtype(float(exact - mp.mpf(float(high))))
        print(f"  2^({j}/8): {np.format_float_positional(high, unique=True)}{suffix} + "
              f"{np.format_float_scientific(low, unique=True)}{suffix}")


def fit(spec, nodes=600, iterations=40):
    """Lawson's weighted least squares, in 60 digits on the scaled variable
    t = x / max|x| (float64 normal equations cannot reach float64's own
    precision; at degree 22 neither can 40 digits: the last bits of the
    rounded coefficients then depend on the order of the sums)."""
    lo, hi = spec["interval"]
    scale = mp.mpf(max(abs(lo), abs(hi)))
    x = [(mp.mpf(lo) + hi) / 2 + (mp.mpf(hi) - lo) / 2 * mp.cos(mp.pi * (i + 0.5) / nodes)
         for i in range(nodes)]
    x = [v for v in x if abs(v) > 1e-6]
    y = [spec["target"](v) for v in x]
    w = [mp.mpf(float(spec["weight"](np.float64(v)))) for v in x]
    degree = spec["degree"]
    powers = [[(v / scale)**j for j in range(2 * degree + 1)] for v in x]
    u = [mp.mpf(1)] * len(x)
    for _ in range(iterations):
        weights = [(wi * wi) * ui for wi, ui in zip(w, u)]
        # The normal matrix is Hankel (entry i, j is the weighted moment
        # i + j): 2 degree + 1 sums per node rather than (degree + 1)^2.
        moments = [mp.fsum(wi * row[k] for row, wi in zip(powers, weights))
                   for k in range(2 * degree + 1)]
        normal = mp.matrix(degree + 1, degree + 1)
        right = mp.matrix(degree + 1, 1)
        for i in range(degree + 1):
            right[i] = mp.fsum(wi * row[i] * yi for row, yi, wi in zip(powers, y, weights))
            for j in range(degree + 1):
                normal[i, j] = moments[i + j]
        scaled = mp.lu_solve(normal, right)
        errors = [abs(sum(scaled[j] * row[j] for j in range(degree + 1)) - yi) * wi
                  for row, yi, wi in zip(powers, y, w)]
        u = [ui * e for ui, e in zip(u, errors)]
        total = sum(u)
        u = [ui / total for ui in u]
    return np.array([float(scaled[j] / scale**j) for j in range(degree + 1)], dtype=spec["dtype"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log2-table", choices=("float64", "float32"),
                        help="print pow's log2 table for that lane type")
    parser.add_argument("--exp2-table", choices=("float64", "float32"),
                        help="print pow's table of 2^(j/8) for that lane type")
    parser.add_argument("fits", nargs="*", metavar="FIT", help="one of: " + ", ".join(sorted(FITS)))
    parser.add_argument("--log-table", action="store_true",
                        help="print the float64 log's table (inv_c, log_c high, log_c low)")
    args = parser.parse_args()
    if args.log2_table == "float64":
        log2_table()
        return 0
    if args.log2_table == "float32":
        log2_table(grid_bits=16, dtype=np.float32)
        return 0
    if args.exp2_table:
        exp2_table(np.float32 if args.exp2_table == "float32" else np.float64)
        return 0
    if args.log_table:
        for a, b, inv_c, high, low in log_table():
            print(f"  [{a}, {b}): {inv_c!r}, {high!r}, {low!r}")
        return 0
    unknown = [name for name in args.fits if name not in FITS]
    if unknown:
        parser.error(f"unknown fit {unknown[0]!r}; expected one of {sorted(FITS)}")
    for name in args.fits or sorted(FITS):
        spec = FITS[name]
        coefficients = fit(spec)
        lo, hi = spec["interval"]
        grid = np.linspace(lo, hi, 20001)
        grid = grid[grid != 0]
        # In 60 digits: the polynomial's error alone, not its evaluation's.
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
              f"max relative error {worst:.3g} x 2^-{digits}")
        suffix = "f" if spec["dtype"] == np.float32 else ""
        for c in coefficients:
            print(f"  {np.format_float_positional(c, unique=True)}{suffix}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
