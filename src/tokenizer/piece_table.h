// Flat hash tables for BPE vocabularies: byte string -> id, and (left, right)
// piece pair -> merge rank. Open addressing with linear probing over one array
// of slots, keys kept in one arena, so a lookup touches about two cache lines
// (std::unordered_map chases three pointers). Built once, then read-only and safe
// to share across threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace llamafast {

// A 64-bit hash of a byte string (multiply-xorshift over 8-byte words).
uint64_t hash_bytes(std::string_view s);

class PieceTable {
 public:
  void reserve(size_t n);
  // Adds `key` -> `id`; false (and no change) when `key` is already present.
  bool insert(std::string_view key, int id);
  // The id of `key`, or -1.
  int find(std::string_view key) const { return find(key, hash_bytes(key)); }
  int find(std::string_view key, uint64_t hash) const;
  size_t size() const { return size_; }
  // Where `id`'s key sits in the arena (for PairTable); only for ids inserted.
  struct KeyRef {
    uint32_t offset;
    uint32_t length;
  };
  std::string_view key_at(KeyRef r) const { return std::string_view(arena_).substr(r.offset, r.length); }
  // The arena position of `key`; length 0 when it is absent.
  KeyRef ref(std::string_view key) const;

 private:
  struct Slot {
    uint64_t hash;
    uint32_t offset;
    uint32_t length;
    int32_t id;  // -1: empty
  };
  void grow();
  size_t slot_of(std::string_view key, uint64_t hash) const;  // its slot, or the empty slot where it would go

  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0;
};

// (left, right) -> rank for pairs whose concatenation is a key of `pieces`.
class PairTable {
 public:
  explicit PairTable(const PieceTable* pieces = nullptr) : pieces_(pieces) {}
  void reserve(size_t n);
  // Adds (left, right) -> rank; false (and no change) when the pair is already
  // there (the first rank stays) or left + right is not a key of the PieceTable.
  bool insert(std::string_view left, std::string_view right, int rank);
  int find(std::string_view left, std::string_view right) const;  // -1 when absent
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash;
    uint32_t offset;  // of left + right in the PieceTable's arena
    uint32_t left_length;
    uint32_t right_length;
    int32_t rank;  // -1: empty
  };
  static uint64_t pair_hash(std::string_view left, std::string_view right);
  bool matches(const Slot& s, uint64_t hash, std::string_view left, std::string_view right) const;
  void grow();

  const PieceTable* pieces_;
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace llamafast
