#!/usr/bin/python3
"""What each image analysis adds to one answer: the pose and face-mesh models of BODY and
ATTENTION beside EMOTION, ATTIRE and SCENE.

One affect-server with default flags; affect-bench sends the demo photos one at a time
(concurrency 1, so nothing queues) for each set of analyses, and the report lists the
server-side service time (Timings.total_ms - wait_ms, p50 and p99) and what each set adds over
EMOTION alone. In streams the cost is paid only on the frames that run the analysis
(StreamConfig intervals, README "Many callers").

Writes bench/results/analysis_cost.md and analysis_cost.json.

Usage (after building; about 2 minutes on 2 cores):
  bench/analysis_cost_report.py [--build_dir=build] [--out=bench/results] [--duration=8s]
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import goodput_report  # noqa: E402  (the same server/bench plumbing)

SETS = ("emotion", "body", "emotion,attention", "emotion,body", "emotion,body,attention",
        "emotion,attire,scene", "emotion,attire,scene,body,attention")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build_dir", default="build")
    parser.add_argument("--out", default=os.path.join(goodput_report.ROOT, "bench", "results"))
    parser.add_argument("--model_repository",
                        default=os.path.join(goodput_report.ROOT, "models", "repository"))
    parser.add_argument("--images",
                        default=os.path.join(goodput_report.ROOT, "models", ".cache", "images"))
    parser.add_argument("--duration", default="8s")
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    report = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "git": subprocess.run(["git", "-C", goodput_report.ROOT, "rev-parse", "--short=12",
                                     "HEAD"], capture_output=True, text=True).stdout.strip(),
              "cores": os.cpu_count(), "duration": args.duration, "sets": {}}
    with tempfile.TemporaryDirectory(prefix="affect-cost-") as scratch:
        run = goodput_report.Run(args, scratch)
        process, address = run.start_server()
        try:
            for analyses in SETS:
                report["sets"][analyses] = run.bench_run(address, "unary", 1, analyses,
                                                         args.duration)
        finally:
            process.stop()
    base = report["sets"]["emotion"].get("service_ms", {}).get("p50", 0)
    lines = ["# What each analysis costs per image", "",
             "Generated %s by `bench/analysis_cost_report.py` (git %s) on %d cores: one "
             "affect-server with default flags, affect-bench at concurrency 1 for %s per set, "
             "the six demo photos (1920 px, 1-5 people each)." % (
                 report["date"], report["git"], report["cores"], args.duration), "",
             "| analyses | answers/s | service p50 ms | service p99 ms | added over emotion, ms |",
             "|---|---:|---:|---:|---:|"]
    for analyses, f in report["sets"].items():
        service = f.get("service_ms", {})
        lines.append("| %s | %.2f | %.0f | %.0f | %+.0f |" % (
            analyses, f.get("throughput_per_s", 0), service.get("p50", 0), service.get("p99", 0),
            service.get("p50", 0) - base))
    lines += ["", "Service time is server-side, from the start of decoding to the answer "
              "(Timings.total_ms - wait_ms). BODY runs the face detector too (for the link). "
              "The pose model runs once per image, plus once per face no body links to (the "
              "second look, batched: one of the six photos, sample4, needs it for one face); the "
              "face mesh once per detected face (batched), so ATTENTION grows with the number "
              "of faces."]
    text = "\n".join(lines) + "\n"
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "analysis_cost.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(args.out, "analysis_cost.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
