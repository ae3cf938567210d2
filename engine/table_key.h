// TableKey: the document table's key, 24 bytes (DECISIONS.md D100).
//
// The table's node holds TBB's header, the key and an 8-byte SnapshotPtr; a
// key of 24 bytes makes it 48 bytes, a 64-byte malloc chunk, where a 40-byte
// DocId made it an 80-byte one: 16 bytes less per document. A canonical
// lowercase UUID (every id snapstore generates) is kept as its 128 bits,
// which index::IdOrder already knows how to read; any other id keeps its
// exact text, inline up to kInlineCapacity bytes, else in a heap block. Only
// texts that round-trip exactly are packed, so an uppercase UUID stays an id
// distinct from its lowercase form. The key's text is never read back: the
// table's users read a document's id from its snapshot (snapshot->id).
//
// Lookups by text go through an IdProbe, which reads the text once; the
// table's hash and equality then agree on a probe and a key: the packed
// bits' hash for a canonical UUID, the text's hash for any other id.
//
// Thread safety: value types, immutable once built.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>

#include "index/id_order.h"

namespace snapstore::engine {

// A text id read once for lookups in the table.
class IdProbe {
 public:
  explicit IdProbe(std::string_view id) noexcept : text_(id) {
    const index::IdOrder order(id);
    uuid_ = order.is_uuid();
    high_ = order.high();
    low_ = order.low();
  }

  std::size_t hash() const noexcept { return uuid_ ? hash_bits(high_, low_) : hash_text(text_); }

  // The hashes the table uses, here so a probe and a key always agree.
  static std::size_t hash_bits(std::uint64_t high, std::uint64_t low) noexcept {
    const std::uint64_t h = (high ^ std::rotl(low, 32)) * 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(h ^ (h >> 32));  // TBB picks buckets by the low bits
  }
  static std::size_t hash_text(std::string_view text) noexcept { return std::hash<std::string_view>{}(text); }

 private:
  friend class TableKey;

  std::string_view text_;
  std::uint64_t high_ = 0;
  std::uint64_t low_ = 0;
  bool uuid_ = false;
};

class TableKey {
 public:
  static constexpr std::size_t kInlineCapacity = 23;

  explicit TableKey(std::string_view id) {
    const index::IdOrder order(id);
    if (order.is_uuid()) {
      set_uuid(order.high(), order.low());
    } else {
      assign_text(id);
    }
  }
  // The key of a probe's id: what the table builds when an insert by probe
  // adds the id, from the bits the probe already read.
  explicit TableKey(const IdProbe& probe) {
    if (probe.uuid_) {
      set_uuid(probe.high_, probe.low_);
    } else {
      assign_text(probe.text_);
    }
  }
  // A canonical lowercase UUID given as its bits (the id generator has them):
  // equal to TableKey(its text), without reading the text.
  static TableKey of_uuid(std::uint64_t high, std::uint64_t low) noexcept { return TableKey(high, low); }

  TableKey(const TableKey& other) {
    if (other.on_heap()) {
      assign_text(other.text());
    } else {
      std::memcpy(bytes_, other.bytes_, sizeof bytes_);
    }
  }
  TableKey(TableKey&& other) noexcept {
    std::memcpy(bytes_, other.bytes_, sizeof bytes_);
    other.bytes_[kTagByte] = 0;  // the heap block, if any, is ours now
  }
  TableKey& operator=(const TableKey& other) {
    if (this != &other) *this = TableKey(other);
    return *this;
  }
  TableKey& operator=(TableKey&& other) noexcept {
    if (this != &other) {
      release();
      std::memcpy(bytes_, other.bytes_, sizeof bytes_);
      other.bytes_[kTagByte] = 0;
    }
    return *this;
  }
  ~TableKey() { release(); }

