#include "generate/text_stream.h"

#include <algorithm>

#include "tokenizer/utf8.h"

namespace llamafast {

namespace {

// Bytes at the end of s that begin a UTF-8 character not yet complete.
size_t incomplete_tail(std::string_view s) {
  // A character is at most 4 bytes: look back at most 3 for its lead byte.
  for (size_t back = 1; back <= std::min<size_t>(3, s.size()); ++back) {
    const uint8_t b = uint8_t(s[s.size() - back]);
    if ((b & 0xc0) == 0x80) continue;  // continuation byte: keep looking
    return utf8_sequence_length(b) > back ? back : 0;
  }
  return 0;
}

}  // namespace

std::string TextStream::push(std::string_view bytes) {
  if (stopped_) return {};
  pending_ += bytes;
  size_t release = pending_.size();
  for (const std::string& s : stop_) {
    if (s.empty()) continue;
    if (size_t at = pending_.find(s); at != std::string::npos) {
      stopped_ = true;
      release = std::min(release, at);
    }
  }
  if (!stopped_) {
    // Hold back a suffix that could still grow into a stop string.
    for (const std::string& s : stop_) {
      if (s.empty()) continue;
      for (size_t k = std::min(s.size() - 1, pending_.size()); k > 0; --k) {
        if (pending_.compare(pending_.size() - k, k, s, 0, k) == 0) {
          release = std::min(release, pending_.size() - k);
          break;
        }
      }
    }
    release -= incomplete_tail(std::string_view(pending_).substr(0, release));
  }
  std::string out = pending_.substr(0, release);
  pending_.erase(0, stopped_ ? pending_.size() : release);
  return out;
}

std::string TextStream::flush() {
  if (stopped_) return {};
  std::string out = std::move(pending_);
  pending_.clear();
  return out;
}

}  // namespace llamafast
