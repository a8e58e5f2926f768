"""Writes bench/run's measurements as a Markdown table, each figure min / median / max over the runs,
judged against issues 8's and 14's targets on the median. Usage (by bench/run):
report.py WORK RUNS DURATION CLIENTS QUEUE_CLIENTS SIZES ELAPSED_SECONDS"""

import datetime
import os
import platform
import statistics
import subprocess
import sys

work, runs, duration, clients, queue_clients, sizes, elapsed = sys.argv[1:8]
sizes = [int(s) for s in sizes.split()]


def rows(name):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [[float(x) for x in line.split()] for line in f if line.strip()]


def column(name, i=0):
    return [r[i] for r in rows(name)]


def med(values):
    return statistics.median(values) if values else float("nan")


def spread(values, fmt="{:,.0f}"):
    if not values:
        return "—"
    return " / ".join(fmt.format(v) for v in (min(values), med(values), max(values)))


def verdict(ok):
    return "**met**" if ok else "**missed**"


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem_gb = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))) / 1024 / 1024
pg_version = sh("psql \"${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}\" -tAc 'SHOW server_version'")
commit = sh("git rev-parse --short HEAD")
dirty = " (with uncommitted changes)" if sh("git status --porcelain --untracked-files=no") else ""

out = []
out.append(
    f"{datetime.date.today()}, commit {commit}{dirty}; {os.cpu_count()} vCPU {cpu}, {mem_gb:.0f} GB RAM, "
    f"PostgreSQL {pg_version} on loopback, SQLite bundled (WAL); {platform.system()} {platform.release()}. "
    f"{runs} runs of {duration} per figure, min / median / max; targets judged on the median. "
    f"The whole run took {int(elapsed) // 60} min {int(elapsed) % 60} s."
)
out.append("")
out.append("| scenario | target | measured | |")
out.append("|---|---|---|---|")

pg_rate, pg_p99, pg_rss = (column("intake.postgres", i) for i in range(3))
ceiling = column("intake.ceiling")
ratio = med(pg_rate) / med(ceiling) if ceiling else float("nan")
out.append(
    f"| intake `POST /api/v1/requests`, {clients} clients, PostgreSQL | ≥ 80% of pgbench doing the same writes "
    f"while the sequencer integrates them | "
    f"{spread(pg_rate)} requests/s against pgbench's {spread(ceiling)} tps: "
    f"**{ratio:.0%}** | {verdict(ratio >= 0.8)} |"
)
ceiling_p99 = column("intake.ceiling_p99")
out.append(
    f"| intake p99 latency, PostgreSQL | ≤ 50 ms, or within 10 ms of pgbench's own p99 | {spread(pg_p99, '{:.1f}')} ms "
    f"(pgbench's own p99 for the same writes: {spread(ceiling_p99, '{:.1f}')} ms) | "
    f"{verdict(med(pg_p99) <= 50 or med(pg_p99) <= med(ceiling_p99) + 10)} |"
)
merge = column("merge")
out.append(
    f"| merge delay p99 (commit to the signing of the checkpoint that covers it) under the intake load | ≤ 1 s | "
    f"{spread(merge, '{:,.0f}')} ms | {verdict(med(merge) <= 1000)} |"
)
sq_rate, sq_p99, sq_rss = (column("intake.sqlite", i) for i in range(3))
locked = column("locked.sqlite")
out.append(
    f"| intake on SQLite, {clients} clients | ≥ 1,000 requests/s, no \"database is locked\" | "
    f"{spread(sq_rate)} requests/s (p99 {spread(sq_p99, '{:.0f}')} ms); "
    f"\"database is locked\" in the server log: {int(sum(locked))} | "
    f"{verdict(med(sq_rate) >= 1000 and sum(locked) == 0)} |"
)
t_rate, t_p99 = column("transition", 0), column("transition", 1)
t_ceiling = column("transition.ceiling")
t_ratio = med(t_rate) / med(t_ceiling) if t_ceiling else float("nan")
out.append(
    f"| officer transition `POST /api/v1/requests/{{id}}/events` (start_processing), {clients} clients, "
    f"{sizes[-1]:,} requests in the table | ≥ 50% of its pgbench ceiling | "
    f"{spread(t_rate)} transitions/s (p99 {spread(t_p99, '{:.0f}')} ms) against pgbench's {spread(t_ceiling)} tps: "
    f"**{t_ratio:.0%}** | {verdict(t_ratio >= 0.5)} |"
)