  // The id's order in an index entry: from the bits for a packed UUID (no
  // text to parse), else from the text. What create_index's build reads.
  index::IdOrder id_order() const noexcept {
    return is_uuid() ? index::IdOrder::of_uuid(word(0), word(8)) : index::IdOrder(text());
  }

  std::size_t hash() const noexcept {
    return is_uuid() ? IdProbe::hash_bits(word(0), word(8)) : IdProbe::hash_text(text());
  }
  bool matches(const IdProbe& probe) const noexcept {
    if (probe.uuid_ != is_uuid()) return false;
    return probe.uuid_ ? probe.high_ == word(0) && probe.low_ == word(8) : probe.text_ == text();
  }
  friend bool operator==(const TableKey& a, const TableKey& b) noexcept {
    if (a.is_uuid() != b.is_uuid()) return false;
    return a.is_uuid() ? a.word(0) == b.word(0) && a.word(8) == b.word(8) : a.text() == b.text();
  }

 private:
  // bytes_[kTagByte] is the inline text's length, kUuidTag (the bits in the
  // first two words) or kHeapTag (the text's pointer and size there).
  static constexpr std::size_t kTagByte = kInlineCapacity;
  static constexpr unsigned char kUuidTag = 0xFE;
  static constexpr unsigned char kHeapTag = 0xFF;

  TableKey(std::uint64_t high, std::uint64_t low) noexcept { set_uuid(high, low); }

  unsigned char tag() const noexcept { return static_cast<unsigned char>(bytes_[kTagByte]); }
  bool is_uuid() const noexcept { return tag() == kUuidTag; }
  bool on_heap() const noexcept { return tag() == kHeapTag; }
  std::uint64_t word(std::size_t at) const noexcept {
    std::uint64_t w = 0;
    std::memcpy(&w, bytes_ + at, sizeof w);
    return w;
  }
  // The id's text; only for a key that is not a packed UUID.
  std::string_view text() const noexcept {
    if (!on_heap()) return {bytes_, tag()};
    const char* data = nullptr;
    std::memcpy(&data, bytes_, sizeof data);
    return {data, static_cast<std::size_t>(word(8))};
  }
  void set_uuid(std::uint64_t high, std::uint64_t low) noexcept {
    std::memcpy(bytes_, &high, sizeof high);
    std::memcpy(bytes_ + 8, &low, sizeof low);
    bytes_[kTagByte] = static_cast<char>(kUuidTag);
  }
  void assign_text(std::string_view id) {
    if (id.size() <= kInlineCapacity) {
      if (!id.empty()) std::memcpy(bytes_, id.data(), id.size());
      bytes_[kTagByte] = static_cast<char>(id.size());
      return;
    }
    char* data = new char[id.size()];
    std::memcpy(data, id.data(), id.size());
    const std::uint64_t size = id.size();
    std::memcpy(bytes_, &data, sizeof data);
    std::memcpy(bytes_ + 8, &size, sizeof size);
    bytes_[kTagByte] = static_cast<char>(kHeapTag);
  }
  void release() noexcept {
    if (!on_heap()) return;
    const char* data = nullptr;
    std::memcpy(&data, bytes_, sizeof data);
    delete[] data;
  }

  alignas(8) char bytes_[kInlineCapacity + 1];
};

static_assert(sizeof(TableKey) == 24, "the table's node fits a 64-byte malloc chunk with it (DECISIONS.md D100)");

// The table's hash and equality: a key against a key (inserts, rehashing) or
// against a probe (lookups by text). Transparent, so lookups build no key.
struct TableKeyHashCompare {
  using is_transparent = void;
  static std::size_t hash(const TableKey& key) noexcept { return key.hash(); }
  static std::size_t hash(const IdProbe& probe) noexcept { return probe.hash(); }
  static bool equal(const TableKey& a, const TableKey& b) noexcept { return a == b; }
  static bool equal(const IdProbe& probe, const TableKey& key) noexcept { return key.matches(probe); }
};

}  // namespace snapstore::engine
