#!/usr/bin/env python3
"""Refit the single-precision coefficients of src/NetCompiler/Numerics/VectorMath.cs.

    python3 tools/fit_vectormath.py          # needs mpmath (pip install mpmath); about a minute

Both fits are weighted rational minimax approximations found by the Remez exchange, with the error measured as the
relative error of the function VectorMath computes:

- tanh x = x·N(s)/D(s), s = x², N = 1 + n1 s + n2 s² + n3 s³, D = 1 + d1 s + … + d5 s⁵ on |x| ≤ 8.1;
- e^r = 1 + r + r²·q(r), q of degree 4, on |r| ≤ ln2/2 + 2e−6 (x·log2 e is rounded before n is, so |r| can pass
  ln2/2 by up to 2.6e−6; the error there is the same, 3.15e−9).

The coefficients are then rounded to float one at a time, the most influential first, each time refitting the ones
not yet rounded, which keeps the fit error close to that of the exact fit (rounding all at once can cost 10x). The
script prints the C# constants and the fit errors; the evaluation error in float (which dominates) is measured by the
tests' sweeps.
"""
import struct

import mpmath as mp

mp.mp.dps = 40


def f32(v):
    return mp.mpf(struct.unpack("f", struct.pack("f", float(v)))[0])


def poly(c, x):
    r = mp.mpf(0)
    for v in reversed(c):
        r = r * x + v
    return r


def remez(f, w, lo, hi, m, k, fixn, fixd, grid=4000, iters=60):
    """min max |(N/D − f)·w| on [lo, hi]; N = n0 + … + nm x^m, D = 1 + d1 x + … + dk x^k; fixn/fixd: fixed coefficients."""
    free_n = [j for j in range(m + 1) if j not in fixn]
    free_d = [j for j in range(1, k + 1) if j not in fixd]
    n = len(free_n) + len(free_d) + 1
    xs = [lo + (hi - lo) * (1 - mp.cos(mp.pi * i / grid)) / 2 for i in range(grid + 1)]
    fx = [f(x) for x in xs]
    wx = [w(x) for x in xs]
    # Start from Chebyshev-like points, slightly asymmetric so that none lands where the weight vanishes (r = 0).
    ref = [lo + (hi - lo) * (1 - mp.cos(mp.pi * (i + mp.mpf("0.1")) / (n - mp.mpf("0.5")))) / 2 for i in range(n)]
    d_prev, best, last = None, None, None
    for _ in range(iters):
        fr, wr = [f(x) for x in ref], [w(x) for x in ref]
        dp = [mp.mpf(1)] * n if d_prev is None else [poly(d_prev, x) for x in ref]
        for _ in range(6):  # the E·D(x) term is nonlinear: iterate with D from the previous solve
            a, rhs = mp.matrix(n, n), mp.matrix(n, 1)
            for i, x in enumerate(ref):
                col = 0
                for j in free_n:
                    a[i, col] = x ** j
                    col += 1
                for j in free_d:
                    a[i, col] = -fr[i] * x ** j
                    col += 1
                a[i, col] = -((-1) ** i) * dp[i] / wr[i]
                rhs[i] = fr[i] * (1 + sum(v * x ** j for j, v in fixd.items())) - sum(v * x ** j for j, v in fixn.items())
            sol = mp.lu_solve(a, rhs)
            nc, dc = [mp.mpf(0)] * (m + 1), [mp.mpf(1)] + [mp.mpf(0)] * k
            col = 0
            for j in free_n:
                nc[j] = sol[col]
                col += 1
            for j in free_d:
                dc[j] = sol[col]
                col += 1
            for j, v in fixn.items():
                nc[j] = v
            for j, v in fixd.items():
                dc[j] = v
            e = sol[col]
            dp = [poly(dc, x) for x in ref]
        d_prev = dc
        err = [(poly(nc, x) / poly(dc, x) - fv) * wv for x, fv, wv in zip(xs, fx, wx)]
        worst = max(abs(v) for v in err)
        if best is None or worst < best[2]:
            best = (nc, dc, worst)
        # Exchange: the alternating local extrema of the error.
        ext = []
        for i, v in enumerate(err):
            left = abs(err[i - 1]) if i > 0 else -1
            right = abs(err[i + 1]) if i + 1 < len(err) else -1
            if v != 0 and abs(v) >= left and abs(v) >= right:
                ext.append((xs[i], v))
        alt = []
        for x, v in ext:
            if alt and mp.sign(alt[-1][1]) == mp.sign(v):
                if abs(v) > abs(alt[-1][1]):
                    alt[-1] = (x, v)
            else:
                alt.append((x, v))
        while len(alt) > n:
            alt.pop(0 if abs(alt[0][1]) < abs(alt[-1][1]) else -1)
        if len(alt) < n:
            break
        ref = [x for x, _ in alt]
        if last is not None and abs(worst - abs(e)) < abs(e) * mp.mpf("1e-5"):
            break
        last = worst
    return best


