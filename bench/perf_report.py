#!/usr/bin/python3
"""AffectServe performance report.

Starts affect-server on the real models, runs affect-bench at concurrency 1, 4,
16 and 64 in unary and in streaming mode, records the engine benchmark's
raw-model throughput and served/raw ratio, and writes

  bench/results/report.md        Markdown table + how it was measured
  bench/results/throughput.png   throughput against concurrency
  bench/results/latency.png      p50/p90/p99 against concurrency
  bench/results/results.json     every figure, for scripts
  bench/results/engine_bench.txt the engine benchmark's output
  bench/results/goodput.md       then bench/goodput_report.py in the same run: a plain
                                 Python grpcio + torch server against the project with
                                 the same client and photos, goodput past saturation
                                 (unary EMOTION and all analyses), live streams under
                                 overload, recovery after abandoned work, the chosen
                                 defaults (--skip_goodput leaves it out)

Usage (from the repository root, after building):
  bench/perf_report.py                 # full report, about 20 minutes on 2 cores
  bench/perf_report.py --quick         # about 2 minutes: 5 s per point, concurrency 1, 4, 16
  bench/perf_report.py --build_dir=build-client --out=/tmp/report

Needs Debian's /usr/bin/python3 (numpy is not used) and python3-matplotlib for
the plots (scripts/install-deps.sh installs it); without matplotlib the report
is written without plots.
"""

import argparse
import datetime
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="1-2 minute run: 5 s per point, concurrency 1, 4, 16")
    parser.add_argument("--build_dir", default="build",
                        help="CMake build folder holding the binaries (default: build)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results"),
                        help="where to write the report (default: bench/results)")
    parser.add_argument("--model_repository", default=os.path.join(ROOT, "models", "repository"))
    parser.add_argument("--images", default=os.path.join(ROOT, "models", ".cache", "images"),
                        help="folder of photos sent in turn (default: models/.cache/images)")
    parser.add_argument("--concurrency", default=None,
                        help="comma-separated list (default: 1,4,16,64; quick: 1,4,16)")
    parser.add_argument("--duration", default=None,
                        help="affect-bench --duration per point (default: 20s; quick: 5s)")
    parser.add_argument("--fps", default="2", help="frames/s of each stream (default: 2)")
    parser.add_argument("--analyses", default="", help="affect-bench --analyses (default: all)")
    parser.add_argument("--engine_model",
                        default=os.path.join(ROOT, "models", "repository", "emotion", "1",
                                             "model.pt"),
                        help="TorchScript model for affect-engine-bench, with "
                             "--engine_input_dims (default: the real emotion model; the "
                             "benchmark's generated conv net when the file is absent)")
    parser.add_argument("--engine_input_dims", default="64,64,1")
    parser.add_argument("--skip_engine", action="store_true", help="do not run the engine bench")
    parser.add_argument("--skip_goodput", action="store_true",
                        help="do not run bench/goodput_report.py (the Python baseline, goodput "
                             "past saturation, live streams under overload, recovery)")
    parser.add_argument("--render_only", action="store_true",
                        help="rewrite report.md and the plots from <out>/results.json, running "
                             "nothing")
    return parser.parse_args()


def binary(build_dir, relative):
    path = os.path.join(build_dir if os.path.isabs(build_dir) else os.path.join(ROOT, build_dir),
                        relative)
    return path if os.access(path, os.X_OK) else None


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(message):
    print("perf_report: " + message, file=sys.stderr, flush=True)


