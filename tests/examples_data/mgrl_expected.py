"""The expected-gradient dynamics of examples/mgrl, computed in closed form.

Usage: mgrl_expected.py LOG ITERS AVERAGE_LAST
Reads the initial value network from the program's log ("initial value network: weight w0 ... w9
| bias b"), runs gamma <- gamma - 0.5 E[g(gamma)] from gamma = 0 for ITERS iterations, where
E[g] is the exact expectation over the rewards of the meta-gradient the program computes, and
prints the mean of sigmoid(gamma) over the last AVERAGE_LAST iterations, one value per line.

The program's meta-gradient, with V0_i = w_i + b, sigma = sigmoid(gamma), inner targets
y_i = r_i + sigma_i y_(i+1) (y_(i+1) detached), one SGD step of lr 0.5 on mean((V - y)^2):
    V1_i = 0.9 V0_i - 0.1 sum_j V0_j + 0.1 y_i + 0.1 sum_j y_j,
    g_k  = 0.02 sigma_k (1 - sigma_k) y_(k+1) (D_k + sum_i D_i),   D_i = V1_i - G_i,
with G_i = sum_(j >= i) r'_j from an independent rollout. The rewards are independent: N(0, 1)
at even steps, 0.1 at odd ones, so E[g] follows from their means and variances.
"""
import math
import sys

N = 10
MEAN = [0.0 if i % 2 == 0 else 0.1 for i in range(N)]
VAR = [1.0 if i % 2 == 0 else 0.0 for i in range(N)]


def expected_grad(gamma, v0):
    sig = [1 / (1 + math.exp(-g)) for g in gamma]
    # y_i = sum_j c[i][j] r_j
    c = [[0.0] * N for _ in range(N)]
    for i in range(N - 1, -1, -1):
        c[i][i] = 1.0
        if i < N - 1:
            for j in range(i + 1, N):
                c[i][j] = sig[i] * c[i + 1][j]
    ey = [sum(c[i][j] * MEAN[j] for j in range(N)) for i in range(N)]
    cov = [[sum(c[a][j] * c[b][j] * VAR[j] for j in range(N)) for b in range(N)] for a in range(N)]
    eyy = [[cov[a][b] + ey[a] * ey[b] for b in range(N)] for a in range(N)]
    s0 = sum(v0)
    a = [0.9 * v - 0.1 * s0 for v in v0]
    eg_ret = [sum(MEAN[i:]) for i in range(N)]
    grads = []
    for k in range(N - 1):
        m = k + 1  # E[y_m V1_i] and E[y_m G_i]
        def e_y_v1(i):
            return ey[m] * a[i] + 0.1 * eyy[m][i] + 0.1 * sum(eyy[m][j] for j in range(N))
        def e_y_d(i):
            return e_y_v1(i) - ey[m] * eg_ret[i]
        total = e_y_d(k) + sum(e_y_d(i) for i in range(N))
        grads.append(0.02 * sig[k] * (1 - sig[k]) * total)
    return grads


def main():
    log, iters, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    line = next(l for l in open(log) if l.startswith('initial value network:'))
    weights, bias = line.split(':', 1)[1].split('|')
    w = [float(x) for x in weights.split()[1:]]
    b = float(bias.split()[1])
    v0 = [x + b for x in w]
    gamma = [0.0] * (N - 1)
    mean = [0.0] * (N - 1)
    for it in range(iters):
        g = expected_grad(gamma, v0)
        gamma = [x - 0.5 * d for x, d in zip(gamma, g)]
        if it >= iters - last:
            for k in range(N - 1):
                mean[k] += 1 / (1 + math.exp(-gamma[k])) / last
    for x in mean:
        print(f'{x:.4f}')


main()