def fit_rounded(f, w, lo, hi, m, k, fixn, order):
    """Fit, then round to float one coefficient at a time in the given order, refitting the others each time."""
    fixd = {}
    nc, dc, worst = remez(f, w, lo, hi, m, k, fixn, fixd)
    print(f"  exact fit: {mp.nstr(worst, 4)}")
    for which, j in order:
        (fixn if which == "n" else fixd)[j] = f32((nc if which == "n" else dc)[j])
        if len(fixn) + len(fixd) < (m + 1) + k:
            nc, dc, worst = remez(f, w, lo, hi, m, k, fixn, fixd)
    return [f32(v) for v in nc], dc[:1] + [f32(v) for v in dc[1:]]


def main():
    # tanh: in s = x² on (0, 8.1²]; tanh(x)/x ≈ N(s)/D(s), relative error. N(0) = D(0) = 1 are fixed.
    print("tanh (float): x·N(s)/D(s)")
    c = mp.mpf("8.1")
    g = lambda s: mp.tanh(mp.sqrt(s)) / mp.sqrt(s) if s > 0 else mp.mpf(1)
    w = lambda s: 1 / g(s)
    order = [("n", 1), ("d", 1), ("n", 2), ("d", 2), ("n", 3), ("d", 3), ("d", 4), ("d", 5)]
    nc, dc = fit_rounded(g, w, mp.mpf(0), c * c, 3, 5, {0: mp.mpf(1)}, order)
    worst = max(abs(poly(nc, s) / poly(dc, s) / g(s) - 1) for s in [c * c * (mp.mpf(i) / 20000) ** 2 for i in range(1, 20001)])
    print(f"  float coefficients: {mp.nstr(worst, 4)}")
    for j in range(1, 4):
        print(f"    private const float TanhN{j}F = {float(nc[j])!r}f;")
    for j in range(1, 6):
        print(f"    private const float TanhD{j}F = {float(dc[j])!r}f;")

    # exp: (e^r − 1 − r)/r² ≈ q(r), weighted so that the error is the relative error of e^r.
    print("exp (float): 1 + r + r²·q(r)")
    r0 = mp.log(2) / 2 + mp.mpf("2e-6")
    q = lambda r: (mp.exp(r) - 1 - r) / r ** 2 if r != 0 else mp.mpf(0.5)
    wq = lambda r: r ** 2 / mp.exp(r)
    qc, _ = fit_rounded(q, wq, -r0, r0, 4, 0, {}, [("n", j) for j in range(5)])
    worst = max(abs((1 + r + r * r * poly(qc, r)) / mp.exp(r) - 1) for r in [r0 * i / 4000 for i in range(-4000, 4001)])
    print(f"  float coefficients: {mp.nstr(worst, 4)}")
    for j in range(5):
        print(f"    private const float ExpQ{j}F = {float(qc[j])!r}f;")


if __name__ == "__main__":
    main()
