#!/usr/bin/env python3
"""check.py -- an independent computation of dm-study's figures on a
Binance websocket capture (the format of tests/data/binance-ws-raw-hftbacktest),
with Python's standard library only: its own JSON parse, its own book, its
own regressions and its own Hawkes likelihood.  tests/unit/test_study.c
compares it with dm-study --json; docs/study.md says what each figure is.

  check.py FILE [--tick 0.1] [--lot 0.001] [--window 10] [--no-hawkes]

Prints one JSON object:
  ofi       the level-1 OFI regression (Cont, Kukanov and Stoikov 2014) of
            the mid change (ticks) on the OFI (lots) over windows of
            --window seconds on the receive clock
  arrivals  aggressive orders per window (prints with the same trade time
            and side merged): mean, variance, var/mean and the branching
            ratio 1 - 1/sqrt(var/mean) (Hardiman and Bouchaud 2014), for
            buy, sell and all
  hawkes    the maximum-likelihood exponential-kernel Hawkes fit of the buy
            and of the sell orders alone (trade times T, ms), by
            Nelder-Mead on (log mu, log alpha, log beta)

The book: the REST snapshot, then the depth diffs under Binance's rules
(futures: pu chain; spot: U/u), diffs before the snapshot kept and
replayed at the snapshot's receive time; one book state per applied diff.
"""
import argparse
import gzip
import json
import math
from decimal import Decimal


def open_text(path):
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, "r", encoding="utf-8")


class Book:
    def __init__(self, tick, lot):
        self.tick, self.lot = tick, lot
        self.bids, self.asks = {}, {}
        self.snap = None       # lastUpdateId
        self.prev_u = None
        self.futures = None
        self.pending = []

    def units(self, p, q):
        return int(Decimal(p) / self.tick), int(Decimal(q) / self.lot)

    def load(self, d):
        self.bids.clear()
        self.asks.clear()
        for p, q in d["bids"]:
            px, qty = self.units(p, q)
            if qty:
                self.bids[px] = qty
        for p, q in d["asks"]:
            px, qty = self.units(p, q)
            if qty:
                self.asks[px] = qty
        self.snap = d["lastUpdateId"]
        self.prev_u = None

    def apply(self, d):
        for side, book in (("b", self.bids), ("a", self.asks)):
            for p, q in d[side]:
                px, qty = self.units(p, q)
                if qty:
                    book[px] = qty
                else:
                    book.pop(px, None)
        self.prev_u = d["u"]

    def diff(self, d):
        """True when d was applied under the sync rules."""
        if self.futures is None:
            self.futures = "pu" in d
        if self.snap is None:
            self.pending.append(d)
            return False
        U, u = d["U"], d["u"]
        if self.prev_u is None:
            if self.futures:
                if u < self.snap or not (U <= self.snap <= u):
                    return False
            else:
                if u <= self.snap or not (U <= self.snap + 1 <= u):
                    return False
        elif u <= self.prev_u:
            return False
        elif self.futures and d["pu"] != self.prev_u:
            raise SystemExit("check.py: a sequence gap; this check expects none")
        elif not self.futures and U > self.prev_u + 1:
            raise SystemExit("check.py: a sequence gap; this check expects none")
        self.apply(d)
        return True

    def top(self):
        b = max(self.bids) if self.bids else None
        a = min(self.asks) if self.asks else None
        return (b, self.bids.get(b, 0), a, self.asks.get(a, 0))


def read(path, tick, lot):
    """Events in file order: ('b', recv_ns, bid, bid_qty, ask, ask_qty) and
    ('t', recv_ns, T_ms, side, px, qty) (ticks, lots)."""
    book = Book(tick, lot)
    out = []
    with open_text(path) as f:
        for line in f:
            sp = line.find(" ")
            if sp < 0:
                continue
            t = int(line[:sp])
            msg = json.loads(line[sp + 1:])
            d = msg.get("data", msg)
            if "lastUpdateId" in d and "bids" in d:
                if book.snap is not None and book.prev_u is not None:
                    continue          # in sync: ignored
                book.load(d)
                pend, book.pending = book.pending, []
                for p in pend:
                    if book.diff(p):
                        out.append(("b", t) + book.top())
                continue
            e = d.get("e")
            if e == "depthUpdate":
                if book.diff(d):
                    out.append(("b", t) + book.top())
            elif e in ("trade", "aggTrade"):
                px, qty = book.units(d["p"], d["q"])
                out.append(("t", t, d["T"], -1 if d["m"] else 1, px, qty))
    return out


