"""A hand-computed book for the metrics, period Q3 2026 (2026-07-01 to 2026-09-30).

| account | what happens | start ARR | close ARR (Oct 1) |
| --- | --- | --- | --- |
| A | renews on Sep 30, 10,000 -> 12,000 | 10,000 | 12,000 (expansion 2,000) |
| B (Growth, owner b@) | add-on contract from Aug 1 (mid-period upgrade) | 20,000 | 25,000 (expansion 5,000) |
| C | term ends Aug 31, renews at 6,000 (downgrade) | 8,000 | 6,000 (contraction 2,000) |
| D | churned on Aug 14, its term's last day | 4,000 | gone (churn 4,000) |
| E | churned Jul 15, won back Sep 1 at 2,500 | 3,000 | 2,500 (contraction 500) |
| F | new logo Aug 1 | - | excluded |
| G | contract with no ARR | 0 | 0 |

start ARR 45,000; expansion 7,000; contraction 2,500; churn 4,000.
NRR = 45,500 / 45,000; GRR = 38,500 / 45,000; logo retention = 5 / 6.
Renewals due: A 10,000 (renewed 10,000), C 8,000 (6,000), D 4,000 (0), E 3,000 (0: the win-back
starts 48 days later) -> 16,000 / 25,000. Bands at T-90: A Green, C Yellow, D and E no score.
"""

from __future__ import annotations

from datetime import date

from tests.factories import BookRows

START, END = date(2026, 7, 1), date(2026, 9, 30)
KINDS = {"power_users": "opportunity", "usage_decline": "risk"}


def build(conn) -> dict[str, int]:
    rows = BookRows(conn)
    ids = {}
    a = ids["A"] = rows.account("A", owner="a@example.com")
    rows.contract(a, "A-1", date(2025, 10, 1), date(2026, 9, 30), 10_000)
    rows.contract(a, "A-2", date(2026, 10, 1), date(2027, 9, 30), 12_000)
    rows.scorecard(a, date(2026, 6, 25), "Green")
    rows.scorecard(a, date(2026, 7, 10), "Red")  # after T-90 (Jul 2): not the band that counts
    rows.play_run(a, "power_users", date(2025, 1, 1), closed_on=date(2025, 3, 1))  # too long before A-2
    b = ids["B"] = rows.account("B", segment="Growth", owner="b@example.com")
    rows.contract(b, "B-1", date(2026, 1, 1), date(2026, 12, 31), 20_000)
    rows.contract(b, "B-2", date(2026, 8, 1), date(2026, 12, 31), 5_000)
    rows.play_run(b, "power_users", date(2026, 7, 10))
    c = ids["C"] = rows.account("C")
    rows.contract(c, "C-1", date(2025, 9, 1), date(2026, 8, 31), 8_000)
    rows.contract(c, "C-2", date(2026, 9, 1), date(2027, 8, 31), 6_000)
    rows.scorecard(c, date(2026, 5, 30), "Yellow")
    rows.play_run(c, "usage_decline", date(2026, 7, 5), arm="holdout")
    d = ids["D"] = rows.account("D", churned_on=date(2026, 8, 14))
    rows.contract(d, "D-1", date(2025, 8, 15), date(2026, 8, 14), 4_000)
    rows.scorecard(d, date(2026, 5, 20), "Red")  # after T-90 (May 16): D has no score
    rows.play_run(d, "usage_decline", date(2026, 6, 1), closed_on=date(2026, 8, 14))
    e = ids["E"] = rows.account("E", churned_on=date(2026, 7, 15))  # still recorded after the win-back
    rows.contract(e, "E-1", date(2025, 6, 1), date(2026, 7, 15), 3_000)
    rows.contract(e, "E-2", date(2026, 9, 1), date(2027, 8, 31), 2_500)
    rows.play_run(e, "usage_decline", date(2026, 5, 1), closed_on=date(2026, 6, 15))  # over before the period
    f = ids["F"] = rows.account("F")
    rows.contract(f, "F-1", date(2026, 8, 1), date(2027, 7, 31), 50_000)
    g = ids["G"] = rows.account("G")
    rows.contract(g, "G-1", date(2026, 1, 1), date(2026, 12, 31), None)
    rows.risk_case(a, date(2026, 6, 1), date(2026, 7, 11), "recovered")  # 40 days
    rows.risk_case(c, date(2026, 7, 1), date(2026, 7, 21), "lost")  # 20 days
    rows.risk_case(d, date(2026, 8, 1), date(2026, 9, 30), "recovered")  # 60 days
    rows.risk_case(e, date(2026, 8, 1), date(2026, 10, 2), "recovered")  # closed after the period
    rows.session.flush()
    return ids
