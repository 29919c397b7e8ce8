#!/usr/bin/env python3
"""The Toom-Cook matrices of Winograd's minimal filtering F(m, r) (Lavin and Gray, 2015), in exact fractions, as
native/winograd.c uses them: `python3 scripts/native/winograd_matrices.py 4 5` prints A^T, G and B^T of F(4, 5), checks
them on exact random data against the direct correlation, and prints them as C macros (one output row a line, zero
terms left out), the form winograd.c's 1-D transforms take.

Points: n - 1 = m + r - 2 finite ones (0, 1, -1, 2, -2, 1/2, -1/2 ... taken in that order) and infinity.
  A^T[j][i] = p_i^j, and 1 at (m - 1, infinity);
  G[i][k]   = p_i^k / prod_{j != i} (p_i - p_j), and 1 at (infinity, r - 1);
  B^T[i]    = the coefficients of prod_{j != i} (x - p_j), and for infinity those of prod_j (x - p_j).
Each row of B^T is then scaled to integers and the same row of G by the inverse, which leaves G (.) B^T unchanged.
Python's standard library only.
"""
import math
import random
import sys
from fractions import Fraction

POINTS = [Fraction(0), Fraction(1), Fraction(-1), Fraction(2), Fraction(-2), Fraction(1, 2), Fraction(-1, 2)]


def poly_mul(p, q):
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return out


def matrices(m, r):
    n = m + r - 1
    points = POINTS[: n - 1]
    if len(points) != n - 1:
        raise SystemExit(f"F({m}, {r}) needs {n - 1} finite points; this script knows {len(POINTS)}")
    at = [[points[i] ** j if i < n - 1 else Fraction(int(j == m - 1)) for i in range(n)] for j in range(m)]
    g, bt = [], []
    for i in range(n - 1):
        scale = math.prod((points[i] - points[j] for j in range(n - 1) if j != i), start=Fraction(1))
        g.append([points[i] ** k / scale for k in range(r)])
        poly = [Fraction(1)]
        for j in range(n - 1):
            if j != i:
                poly = poly_mul(poly, [-points[j], Fraction(1)])
        bt.append(poly + [Fraction(0)])
    g.append([Fraction(int(k == r - 1)) for k in range(r)])
    poly = [Fraction(1)]
    for j in range(n - 1):
        poly = poly_mul(poly, [-points[j], Fraction(1)])
    bt.append(poly)
    for i in range(n):
        denominator = math.lcm(*(c.denominator for c in bt[i]))
        bt[i] = [c * denominator for c in bt[i]]
        g[i] = [c / denominator for c in g[i]]
    return at, g, bt


def check(m, r, at, g, bt, trials=20):
    """A^T [(G g) (.) (B^T d)] against y[j] = sum_k d[j + k] g[k], exactly."""
    n = m + r - 1
    rng = random.Random(1)
    for _ in range(trials):
        d = [Fraction(rng.randint(-99, 99), rng.randint(1, 9)) for _ in range(n)]
        w = [Fraction(rng.randint(-99, 99), rng.randint(1, 9)) for _ in range(r)]
        u = [sum(g[i][k] * w[k] for k in range(r)) for i in range(n)]
        v = [sum(bt[i][k] * d[k] for k in range(n)) for i in range(n)]
        y = [sum(at[j][i] * u[i] * v[i] for i in range(n)) for j in range(m)]
        if y != [sum(d[j + k] * w[k] for k in range(r)) for j in range(m)]:
            raise SystemExit(f"F({m}, {r}): the matrices do not compute the correlation")


def literal(c):
    return f"{abs(c.numerator)}.f" if c.denominator == 1 else f"({abs(c.numerator)}.f / {c.denominator})"


def macro(name, rows):
    """y[i * t] = sum_j rows[i][j] x[j * s], zero terms left out."""
    lines = [f"#define {name}(x, s, y, t)", "  do {"]
    for i, row in enumerate(rows):
        target = "(y)[0]" if i == 0 else "(y)[t]" if i == 1 else f"(y)[{i} * (t)]"
        terms = []
        for j, c in enumerate(row):
            if c == 0:
                continue
            x = "(x)[0]" if j == 0 else "(x)[s]" if j == 1 else f"(x)[{j} * (s)]"
            term = x if abs(c) == 1 else f"{literal(c)} * {x}"
            terms.append((("-" if c < 0 else "") if not terms else (" - " if c < 0 else " + ")) + term)
        lines.append(f"    {target} = {''.join(terms)};")
    lines.append("  } while (0)")
    return "\n".join(line.ljust(115) + " \\" if k < len(lines) - 1 else line for k, line in enumerate(lines))


def main():
    m, r = (int(a) for a in sys.argv[1:3]) if len(sys.argv) >= 3 else (4, 5)
    at, g, bt = matrices(m, r)
    check(m, r, at, g, bt)
    n = m + r - 1
    for label, rows in (("A^T", at), ("G", g), ("B^T", bt)):
        print(f"{label}:")
        for row in rows:
            print("  " + " ".join(str(c).rjust(7) for c in row))
    transpose = lambda rows: [list(col) for col in zip(*rows)]  # noqa: E731
    print()
    for name, rows in ((f"BT_{n}", bt), (f"G_{n}", g), (f"AT_{n}", at), (f"A_{n}", transpose(at)), (f"GT_{n}", transpose(g))):
        print(macro(name, rows))


if __name__ == "__main__":
    main()