def ofi_regression(events, window_ns):
    """Level-1 OFI and mid change per window [kW, (k+1)W) of the receive
    clock, from the window of the first two-sided book to that of the last
    event, empty windows included; OLS with an intercept."""
    ofi, end_mid = {}, {}
    prev = None
    k_first = None
    for ev in events:
        if ev[0] != "b":
            continue
        _, t, b, bq, a, aq = ev
        k = t // window_ns
        if prev is not None:
            _, _, pb, pbq, pa, paq = prev
            e = (bq if b >= pb else 0) - (pbq if b <= pb else 0) \
                - (aq if a <= pa else 0) + (paq if a >= pa else 0)
            ofi[k] = ofi.get(k, 0) + e
        if b is not None and a is not None:
            if k_first is None:
                k_first, mid_first = k, b + a
            end_mid[k] = b + a
        prev = ev
    k_last = events[-1][1] // window_ns
    xs, ys = [], []
    mid = mid_first
    for k in range(k_first, k_last + 1):
        m = end_mid.get(k, mid)
        xs.append(ofi.get(k, 0))
        ys.append((m - mid) / 2.0)
        mid = m
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    slope = sxy / sxx
    return {"n": n, "slope": slope, "intercept": my - slope * mx,
            "r2": sxy * sxy / (sxx * syy)}


def orders(events):
    """Aggressive orders: (T_ms, side, recv_ns of the first print); prints
    with the trade time and side of the order before are one order."""
    out = []
    for ev in events:
        if ev[0] != "t":
            continue
        _, t, T, side = ev[:4]
        if out and out[-1][0] == T and out[-1][1] == side:
            continue
        out.append((T, side, t))
    return out


def impact(events):
    """Temporary impact: per aggressive order (prints with the trade time
    and side of the order before), its slippage per lot against the mid of
    the last two-sided book before its first print, side (vwap - mid) in
    ticks, regressed on its size in lots (OLS with an intercept)."""
    mid2 = None
    pts = []          # [side, T, mid2, sum qty, sum side (2 px - mid2) qty]
    for ev in events:
        if ev[0] == "b":
            b, a = ev[2], ev[4]
            if b is not None and a is not None:
                mid2 = b + a
            continue
        _, t, T, side, px, qty = ev
        if pts and pts[-1][0] == side and pts[-1][1] == T:
            o = pts[-1]
        else:
            o = [side, T, mid2, 0, 0]
            pts.append(o)
        if o[2] is not None:
            o[3] += qty
            o[4] += side * (2 * px - o[2]) * qty
    xs = [o[3] for o in pts if o[2] is not None and o[3] > 0]
    ys = [o[4] / (2.0 * o[3]) for o in pts if o[2] is not None and o[3] > 0]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    slope = sxy / sxx
    return {"n": n, "eta": slope, "epsilon": my - slope * mx, "mean_qty": mx,
            "mean_slippage": my}


def arrivals(events, ords, window_ns):
    """Counts of orders per window, from the window of the first event (of
    any kind) to that of the last, empty windows included."""
    k_first = events[0][1] // window_ns
    k_last = events[-1][1] // window_ns
    n = k_last - k_first + 1
    counts = {1: [0] * n, -1: [0] * n}
    for T, side, t in ords:
        k = t // window_ns - k_first
        if 0 <= k < n:
            counts[side][k] += 1
    res = {}
    for name, c in (("buy", counts[1]), ("sell", counts[-1]),
                    ("all", [a + b for a, b in zip(counts[1], counts[-1])])):
        m = sum(c) / n
        v = sum((x - m) ** 2 for x in c) / (n - 1)
        res[name] = {"n": n, "mean": m, "var": v, "var_over_mean": v / m,
                     "branching": 1 - 1 / math.sqrt(v / m)}
    return res


