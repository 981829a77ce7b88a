// Process settings that LibTorch's CPU performance depends on, applied at
// the top of the server's main(). Measured in bench/engine_benchmark.cc (see
// server/engine/README.md "Performance").
#ifndef AFFECT_SERVER_COMMON_PROCESS_TUNING_H_
#define AFFECT_SERVER_COMMON_PROCESS_TUNING_H_

namespace affect {

// glibc returns the large activation buffers of each forward to the kernel
// and faults them back in on the next one (~1500 page faults per batch-8
// forward; forwards took 30 ms instead of 16 ms). Raising the mmap and trim
// thresholds keeps them in the heap.
void TuneMallocForInference();

// libgomp reads OMP_WAIT_POLICY once, when it is loaded (before main), and
// its default spins waiting threads: on a shared 2-core machine batch-1
// forwards took 50-130 ms instead of ~1.3 ms. When the variable is unset,
// this sets it to PASSIVE and re-executes the program (same pid, same
// arguments) so that libgomp sees it; it returns only when no re-execution
// was needed or it failed. An operator's explicit setting is respected.
void EnsurePassiveOpenMpWaitPolicy(char** argv);

}  // namespace affect

#endif  // AFFECT_SERVER_COMMON_PROCESS_TUNING_H_
