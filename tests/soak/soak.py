#!/usr/bin/env python3
"""Memory soak of affect-server with LibTorch in the loop.

Starts the server binary on the real model repository, drives unary Analyze
calls and AnalyzeStream sessions at fixed rates with affect-bench (two
processes side by side) for a bounded time, and samples the server's RSS
(/proc/<pid>/status VmRSS) and glibc's malloc in-use bytes
(affect_process_malloc_in_use_bytes on /metrics, where the server has
mallinfo2) once a second, against the requests it has taken (Analyze calls
plus stream frames received, from /metrics).

The first half of the run is warm-up (LibTorch's allocator, glibc arenas,
gRPC buffers fill up; --warmup_fraction). Over the rest a least-squares line
of RSS against requests gives the growth in MiB per 1,000 requests, and so
does one of malloc's in-use bytes; the run fails when either is above
--max_growth_mib_per_1k (16 by default, i.e. 16 KiB per request). Each line
is fitted to the lasting floor: every sample replaced by the lowest value at
or after it. RSS and in-use bytes rise by tens of MiB while requests hold
LibTorch's activation buffers or work is queued, and fall back; a leak never
falls back (the last sample is taken idle, once every call is released). The
verdict takes the smaller of the slopes over the two halves of that span: a
leak grows through both, a one-off step (the heap reaching a new high-water
mark in a burst) lifts one only. At the end every call must be released:
affect_rpc_in_flight 0, affect_active_streams 0, call state created equal to
released.

--leak_bytes_per_call sets AFFECT_SOAK_LEAK_BYTES_PER_CALL for the server,
honoured only by a server built with -DAFFECT_SOAK_LEAK_SWITCH=ON; with
--expect_growth the verdict is inverted (the leak must be caught).

Exit codes: 0 pass, 1 growth above the threshold or state not released (or,
with --expect_growth, growth not detected), 2 set-up failure, 77 skipped (the
real models are not prepared).
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True, help="affect-server binary")
    parser.add_argument("--bench", required=True, help="affect-bench binary")
    parser.add_argument("--model_repository", required=True)
    parser.add_argument("--images", required=True, help="folder of photos to send")
    parser.add_argument("--duration_s", type=float,
                        default=float(os.environ.get("AFFECT_SOAK_SECONDS", "180")))
    parser.add_argument("--rate", type=float, default=4.0,
                        help="unary Analyze calls per second (open loop)")
    parser.add_argument("--streams", type=int, default=2, help="streams open at once")
    parser.add_argument("--fps", type=float, default=1.0, help="frames per second per stream")
    parser.add_argument("--max_growth_mib_per_1k", type=float,
                        default=float(os.environ.get("AFFECT_SOAK_MAX_GROWTH_MIB_PER_1K", "16")),
                        help="fail above this growth of RSS or of malloc in-use bytes (MiB "
                             "per 1,000 requests, after warm-up)")
    parser.add_argument("--warmup_fraction", type=float, default=0.5,
                        help="share of the run left out of the fit")
    parser.add_argument("--leak_bytes_per_call", type=int, default=0)
    parser.add_argument("--expect_growth", action="store_true",
                        help="the leak check: pass only if growth is detected")
    parser.add_argument("--samples_csv", default="", help="write the samples here")
    return parser.parse_args()


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


def metric_sum(text, name, label_filter=""):
    total = None
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if not match or match.group(1) != name:
            continue
        if label_filter and label_filter not in (match.group(2) or ""):
            continue
        total = (total or 0.0) + float(match.group(3))
    return total


def requests_taken(text):
    unary = metric_sum(text, "affect_rpc_requests_total", 'method="Analyze"') or 0.0
    frames = metric_sum(text, "affect_stream_frames_total", 'event="received"') or 0.0
    return unary + frames


def slope_per_1k(points):
    """Least-squares slope of y (bytes) over x (requests), in MiB per 1,000."""
    n = len(points)
    if n < 3:
        return None
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return sxy / sxx * 1000 / (1 << 20)


def lasting_floor(points):
    """Each sample replaced by the lowest value at or after it.

    Memory given back later in the run (a burst while requests hold
    activation buffers, a plateau while some work is queued) drops out; a
    leak, never given back, stays.
    """
    envelope = []
    low = float("inf")
    for x, y in reversed(points):
        low = min(low, y)
        envelope.append((x, low))
    return list(reversed(envelope))


def sustained_growth(points):
    """Growth per 1,000 requests that lasts: the smaller of the lasting
    floor's slopes over the two halves of the span.

    A leak grows through both halves. A one-off step (glibc's heap reaching a
    new high-water mark when a burst queues more requests than before) lifts
    only one of them, so it does not count.
    """
    middle = len(points) // 2
    slopes = [slope_per_1k(lasting_floor(part)) for part in (points[:middle], points[middle:])]
    if any(slope is None for slope in slopes):
        return None
    return min(slopes)


def start_server(args, log):
    env = dict(os.environ)
    if args.leak_bytes_per_call > 0:
        env["AFFECT_SOAK_LEAK_BYTES_PER_CALL"] = str(args.leak_bytes_per_call)
    server = subprocess.Popen(
        [args.server, "--host=127.0.0.1", "--port=0", "--metrics_port=0",
         "--model_repository=" + args.model_repository, "--log_format=json",
         "--drain_timeout=10s"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    # The ports are in the JSON start-up line ("affect-server listening").
    deadline = time.time() + 120
    port = metrics_port = None
    while time.time() < deadline and server.poll() is None:
        with open(log.name) as text:
            content = text.read()
        found = re.search(r'"port":"(\d+)","metrics_port":"(\d+)"', content)
        if found:
            port, metrics_port = int(found.group(1)), int(found.group(2))
            try:
                if "affect_model_state" in scrape(metrics_port) and \
                        "models loaded: serving" in content:
                    return server, port, metrics_port
            except OSError:
                pass
        time.sleep(0.5)
    server.kill()
    raise RuntimeError(f"the server did not start (exit {server.wait()}), log {log.name}:\n" +
                       open(log.name).read()[-3000:])


def main():
    args = parse_args()
    for path in (args.server, args.bench):
        if not os.access(path, os.X_OK):
            print(f"soak: {path} is not an executable", file=sys.stderr)
            return 2
    has_weights = any(name.endswith(".pt") for _, _, names in os.walk(args.model_repository)
                      for name in names)
    if not has_weights or not os.path.isdir(args.images):
        print(f"soak: SKIP: no converted models in {args.model_repository} or no photos in "
              f"{args.images} (scripts/prepare-models.sh)")
        return 77
    log = tempfile.NamedTemporaryFile("w+", prefix="affect-soak-", suffix=".log", delete=False)
    try:
        server, port, metrics_port = start_server(args, log)
    except RuntimeError as error:
        print(f"soak: {error}", file=sys.stderr)
        return 2
    print(f"soak: server pid {server.pid} on port {port} (metrics {metrics_port}), "
          f"{args.duration_s:.0f} s: {args.rate:g} unary calls/s + {args.streams} streams at "
          f"{args.fps:g} fps; leak switch {args.leak_bytes_per_call} B/call", flush=True)

    duration = f"{args.duration_s:.0f}s"
    common = [args.bench, f"--server=127.0.0.1:{port}", f"--images={args.images}", "--json",
              f"--duration={duration}"]
    # A stream's deadline covers the whole stream: longer than the run.
    stream_deadline = f"{args.duration_s + 120:.0f}s"
    benches = [
        subprocess.Popen(common + ["--mode=unary", f"--rate={args.rate:g}", "--concurrency=8",
                                   "--deadline=30s"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
        subprocess.Popen(common + ["--mode=stream", f"--concurrency={args.streams}",
                                   f"--fps={args.fps:g}", f"--deadline={stream_deadline}"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True),
    ]

    samples = []  # (seconds, requests, rss bytes, malloc in-use bytes or None)
    start = time.time()
    while any(bench.poll() is None for bench in benches):
        try:
            text = scrape(metrics_port)
            samples.append((time.time() - start, requests_taken(text), rss_bytes(server.pid),
                            metric_sum(text, "affect_process_malloc_in_use_bytes")))
        except (OSError, RuntimeError) as error:
            print(f"soak: sample failed: {error}", file=sys.stderr)
        if server.poll() is not None:
            print("soak: the server exited during the run", file=sys.stderr)
            break
        time.sleep(1.0)
    reports = []
    for bench in benches:
        output, _ = bench.communicate(timeout=300)
        try:
            reports.append(json.loads(output.strip().splitlines()[-1]))
        except (ValueError, IndexError):
            reports.append({"raw": output[-2000:]})

    # Every call's state released once the clients are gone.
    settled = False
    gauges = ""
    deadline = time.time() + 30
    while time.time() < deadline and server.poll() is None:
        text = scrape(metrics_port)
        values = {
            "in_flight": metric_sum(text, "affect_rpc_in_flight"),
            "active_streams": metric_sum(text, "affect_active_streams"),
        }
        for kind in ("admitted_call", "stream_session"):
            label = f'kind="{kind}"'
            values[f"{kind}_created"] = metric_sum(text, "affect_call_state_created_total", label)
            values[f"{kind}_released"] = metric_sum(text, "affect_call_state_released_total",
                                                    label)
        gauges = " ".join(f"{k}={v:g}" if v is not None else f"{k}=absent"
                          for k, v in values.items())
        settled = (values["in_flight"] == 0 and values["active_streams"] == 0 and all(
            values[f"{k}_created"] is not None and
            values[f"{k}_created"] == values[f"{k}_released"]
            for k in ("admitted_call", "stream_session")))
        if settled:
            break
        time.sleep(0.2)
    # One more sample with the server idle and every call released: the
    # floor that the run's memory must come back to (what a leak keeps).
    if settled:
        try:
            text = scrape(metrics_port)
            samples.append((time.time() - start, requests_taken(text), rss_bytes(server.pid),
                            metric_sum(text, "affect_process_malloc_in_use_bytes")))
        except (OSError, RuntimeError) as error:
            print(f"soak: idle sample failed: {error}", file=sys.stderr)
    server_alive = server.poll() is None
    if server_alive:
        server.send_signal(signal.SIGTERM)
    try:
        exit_code = server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        exit_code = "killed after 60 s"

    if args.samples_csv:
        with open(args.samples_csv, "w") as csv:
            csv.write("seconds,requests,rss_bytes,malloc_in_use_bytes\n")
            for t, n, rss, in_use in samples:
                csv.write(f"{t:.1f},{n:.0f},{rss},{'' if in_use is None else int(in_use)}\n")

    if len(samples) < 10:
        print(f"soak: only {len(samples)} samples; server log {log.name}", file=sys.stderr)
        return 2
    half = samples[int(len(samples) * args.warmup_fraction):]
    total_requests = samples[-1][1]
    measured_requests = half[-1][1] - half[0][1]
    rss_points = [(n, rss) for _, n, rss, _ in half]
    rss_slope = slope_per_1k(lasting_floor(rss_points))
    rss_sustained = sustained_growth(rss_points)
    rss_slope_all = slope_per_1k(rss_points)
    malloc_points = [(n, m) for _, n, _, m in half if m is not None]
    malloc_slope = slope_per_1k(lasting_floor(malloc_points)) if malloc_points else None
    malloc_sustained = sustained_growth(malloc_points) if malloc_points else None
    mib = 1 << 20
    for name, report in zip(("unary", "stream"), reports):
        if "sent" in report:
            print(f"soak: {name}: sent {report.get('sent')} ok {report.get('ok')} failed "
                  f"{report.get('failed')} p50 {report.get('latency_ms', {}).get('p50', 0):.0f} ms "
                  f"p99 {report.get('latency_ms', {}).get('p99', 0):.0f} ms "
                  f"frames dropped {report.get('frames_dropped', 0)} errors {report.get('errors')}")
        else:
            print(f"soak: {name}: no report: {report}")
    print(f"soak: {total_requests:.0f} requests in {samples[-1][0]:.0f} s "
          f"({total_requests / max(samples[-1][0], 1):.1f}/s); {len(samples)} samples")
    print(f"soak: RSS {samples[0][2] / mib:.1f} MiB at start, {half[0][2] / mib:.1f} MiB after "
          f"warm-up, {samples[-1][2] / mib:.1f} MiB at end "
          f"(peak {max(s[2] for s in samples) / mib:.1f} MiB)")
    if rss_slope is None or rss_sustained is None or measured_requests < 100:
        print(f"soak: too few requests after warm-up ({measured_requests:.0f}) to fit a line",
              file=sys.stderr)
        return 2
    print(f"soak: RSS growth after warm-up: {rss_slope:+.3f} MiB per 1,000 requests "
          f"(least squares through the lasting floor of the last {len(half)} samples, "
          f"{measured_requests:.0f} requests; threshold "
          f"{args.max_growth_mib_per_1k:g}; through every sample: {rss_slope_all:+.3f}; "
          f"sustained through both halves: {rss_sustained:+.3f})")
    if malloc_slope is not None:
        print(f"soak: malloc in use: {malloc_points[0][1] / mib:.1f} -> "
              f"{malloc_points[-1][1] / mib:.1f} MiB, growth {malloc_slope:+.3f} MiB per 1,000 "
              f"requests (sustained through both halves: {malloc_sustained:+.3f})")
    else:
        print("soak: malloc statistics not available (no affect_process_malloc_in_use_bytes)")
    print(f"soak: after the clients left: {gauges}")
    print(f"soak: server exit code {exit_code}")

    failures = []
    grew = rss_sustained > args.max_growth_mib_per_1k or (
        malloc_sustained is not None and malloc_sustained > args.max_growth_mib_per_1k)
    if not settled:
        failures.append("call state not released: " + gauges)
    if exit_code != 0:
        failures.append(f"server exit code {exit_code} (log {log.name})")
    if args.expect_growth:
        if not grew:
            failures.append("the deliberate leak was NOT detected")
        else:
            print("soak: the deliberate leak was detected (expected)")
    elif grew:
        failures.append(f"memory grows after warm-up, sustained: RSS {rss_sustained:+.3f}, "
                        f"malloc in use "
                        f"{malloc_sustained if malloc_sustained is not None else float('nan'):+.3f}"
                        f" MiB per 1,000 requests (threshold {args.max_growth_mib_per_1k:g})")
    if failures:
        for failure in failures:
            print(f"soak: FAIL: {failure}")
        return 1
    print("soak: PASS")
    os.unlink(log.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
