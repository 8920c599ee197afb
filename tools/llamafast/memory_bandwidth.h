// Measures this machine's sustained memory read bandwidth: the roofline that
// decode speed is judged against (decode streams every weight once per token).
#pragma once

namespace llamafast::cli {

// Bytes per second reading a buffer far larger than the caches with `threads`
// threads; best of a few passes. Takes about a second.
double measure_read_bandwidth(int threads);

// The same, measured in a child process, so that its 1 GiB buffer never counts
// in this process's peak RSS. Call it before this process starts threads.
// Returns 0 if the child could not run.
double measure_read_bandwidth_in_child(int threads);

}  // namespace llamafast::cli