big, small = sizes[-1], sizes[0]
first = column(f"queue.{big}.first")
deep = column(f"queue.{big}.deep")
gap = abs(med(first) - med(deep)) / max(med(first), med(deep)) if first and deep else float("nan")
out.append(
    f"| queue first page and page 10,000, {big:,} requests, {queue_clients} clients | p95 ≤ 15 ms, "
    f"the two within 20% | first {spread(first, '{:.2f}')} ms, deep {spread(deep, '{:.2f}')} ms "
    f"({gap:.0%} apart) | {verdict(max(med(first), med(deep)) <= 15 and gap <= 0.2)} |"
)
growth = []
for page in ("first", "deep"):
    a, b = med(column(f"queue.{small}.{page}")), med(column(f"queue.{big}.{page}"))
    growth.append((page, a, b, b / a - 1 if a else float("nan")))
out.append(
    f"| queue p95 from {small:,} to {big:,} requests | grows < 30% | "
    + "; ".join(f"{p}: {a:.2f} → {b:.2f} ms ({g:+.0%})" for p, a, b, g in growth)
    + f" | {verdict(all(g < 0.3 for *_, g in growth))} |"
)
ex_rate, ex_rss = column("export", 0), column("export", 1)
events = int(sh(f"cat {work}/total_events 2>/dev/null") or 0)
out.append(
    f"| `kaiji audit export --format csv`, {events:,} events | ≥ 200,000 events/s; peak RSS ≤ 100 MB | "
    f"{spread(ex_rate)} events/s; RSS {spread(ex_rss)} MB | "
    f"{verdict(med(ex_rate) >= 200_000 and max(ex_rss or [0]) <= 100)} |"
)
ve_rate, ve_rss = column("verify", 0), column("verify", 1)
ve_ceiling = column("verify.ceiling")
ve_ratio = med(ve_rate) / med(ve_ceiling) if ve_ceiling else float("nan")
out.append(
    f"| `kaiji audit verify`, {events:,} events | ≥ 90% of a minimal program reading the same rows by COPY and "
    f"computing the same hashes (bench/verify-ceiling) | {spread(ve_rate)} events/s; RSS {spread(ve_rss)} MB; "
    f"the minimal program: {spread(ve_ceiling)} events/s: **{ve_ratio:.0%}** | {verdict(ve_ratio >= 0.9)} |"
)
proof, leaves = column("proof", 0), int(sh(f"cat {work}/proof_leaves 2>/dev/null") or 0)
out.append(
    f"| inclusion proof `GET /api/v1/audit/proof/inclusion`, a random event of {leaves:,} leaves, "
    f"{queue_clients} clients | p95 ≤ 5 ms | {spread(proof, '{:.2f}')} ms ({med(column('proof', 1)):,.0f} proofs/s) | "
    f"{verdict(med(proof) <= 5)} |"
)
out.append(
    f"| server peak RSS during the intake runs | ≤ 150 MB | PostgreSQL {spread(pg_rss)} MB, "
    f"SQLite {spread(sq_rss)} MB | {verdict(max(pg_rss + sq_rss or [0]) <= 150)} |"
)
for size, per, secs in rows("synth"):
    if size == big:
        out.append(
            f"| `kaiji dev synth --requests {int(size):,} --events-per-request {int(per)}` | "
            f"1,000,000 requests in minutes | {secs:,.0f} s ({int(size * per):,} audit events in the tree; one run) | "
            f"{verdict(size < 1_000_000 or secs <= 600)} |"
        )

out.append("")
out.append(
    f"The queue in detail (`GET /api/v1/queue?limit=10` as an officer's API token, PostgreSQL): p95 at "
    f"{queue_clients} clients, and pages/s at {queue_clients} and at {clients} clients."
)
out.append("")
out.append(f"| requests in the table | first page p95 (ms) | page 10,000 p95 (ms) | pages/s, first / deep, {queue_clients} clients | pages/s, first / deep, {clients} clients |")
out.append("|---|---|---|---|---|")
for size in sizes:
    f_, d_ = f"queue.{size}.first", f"queue.{size}.deep"
    out.append(
        f"| {size:,} | {spread(column(f_), '{:.2f}')} | {spread(column(d_), '{:.2f}')} | "
        f"{med(column(f_, 1)):,.0f} / {med(column(d_, 1)):,.0f} | "
        f"{med(column('queue16.' + str(size) + '.first')):,.0f} / {med(column('queue16.' + str(size) + '.deep')):,.0f} |"
    )
out.append("")
out.append("Synthetic loads (one run each): " + "; ".join(
    f"{int(s):,} requests × {int(p)} events in {t:,.1f} s" for s, p, t in rows("synth")) + ".")
print("\n".join(out))