def machine_description():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    environment = {name: os.environ.get(name, "(unset)")
                   for name in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    return {"cores": os.cpu_count(), "cpu": cpu, "load_average": os.getloadavg(),
            "environment": environment}


def git_revision():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


ENGINE_PATTERNS = {
    "raw": re.compile(r"raw module at batch\s+(\d+):\s+([\d.]+) items/s"),
    "best": re.compile(r"best raw throughput: ([\d.]+) items/s at batch (\d+)"),
    "ratio": re.compile(r"served/raw ratio at batch (\d+) with (\d+) callers: ([\d.]+) "
                        r"\(served ([\d.]+) items/s, raw ([\d.]+) items/s"),
}


def run_engine_bench(engine, args, out_dir):
    """Runs affect-engine-bench (before the server starts: no CPU contention)."""
    if args.quick:
        bench_filter = "BM_RawModule/batch:(1|8)/|BM_Served/batch:8/callers:16"
    else:
        bench_filter = "BM_RawModule|BM_Served/batch:8/"
    command = [engine, "--benchmark_filter=" + bench_filter]
    if args.engine_model and os.path.exists(args.engine_model):
        command += ["--model=" + args.engine_model, "--input_dims=" + args.engine_input_dims]
    log("engine benchmark: " + " ".join(shlex.quote(c) for c in command))
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=240,
                                env=os.environ)
        output = result.stdout + result.stderr
    except subprocess.TimeoutExpired as e:
        output = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        output += "\n(timed out after 240 s)\n"
    with open(os.path.join(out_dir, "engine_bench.txt"), "w") as f:
        f.write("$ " + " ".join(shlex.quote(c) for c in command) + "\n" + output)
    parsed = {"command": " ".join(shlex.quote(os.path.relpath(c, ROOT) if os.path.exists(c) else c)
                                  for c in command),
              "raw": {}, "ratios": [], "summary_lines": []}
    for line in output.splitlines():
        if (line.startswith("raw module") or line.startswith("best raw") or
                line.startswith("served/raw") or line.startswith("batcher")):
            parsed["summary_lines"].append(line.strip())
        if m := ENGINE_PATTERNS["raw"].search(line):
            parsed["raw"][int(m.group(1))] = float(m.group(2))
        if m := ENGINE_PATTERNS["best"].search(line):
            parsed["best_raw"] = {"items_per_s": float(m.group(1)), "batch": int(m.group(2))}
        if m := ENGINE_PATTERNS["ratio"].search(line):
            parsed["ratios"].append({"batch": int(m.group(1)), "callers": int(m.group(2)),
                                     "ratio": float(m.group(3)), "served": float(m.group(4)),
                                     "raw": float(m.group(5))})
    return parsed


class Server:
    """affect-server on the real models, on a free loopback port."""

    def __init__(self, server_binary, client_binary, repository, log_path):
        self.port = free_port()
        self.address = "127.0.0.1:%d" % self.port
        self.client = client_binary
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [server_binary, "--host=127.0.0.1", "--port=%d" % self.port, "--metrics_port=-1",
             "--model_repository=" + repository, "--log_level=warning"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def wait_until_serving(self):
        started = time.time()
        result = subprocess.run([self.client, "health", "--server=" + self.address,
                                 "--wait=240s", "--output=json"],
                                capture_output=True, text=True)
        if result.returncode != 0 or self.process.poll() is not None:
            raise RuntimeError("affect-server did not become SERVING: %s%s" %
                               (result.stdout, result.stderr))
        return time.time() - started

    def client_json(self, *command):
        result = subprocess.run([self.client, *command, "--server=" + self.address,
                                 "--output=json"], capture_output=True, text=True, timeout=60)
        return json.loads(result.stdout) if result.returncode == 0 else {}

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def run_bench(bench, server, mode, concurrency, args, duration):
    command = [bench, "--server=" + server.address, "--images=" + args.images, "--mode=" + mode,
               "--concurrency=%d" % concurrency, "--duration=" + duration,
               "--warmup=%d" % min(concurrency, 4), "--deadline=120s", "--drain_timeout=180s",
               "--json"]
    if mode == "stream":
        command.append("--fps=" + args.fps)
    if args.analyses:
        command.append("--analyses=" + args.analyses)
    log("%s concurrency %d: %s" % (mode, concurrency,
                                   " ".join(shlex.quote(os.path.relpath(c, ROOT)
                                                        if c.startswith(ROOT) else c)
                                            for c in command)))
    started = time.time()
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if server.process.poll() is not None:
        raise RuntimeError("affect-server exited (code %s) during the run" %
                           server.process.returncode)
    if not result.stdout.strip().startswith("{"):
        log("affect-bench failed (exit %d): %s" % (result.returncode, result.stderr.strip()))
        return {"mode": mode, "concurrency": concurrency, "failed_to_run": result.stderr.strip()}
    figures = json.loads(result.stdout)
    figures["wall_s"] = time.time() - started
    log("  %.2f/s, p50 %.0f ms, p99 %.0f ms, %d ok, %d failed, %d dropped" % (
        figures["throughput_per_s"], figures["latency_ms"]["p50"], figures["latency_ms"]["p99"],
        figures["ok"], figures["failed"], figures["frames_dropped"]))
    return figures


def plot(results, out_dir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing (apt-get install python3-matplotlib): no plots")
        return False
    modes = [m for m in ("unary", "stream") if any(r["mode"] == m for r in results)]
    styles = {"unary": "-o", "stream": "-s"}

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for mode in modes:
        points = [r for r in results if r["mode"] == mode and "throughput_per_s" in r]
        ax.plot([r["concurrency"] for r in points], [r["throughput_per_s"] for r in points],
                styles[mode], label="%s (%s/s)" % (mode, "requests" if mode == "unary" else
                                                   "frames"))
    ax.set_xscale("log", base=2)
    ax.set_xticks([r["concurrency"] for r in results if r["mode"] == modes[0]])
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_xlabel("concurrency (calls or streams in flight)")
    ax.set_ylabel("answered OK per second")
    ax.set_ylim(bottom=0)
    ax.set_title("AffectServe throughput")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "throughput.png"))
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    colors = {"p50": "tab:green", "p90": "tab:orange", "p99": "tab:red"}
    for mode in modes:
        points = [r for r in results if r["mode"] == mode and r.get("ok", 0) > 0]
        for percentile, color in colors.items():
            ax.plot([r["concurrency"] for r in points],
                    [r["latency_ms"][percentile] for r in points],
                    styles[mode], color=color, alpha=1.0 if mode == "unary" else 0.55,
                    label="%s %s" % (mode, percentile))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks([r["concurrency"] for r in results if r["mode"] == modes[0]])
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.set_xlabel("concurrency (calls or streams in flight)")
    ax.set_ylabel("latency, ms (log scale)")
    ax.set_title("AffectServe latency percentiles")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "latency.png"))
    plt.close(fig)
    return True


