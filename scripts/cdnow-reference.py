"""lifetimes' numbers on the CDNOW sample, for rekindle's retention tests and `npm run bench:retention`.

Run with a Python that has `lifetimes` (scripts/bench-retention.mjs installs it into target/lifetimes-venv):

    python scripts/cdnow-reference.py write   # rewrites crates/core/tests/fixtures/cdnow/lifetimes-reference.json
                                              # and lifetimes-summary-*.csv (committed; read by cargo test)
    python scripts/cdnow-reference.py time N  # prints {"bgnbd_ms": [...], "gamma_gamma_ms": [...], params} as JSON

The fixtures are the files lifetimes 0.11.3 ships (lifetimes/datasets). The transaction log CDNOW_sample.txt
has columns: master customer id, sample customer id (1..2357), date (YYYYMMDD), number of CDs, dollar value.
The 39-week calibration period of Fader, Hardie & Lee (2005) ends on 1997-09-30.
"""
import json
import os
import sys
import time

import numpy as np
import pandas as pd
import lifetimes
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "crates", "core", "tests", "fixtures", "cdnow")
CALIBRATION_END = "1997-09-30"


def summary():
    return pd.read_csv(os.path.join(FIXTURES, "cdnow_customers_summary.csv"), index_col=0)


def spend():
    df = pd.read_csv(os.path.join(FIXTURES, "cdnow_customers_summary_with_transactions.csv"), index_col=0)
    df.columns = ["frequency", "recency", "T", "monetary_value"]
    return df


def transactions():
    df = pd.read_csv(
        os.path.join(FIXTURES, "CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer", "date", "cds", "amount"],
        dtype={"master_id": str, "customer": str, "date": str},
    )
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df


def fit_bgnbd(s):
    return BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])


def fit_gamma_gamma(m):
    repeat = m[(m["frequency"] > 0) & (m["monetary_value"] > 0)]
    return GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"]), len(repeat)


def total_log_likelihood(s, params):
    """The paper's total LL (time in weeks, unscaled): lifetimes' mean negative LL times the customer count."""
    mean_nll = BetaGeoFitter._negative_log_likelihood(
        np.log(params), s["frequency"].values, s["recency"].values, s["T"].values, np.ones(len(s)), 0.0
    )
    return -float(mean_nll) * len(s)


def write():
    s, m = summary(), spend()
    bg = fit_bgnbd(s)
    gg, gg_customers = fit_gamma_gamma(m)
    r, alpha, a, b = (float(bg.params_[k]) for k in ["r", "alpha", "a", "b"])
    p, q, v = (float(gg.params_[k]) for k in ["p", "q", "v"])
    sample_ids = [1, 2, 3, 18, 100, 1000, 1516, 2357]
    customers = []
    clv = gg.customer_lifetime_value(
        bg, m["frequency"], m["recency"], m["T"], m["monetary_value"], time=12, discount_rate=0.01, freq="W"
    )
    for cid in sample_ids:
        row = m.loc[cid]
        x, tx, T, mv = int(row["frequency"]), float(row["recency"]), float(row["T"]), float(row["monetary_value"])
        customers.append(
            {
                "id": cid,
                "frequency": x,
                "recency": tx,
                "T": T,
                "monetary": mv,
                "pAlive": float(bg.conditional_probability_alive(x, tx, T)[0]),
                "expectedPurchases39": float(bg.conditional_expected_number_of_purchases_up_to_time(39, x, tx, T)),
                "expectedAverageValue": float(gg.conditional_expected_average_profit(x, mv)),
                "clv12Months": float(clv.loc[cid]),
            }
        )
    reference = {
        "source": "scripts/cdnow-reference.py (lifetimes %s, numpy %s, pandas %s)"
        % (lifetimes.__version__, np.__version__, pd.__version__),
        "paper": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "logLikelihood": -9582.4},
        "bgnbd": {"r": r, "alpha": alpha, "a": a, "b": b, "logLikelihood": total_log_likelihood(s, [r, alpha, a, b])},
        "gammaGamma": {"p": p, "q": q, "gamma": v, "customers": gg_customers},
        "expectedPurchasesNewCustomer39": float(bg.expected_number_of_purchases_up_to_time(39)),
        "clv": {"months": 12, "monthlyDiscount": 0.01, "periodsPerMonth": 4.345},
        "customers": customers,
    }
    with open(os.path.join(FIXTURES, "lifetimes-reference.json"), "w") as f:
        json.dump(reference, f, indent=2)
        f.write("\n")
    tx = transactions()
    for name, kwargs in {
        "day-weeks": dict(freq="D", freq_multiplier=7),
        "week": dict(freq="W"),
    }.items():
        out = summary_data_from_transaction_data(
            tx, "customer", "date", monetary_value_col="amount", observation_period_end=CALIBRATION_END, **kwargs
        )
        out.index = out.index.astype(int)
        out = out.sort_index()
        out.to_csv(os.path.join(FIXTURES, "lifetimes-summary-%s.csv" % name), float_format="%.17g")


def timing(n):
    s, m = summary(), spend()
    fit_bgnbd(s), fit_gamma_gamma(m)  # warm-up
    bg_ms, gg_ms = [], []
    for _ in range(n):
        t = time.perf_counter()
        bg = fit_bgnbd(s)
        bg_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        gg, _ = fit_gamma_gamma(m)
        gg_ms.append((time.perf_counter() - t) * 1000)
    print(
        json.dumps(
            {
                "version": lifetimes.__version__,
                "bgnbd_ms": bg_ms,
                "gamma_gamma_ms": gg_ms,
                "bgnbd": {k: float(bg.params_[k]) for k in ["r", "alpha", "a", "b"]},
                "gammaGamma": {"p": float(gg.params_["p"]), "q": float(gg.params_["q"]), "gamma": float(gg.params_["v"])},
            }
        )
    )


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "write":
        write()
    elif len(sys.argv) >= 2 and sys.argv[1] == "time":
        timing(int(sys.argv[2]) if len(sys.argv) > 2 else 5)
    else:
        sys.exit(__doc__)
