#include "tokenizer/piece_table.h"

#include "common/error.h"

namespace llamafast {

namespace {

inline uint64_t mix(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ull;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ull;
  x ^= x >> 32;
  return x;
}

}  // namespace

uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ (s.size() * 0xff51afd7ed558ccdull);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
  return mix(h ^ tail);
}

void PieceTable::reserve(size_t n) {
  size_t cap = 16;
  while (cap * 7 < n * 10) cap *= 2;  // load factor at most 0.7
  if (cap <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(cap, Slot{0, 0, 0, -1});
  for (const Slot& s : old)
    if (s.id >= 0) slots_[slot_of(key_at({s.offset, s.length}), s.hash)] = s;
}

void PieceTable::grow() { reserve(slots_.empty() ? 8 : slots_.size()); }  // doubles

size_t PieceTable::slot_of(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = size_t(hash) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.id < 0) return i;
    if (s.hash == hash && s.length == key.size() && std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0)
      return i;
  }
}

bool PieceTable::insert(std::string_view key, int id) {
  if (10 * (size_ + 1) > 7 * slots_.size()) grow();
  const uint64_t hash = hash_bytes(key);
  const size_t i = slot_of(key, hash);
  if (slots_[i].id >= 0) return false;
  if (arena_.size() + key.size() > UINT32_MAX) fail_internal("vocabulary larger than 4 GiB");
  slots_[i] = {hash, uint32_t(arena_.size()), uint32_t(key.size()), id};
  arena_.append(key);
  ++size_;
  return true;
}

int PieceTable::find(std::string_view key, uint64_t hash) const {
  if (slots_.empty()) return -1;
  return slots_[slot_of(key, hash)].id;
}

PieceTable::KeyRef PieceTable::ref(std::string_view key) const {
  if (slots_.empty()) return {0, 0};
  const Slot& s = slots_[slot_of(key, hash_bytes(key))];
  if (s.id < 0) return {0, 0};
  return {s.offset, s.length};
}

uint64_t PairTable::pair_hash(std::string_view left, std::string_view right) {
  return mix(hash_bytes(left) * 0x9e3779b97f4a7c15ull + hash_bytes(right));
}

void PairTable::reserve(size_t n) {
  size_t cap = 16;
  while (cap * 7 < n * 10) cap *= 2;  // load factor at most 0.7
  if (cap <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(cap, Slot{0, 0, 0, 0, -1});
  const size_t mask = cap - 1;
  for (const Slot& s : old) {
    if (s.rank < 0) continue;
    size_t i = size_t(s.hash) & mask;
    while (slots_[i].rank >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void PairTable::grow() { reserve(slots_.empty() ? 8 : slots_.size()); }

bool PairTable::insert(std::string_view left, std::string_view right, int rank) {
  if (10 * (size_ + 1) > 7 * slots_.size()) grow();
  const uint64_t hash = pair_hash(left, right);
  const size_t mask = slots_.size() - 1;
  size_t i = size_t(hash) & mask;
  for (; slots_[i].rank >= 0; i = (i + 1) & mask)
    if (matches(slots_[i], hash, left, right)) return false;
  std::string merged(left);
  merged += right;
  const PieceTable::KeyRef r = pieces_->ref(merged);
  if (r.length != merged.size() || merged.empty()) return false;
  slots_[i] = {hash, r.offset, uint32_t(left.size()), uint32_t(right.size()), rank};
  ++size_;
  return true;
}

bool PairTable::matches(const Slot& s, uint64_t hash, std::string_view left, std::string_view right) const {
  if (s.hash != hash || s.left_length != left.size() || s.right_length != right.size()) return false;
  const std::string_view m = pieces_->key_at({s.offset, s.left_length + s.right_length});
  return m.substr(0, left.size()) == left && m.substr(left.size()) == right;
}

int PairTable::find(std::string_view left, std::string_view right) const {
  if (slots_.empty()) return -1;
  const uint64_t hash = pair_hash(left, right);
  const size_t mask = slots_.size() - 1;
  for (size_t i = size_t(hash) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.rank < 0) return -1;
    if (matches(s, hash, left, right)) return s.rank;
  }
}

}  // namespace llamafast
