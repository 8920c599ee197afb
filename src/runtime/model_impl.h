// What a loaded Model holds (shared by Session and the surfaces that need more
// than the public API shows, such as the benchmarks).
#pragma once

#include <memory>

#include "llamafast/model.h"
#include "model/checkpoint.h"
#include "model/weights.h"

namespace llamafast {

struct Model::Impl {
  std::unique_ptr<Checkpoint> checkpoint;  // owns the mapped files
  ModelWeights weights;                    // views into the checkpoint
  std::unique_ptr<Tokenizer> tokenizer;
  ModelInfo info;
};

}  // namespace llamafast