def hawkes_nll(ts, T, x):
    """Minus the log-likelihood of the univariate exponential Hawkes
    process with (mu, alpha, beta) = exp(x) on times ts (s) over the
    window [0, T]."""
    mu, al, be = math.exp(x[0]), math.exp(x[1]), math.exp(x[2])
    a, ll, prev = 0.0, 0.0, ts[0]
    for i, t in enumerate(ts):
        if i:
            a = math.exp(-be * (t - prev)) * (1.0 + a)
        prev = t
        ll += math.log(mu + al * a)
    comp = mu * T + al / be * sum(1.0 - math.exp(-be * (T - t)) for t in ts)
    return comp - ll


def nelder_mead(f, x0, step=0.5, iters=600, tol=1e-10):
    n = len(x0)
    pts = [list(x0)] + [[x0[j] + (step if j == i else 0) for j in range(n)]
                        for i in range(n)]
    vals = [f(p) for p in pts]
    for _ in range(iters):
        order = sorted(range(n + 1), key=lambda i: vals[i])
        pts = [pts[i] for i in order]
        vals = [vals[i] for i in order]
        if abs(vals[-1] - vals[0]) <= tol * (abs(vals[0]) + 1):
            break
        c = [sum(p[j] for p in pts[:-1]) / n for j in range(n)]
        xr = [c[j] + (c[j] - pts[-1][j]) for j in range(n)]
        fr = f(xr)
        if fr < vals[0]:
            xe = [c[j] + 2 * (c[j] - pts[-1][j]) for j in range(n)]
            fe = f(xe)
            pts[-1], vals[-1] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < vals[-2]:
            pts[-1], vals[-1] = xr, fr
        else:
            xc = [c[j] + 0.5 * (pts[-1][j] - c[j]) for j in range(n)]
            fc = f(xc)
            if fc < vals[-1]:
                pts[-1], vals[-1] = xc, fc
            else:
                for i in range(1, n + 1):
                    pts[i] = [pts[0][j] + 0.5 * (pts[i][j] - pts[0][j])
                              for j in range(n)]
                    vals[i] = f(pts[i])
    return pts[0], vals[0]


def hawkes_fit(times_ms, t0, t1):
    """The fit of one side's orders over the window [t0, t1] (ms) of every
    order, both sides: the observation window of the joint series."""
    ts = [(t - t0) / 1000.0 for t in times_ms]
    T = (t1 - t0) / 1000.0
    rate = len(ts) / T
    best = None
    for beta0 in (10.0, 100.0):
        x0 = [math.log(rate / 2), math.log(beta0 / 2), math.log(beta0)]
        x, v = nelder_mead(lambda x: hawkes_nll(ts, T, x), x0)
        x, v = nelder_mead(lambda x: hawkes_nll(ts, T, x), x, step=0.05)
        if best is None or v < best[1]:
            best = (x, v)
    mu, al, be = (math.exp(v) for v in best[0])
    return {"n": len(ts), "mu": mu, "alpha": al, "beta": be,
            "branching": al / be, "loglik": -best[1]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--tick", default="0.1")
    ap.add_argument("--lot", default="0.001")
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--no-hawkes", action="store_true")
    a = ap.parse_args()
    events = read(a.file, Decimal(a.tick), Decimal(a.lot))
    w = int(round(a.window * 1e9))
    ords = orders(events)
    out = {"file": a.file, "window_s": a.window,
           "books": sum(1 for e in events if e[0] == "b"),
           "trades": sum(1 for e in events if e[0] == "t"),
           "orders": len(ords),
           "ofi": ofi_regression(events, w),
           "impact": impact(events),
           "arrivals": arrivals(events, ords, w)}
    if not a.no_hawkes:
        out["hawkes"] = {
            name: hawkes_fit([T for T, s, _ in ords if s == side],
                             ords[0][0], ords[-1][0])
            for name, side in (("buy", 1), ("sell", -1))}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
