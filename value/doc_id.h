// DocId: a document id kept inside the object that holds it.
//
// Every document's id is stored in each of its snapshots (the table's key
// packs it apart: engine/table_key.h) and compared on index ties. A std::string keeps a 36-character UUIDv7 in a heap block of its own
// (the small-string buffer holds 15): 48 bytes and a cache miss more per copy.
// A DocId holds ids of up to kInlineCapacity bytes inline (every id snapstore
// generates) and only longer ones, which restored or replayed stores may
// carry, in a heap block.
#pragma once

#include <compare>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace snapstore::value {

class DocId {
 public:
  static constexpr std::size_t kInlineCapacity = 39;

  DocId() noexcept { bytes_[kTagByte] = 0; }
  explicit DocId(std::string_view id) { assign(id); }
  DocId(const DocId& other) { assign(other.view()); }
  DocId(DocId&& other) noexcept {
    std::memcpy(bytes_, other.bytes_, sizeof bytes_);
    other.bytes_[kTagByte] = 0;  // the heap block, if any, is ours now
  }
  DocId& operator=(const DocId& other) {
    if (this != &other) *this = DocId(other);
    return *this;
  }
  DocId& operator=(DocId&& other) noexcept {
    if (this != &other) {
      release();
      std::memcpy(bytes_, other.bytes_, sizeof bytes_);
      other.bytes_[kTagByte] = 0;
    }
    return *this;
  }
  ~DocId() { release(); }

  std::string_view view() const noexcept {
    if (on_heap()) return {heap_data(), heap_size()};
    return {bytes_, static_cast<std::size_t>(static_cast<unsigned char>(bytes_[kTagByte]))};
  }
  operator std::string_view() const noexcept { return view(); }  // an id reads as its text
  std::string str() const { return std::string(view()); }

  friend bool operator==(const DocId& a, const DocId& b) noexcept { return a.view() == b.view(); }
  friend std::strong_ordering operator<=>(const DocId& a, const DocId& b) noexcept { return a.view() <=> b.view(); }

 private:
  // bytes_[kTagByte] is the inline length, or kHeapTag when the id is on the
  // heap; then bytes_ starts with its pointer and its size.
  static constexpr std::size_t kTagByte = kInlineCapacity;
  static constexpr unsigned char kHeapTag = 0xFF;

  bool on_heap() const noexcept { return static_cast<unsigned char>(bytes_[kTagByte]) == kHeapTag; }
  char* heap_data() const noexcept {
    char* data = nullptr;
    std::memcpy(&data, bytes_, sizeof data);
    return data;
  }
  std::size_t heap_size() const noexcept {
    std::size_t size = 0;
    std::memcpy(&size, bytes_ + sizeof(char*), sizeof size);
    return size;
  }
  void assign(std::string_view id) {
    if (id.size() <= kInlineCapacity) {
      if (!id.empty()) std::memcpy(bytes_, id.data(), id.size());
      bytes_[kTagByte] = static_cast<char>(id.size());
      return;
    }
    char* data = new char[id.size()];
    std::memcpy(data, id.data(), id.size());
    const std::size_t size = id.size();
    std::memcpy(bytes_, &data, sizeof data);
    std::memcpy(bytes_ + sizeof data, &size, sizeof size);
    bytes_[kTagByte] = static_cast<char>(kHeapTag);
  }
  void release() noexcept {
    if (on_heap()) delete[] heap_data();
  }

  alignas(8) char bytes_[kInlineCapacity + 1];
};

static_assert(sizeof(DocId) == DocId::kInlineCapacity + 1);

}  // namespace snapstore::value
