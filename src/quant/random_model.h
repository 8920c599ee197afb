// Random-weight models of real shapes, for benchmarks: a Checkpoint whose
// matrices have no data, filled row by row at export time, so a 7B model in
// int4 is written without an fp32 copy anywhere.
#pragma once

#include <memory>
#include <string>

#include "model/checkpoint.h"

namespace llamafast {

// "stories110m", "tinyllama-1.1b", "llama-3.2-1b", "llama-2-7b"; Error for others.
std::unique_ptr<Checkpoint> random_checkpoint(const std::string& shape);

// Row `row` of the random tensor `name`: norms are 1, matrices uniform with
// standard deviation 0.02 from a generator seeded by (name, row), so any row can
// be made alone and every run writes the same model.
void random_row(const std::string& name, bool is_norm, int row, float* out, int n);

}  // namespace llamafast