def markdown(report, plotted):
    lines = []
    add = lines.append
    info = report["server_info"]
    machine = report["machine"]
    add("# AffectServe performance report")
    add("")
    add("Generated %s by `%s` (git %s, %s run)." % (report["date"], report["command"],
                                                      report["git"], report["kind"]))
    add("")
    add("- **Machine**: %d cores, %s; load average %.1f when the run started (other work on "
        "the machine counts against the figures)." % (machine["cores"], machine["cpu"],
                                                        machine["load_average"][0]))
    add("- **Environment** (server and engine benchmark): %s." % ", ".join(
        "%s=%s" % item for item in machine["environment"].items()))
    add("- **Server**: affect-server %s, LibTorch %s, device %s, intra-op threads %s; models "
        "loaded and warmed up in %.0f s." % (
            info.get("version", "?"), info.get("torchVersion", "?"), info.get("device", "?"),
            info.get("intraOpThreads", "?"), report["server_start_s"]))
    add("- **Input**: %d photos from `%s` sent in turn (mean %.0f KiB JPEG), analyses: %s." % (
        report["images"], report["images_dir"],
        report["image_kib_mean"], report["analyses"] or "all (emotion, attire, scene)"))
    add("- **Unary**: closed loop: each of N workers sends its next `Analyze` when the answer "
        "arrives; latency from call start to answer.")
    add("- **Stream**: N `AnalyzeStream` sessions, each sending %s frames/s on a fixed timetable "
        "(open loop), drop policy `drop_oldest`; latency from each frame's *scheduled* time to "
        "its result (queueing counts: no coordinated omission); frames the server drops are "
        "counted, not timed." % report["fps"])
    add("- Each point runs %s after %s warm-up requests (not counted); throughput is answers "
        "OK over first send to last answer." % (report["duration"], "min(N, 4)"))
    add("")
    add("| mode | concurrency | throughput /s | p50 ms | p90 ms | p99 ms | max ms | ok | "
        "errors | dropped |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for r in report["results"]:
        if "failed_to_run" in r:
            add("| %s | %d | - | - | - | - | - | - | did not run: %s | - |" % (
                r["mode"], r["concurrency"], r["failed_to_run"].replace("|", "/")))
            continue
        latency = r["latency_ms"]
        errors = ", ".join("%s %d" % (code, count) for code, count in r["errors"].items()) or "0"
        add("| %s | %d | %.2f | %.0f | %.0f | %.0f | %.0f | %d | %s | %s |" % (
            r["mode"], r["concurrency"], r["throughput_per_s"], latency["p50"], latency["p90"],
            latency["p99"], latency["max"], r["ok"], errors,
            r["frames_dropped"] if r["mode"] == "stream" else "-"))
    messages = {}
    for r in report["results"]:
        for code, message in r.get("error_messages", {}).items():
            messages.setdefault(code, message)
    for code, message in sorted(messages.items()):
        add("")
        add("%s: \"%s\"" % (code, message))
    add("")
    if plotted:
        add("![Throughput against concurrency](throughput.png)")
        add("![Latency percentiles against concurrency](latency.png)")
        add("")
    engine = report.get("engine")
    add("## Served vs raw model throughput")
    add("")
    if not engine:
        add("The engine benchmark (`affect-engine-bench`) was not run (not built, or "
            "`--skip_engine`).")
    else:
        add("From `%s` (run before the server started, so that nothing else competed for the "
            "CPU). *Raw* is `forward()` on ready batches; *served* is the same model behind the "
            "dynamic batcher with concurrent callers." % engine["command"])
        add("")
        if engine.get("best_raw"):
            add("- Best raw throughput: **%.1f items/s** at batch %d." % (
                engine["best_raw"]["items_per_s"], engine["best_raw"]["batch"]))
        for ratio in engine["ratios"]:
            add("- served/raw ratio at batch %d with %d callers: **%.3f** (served %.1f items/s, "
                "raw %.1f items/s)" % (ratio["batch"], ratio["callers"], ratio["ratio"],
                                       ratio["served"], ratio["raw"]))
        if not engine["ratios"]:
            add("- No served/raw line found in its output (see engine_bench.txt).")
        add("")
        add("```")
        lines.extend(engine["summary_lines"])
        add("```")
    add("")
    return "\n".join(lines) + "\n"


def main():
    args = parse_args()
    # libgomp reads OMP_WAIT_POLICY when it loads; spinning waits distort every
    # figure on a small machine (server/engine/README.md). The server sets it
    # itself when unset, the engine benchmark does not: set it for both.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if args.render_only:
        with open(os.path.join(args.out, "results.json")) as f:
            report = json.load(f)
        plotted = plot(report["results"], args.out)
        with open(os.path.join(args.out, "report.md"), "w") as f:
            f.write(markdown(report, plotted))
        return
    concurrency = [int(c) for c in (args.concurrency or
                                    ("1,4,16" if args.quick else "1,4,16,64")).split(",")]
    duration = args.duration or ("5s" if args.quick else "20s")
    server_binary = binary(args.build_dir, "server/affect-server")
    client_binary = binary(args.build_dir, "client/cli/affect-client")
    bench_binary = binary(args.build_dir, "client/bench/affect-bench")
    engine_binary = binary(args.build_dir, "bench/affect-engine-bench")
    missing = [name for name, path in (("affect-server", server_binary),
                                       ("affect-client", client_binary),
                                       ("affect-bench", bench_binary)) if path is None]
    if missing:
        sys.exit("perf_report: %s not built in %s (ninja -C %s %s)" % (
            ", ".join(missing), args.build_dir, args.build_dir, " ".join(missing)))
    if not os.path.isdir(args.images):
        sys.exit("perf_report: no photos in %s (run models/fetch first, or pass --images)" %
                 args.images)
    os.makedirs(args.out, exist_ok=True)
    images = [f for f in sorted(os.listdir(args.images))
              if f.lower().endswith((".jpg", ".jpeg", ".png", ".bmp", ".webp"))]
    sizes = [os.path.getsize(os.path.join(args.images, f)) for f in images]
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bench/perf_report.py" + (" --quick" if args.quick else ""),
        "git": git_revision(),
        "kind": "quick" if args.quick else "full",
        "machine": machine_description(),
        "duration": duration,
        "fps": args.fps,
        "analyses": args.analyses,
        "images": len(images),
        "images_dir": os.path.relpath(os.path.abspath(args.images), ROOT),
        "image_kib_mean": (sum(sizes) / len(sizes) / 1024) if sizes else 0,
        "results": [],
    }
    started = time.time()
    if engine_binary and not args.skip_engine:
        report["engine"] = run_engine_bench(engine_binary, args, args.out)
    elif not args.skip_engine:
        log("affect-engine-bench not built in %s: skipping the served/raw ratio" % args.build_dir)

    with tempfile.TemporaryDirectory(prefix="affect-perf-") as scratch:
        server = Server(server_binary, client_binary, os.path.abspath(args.model_repository),
                        os.path.join(scratch, "server.log"))
        try:
            log("starting affect-server on %s" % server.address)
            report["server_start_s"] = server.wait_until_serving()
            report["server_info"] = server.client_json("info")
            for mode in ("unary", "stream"):
                for c in concurrency:
                    report["results"].append(
                        run_bench(bench_binary, server, mode, c, args, duration))
        except Exception:
            with open(os.path.join(scratch, "server.log")) as f:
                sys.stderr.write(f.read()[-4000:])
            raise
        finally:
            server.stop()
    report["elapsed_s"] = time.time() - started
    plotted = plot(report["results"], args.out)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(markdown(report, plotted))
    log("done in %.0f s: %s" % (report["elapsed_s"], os.path.join(args.out, "report.md")))
    if not args.skip_goodput:
        # Many callers, in the same run: the Python baseline and the project with the same
        # client and photos, goodput past saturation, streams, recovery (goodput.md).
        command = [sys.executable, os.path.join(ROOT, "bench", "goodput_report.py"),
                   "--build_dir=" + args.build_dir, "--out=" + args.out,
                   "--model_repository=" + args.model_repository, "--images=" + args.images]
        if args.quick:
            command.append("--quick")
        log("goodput report: " + " ".join(shlex.quote(c) for c in command))
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
