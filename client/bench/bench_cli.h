// affect-bench's command line: flags to LoadOptions, warm-up, the run, the
// report. In a library so tests run it in-process.
#ifndef AFFECT_CLIENT_BENCH_BENCH_CLI_H_
#define AFFECT_CLIENT_BENCH_BENCH_CLI_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/cli/command.h"

namespace affect::bench {

// Every flag affect-bench takes.
std::vector<client::FlagSpec> BenchFlagSpecs();

// Loads the images to send: every JPEG/PNG/BMP/WebP file directly in `dir`
// (sorted by name; other files skipped), or the one `file`. INVALID_ARGUMENT
// when none is found; NOT_FOUND for a missing path.
absl::StatusOr<std::vector<std::string>> LoadBenchImages(const std::string& dir,
                                                         const std::string& file,
                                                         std::string* source_label);

// Entry point; `args` is argv. Exit codes: 0 the run completed and at least
// one request succeeded (errors are in the report); 1 nothing succeeded;
// 2 usage error.
int RunBench(const std::vector<std::string>& args, const client::CommandEnv& env);

}  // namespace affect::bench

#endif  // AFFECT_CLIENT_BENCH_BENCH_CLI_H_
