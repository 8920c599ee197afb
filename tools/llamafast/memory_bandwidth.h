// Measures this machine's sustained memory read bandwidth: the roofline that
// decode speed is judged against (decode streams every weight once per token).
#pragma once

namespace llamafast::cli {

// Bytes per second reading a buffer far larger than the caches with `threads`
// threads; best of a few passes. Takes about a second.
double measure_read_bandwidth(int threads);

}  // namespace llamafast::cli
