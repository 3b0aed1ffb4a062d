"""`make bench`'s table: each figure next to its target, marked ok or NON (solidaren/bench.py).
The measurement itself runs in `make bench`, not in the test suite (it takes minutes)."""

from solidaren import bench


def results(*, p95_large: float, queries_large: int, ratio: float) -> dict:
    def pages(p95: float, queries: int, rate: float) -> dict:
        return {
            key: {
                "label": label,
                "median_ms": p95 / 2,
                "p95_ms": p95,
                "queries": queries,
                "throughput_ratio": rate,
                "throughput_ratio_same_session": rate * 2,
            }
            for key, label, _persona in bench.PAGES
        }

    return {
        "when": "2026-12-07T16:45:00+00:00",
        "engine": "postgresql",
        "scale": "full",
        "cpus": 2,
        "load_average_at_start": (3.0, 3.0, 3.0),
        "sizes": {
            "1k": {"volunteers": 1000, "pages": pages(100, 8, 0.3), "bare": {}},
            "100k": {
                "volunteers": 100_000,
                "pages": pages(p95_large, queries_large, ratio),
                "bare": {
                    "p95_ms": 3.0,
                    "requests_per_s": 500,
                    "signed_in_requests_per_s": {"agent": 250.0},
                },
                "top10": {"median_ms": 40, "max_ms": 90},
                "batch": {
                    "missions": 1000,
                    "volunteers_considered": 10_000,
                    "pairs": 250_000,
                    "seconds": 12.5,
                    "score": 169_298,
                    "greedy_score": 168_000,
                    "exact_score": 169_298,
                    "exact_status": "Optimal",
                    "exact_seconds": 60,
                },
            },
        },
        "growth": {key: p95_large / 100 for key, _label, _persona in bench.PAGES},
        "documents": {
            "convention_pdf_s": 0.5,
            "weasyprint_alone_s": 0.45,
            "pdf_overhead": 1.11,
            "annual_report_s": 3.0,
            "annual_report_pages": 9,
            "associations": 1000,
            "memory_mb": [(1, 200.0), (300, 210.0)],
            "memory_growth_mb": 10.0,
            "renders": 300,
        },
        "total_s": 1000,
    }


def test_the_table_marks_each_figure_against_its_target():
    met = bench.table(results(p95_large=120, queries_large=8, ratio=0.25))
    missed = bench.table(results(p95_large=400, queries_large=9, ratio=0.05))

    home_met = next(line for line in met.splitlines() if line.startswith("Accueil"))
    home_missed = next(line for line in missed.splitlines() if line.startswith("Accueil"))
    assert home_met.endswith("ok/ok/ok/ok")
    # p95 over 150 ms, queries grew from 8 to 9, 5 % of the bare view, growth 4.0
    assert home_missed.endswith("NON/NON/NON/NON")
    # The ratio to the bare view with the same session is shown, not judged.
    assert "0.250     0.500" in home_met and "0.050     0.100" in home_missed
    assert "avec la session de agent 250.0 req/s" in met
    assert "169298 : égal" in met and "(cible ≤ 20 s : ok)" in met
    assert "rapport 1.11 ; cible ≤ 1.2 : ok" in met
