// Sizing the server for the machine it runs on. Every thread count the
// operator leaves at 0 is chosen by one documented rule, derived from
// end-to-end measurements of the whole service (bench/perf_report.py, the
// README's "Tuning"), not from a micro-benchmark of one model:
//
//   intra_op_threads   = cores     one model execution may use every core:
//                                  on 2 cores, EMOTION at 8 callers went from
//                                  26.9 answers/s (1 thread) to 51.5 (2)
//   decode_threads     = cores     JPEG/PNG decoding is CPU-bound
//   worker_threads     = cores     pre/post-processing, also CPU-bound
//   max_running_frames = cores     stream frames in decode or the models at
//                                  once. Measured on 2 cores, 20 streams of
//                                  2 frames/s with all analyses (4x
//                                  overload): 2 running frames answered
//                                  10.8 frames/s, p50 920 ms, p99 1211 ms;
//                                  4 answered 10.5/s, p50 1079, p99 1217;
//                                  at 5 streams (no overload) p50 113 ms
//                                  against 131. Fewer frames inside the
//                                  pipeline, where age is not checked, and
//                                  no less throughput
//   max_running_requests           work from decoding to the end of the
//                      = 4 x cores models, in requests weighted by their
//                                  large models (EMOTION 1, + attire 1,
//                                  + scene 1). Measured on 2 cores, 8
//                                  callers, 12-15 s runs: an unweighted
//                                  limit of 4 gave EMOTION 56/s and all
//                                  analyses 9.4/s, of 8 gave 64/s and 7.9/s;
//                                  this weighted 8 gave 59-65/s and
//                                  8.4-11.2/s (run-to-run spread ~15%).
//                                  Excess waits in the admission queue
//                                  (deadline-checked, refused in
//                                  microseconds), not in the model queues
//
// How those figures were taken (this repository's 2-core VM, nothing else
// running, the six demo photos of models/.cache/images: the same photos as
// bench/results/goodput.md, so these are throughput choices, not tuned on a
// held-out set): affect-server with the flag under test, then
//   affect-bench --images=models/.cache/images --mode=unary --concurrency=8
//     --duration=15s --warmup=8 --deadline=60s [--analyses=emotion]
//   affect-bench --images=models/.cache/images --mode=stream --concurrency=N
//     --fps=2 --duration=15s --warmup=4 --deadline=60s  (N = 5, 20; server
//     with --max_streams=1024 --max_streams_per_connection=1024)
//
// "cores" is what this process may actually use: the CPU affinity mask,
// capped by a cgroup CPU quota (a Kubernetes CPU limit) when there is one.
#ifndef AFFECT_SERVER_API_MACHINE_DEFAULTS_H_
#define AFFECT_SERVER_API_MACHINE_DEFAULTS_H_

#include <string>

#include "server/api/server_options.h"

namespace affect {

// CPU cores this process may use (>= 1).
int UsableCpuCores();

// `options` with every 0 thread count replaced by the rule above for
// `cores`; `*chosen` (optional) lists what was chosen, for logs and
// GetServerInfo ("intra_op_threads=2 decode_threads=2 ...", empty if
// nothing).
ServerOptions ApplyMachineDefaults(ServerOptions options, int cores, std::string* chosen);

}  // namespace affect

#endif  // AFFECT_SERVER_API_MACHINE_DEFAULTS_H_
