// Snapshot: one immutable version of one document, shared by reference count.
//
// The document table points each id at its current Snapshot, and every index
// entry points at the Snapshot its key was read from; a write installs a new
// one and never changes an old one, so a reader, stream or cursor that holds
// a SnapshotPtr keeps that version alive, and nothing else does. The
// bytes are the document's msgpack encoding — the bytes the WAL record and
// the RocksDB value carry (unless recovery re-encoded a document whose keys
// were out of order) — always in the form value::scan::check_document()
// accepts (the encoder writes it; recovery checks what it loads), so views
// read them in place and the deep copy go-store promises decodes them
// without re-checking.
//
// One heap block per version (DECISIONS D99): a 64-byte header (the
// intrusive reference count, the byte count, version, revision, the id)
// followed by the bytes, allocated once at its exact size by
// Snapshot::make(). A std::shared_ptr made by make_shared took a second block
// for the bytes' std::string, 16 bytes of control block, and 16 bytes in
// every pointer to it (each index slot and table node).
//
//   value::SnapshotPtr s = value::Snapshot::make(id, bytes, 1, revision);
//   value::SnapshotPtr t = s;            // one more reference
//   use(t->id.view(), t->bytes());       // the version, read in place
#pragma once

#include <atomic>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "snapstore/status.h"
#include "snapstore/value_view.h"
#include "value/doc_id.h"
#include "value/msgpack_scan.h"

namespace snapstore::value {

class SnapshotPtr;

class Snapshot {
 public:
  // A new version holding a copy of `bytes` (the caller's document, in the
  // form check_document() accepts), with one reference: the returned one.
  // Throws std::bad_alloc like make_shared did, and std::length_error for
  // bytes of 4 GiB or more (documents are capped at 128 MiB long before).
  static SnapshotPtr make(std::string_view id, std::string_view bytes, std::uint64_t version,
                          std::uint64_t revision);
  // For bytes from storage (RocksDB, the WAL): make() after
  // make_checked_document's check, re-encoding a document whose map keys
  // are out of order; Corruption naming why for bytes that are not one.
  static Result<SnapshotPtr> make_checked(std::string_view id, std::string_view bytes, std::uint64_t version,
                                          std::uint64_t revision, std::size_t max_depth);

  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // The msgpack encoding of the document (an object), inside this block.
  std::string_view bytes() const noexcept { return {reinterpret_cast<const char*>(this + 1), size_}; }

 private:
  friend class SnapshotPtr;
  Snapshot(std::string_view id_text, std::uint32_t size, std::uint64_t version_number, std::uint64_t revision_number)
      : size_(size), version(version_number), revision(revision_number), id(id_text) {}
  ~Snapshot() = default;

  void retain() const noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  // Release on the decrement so this thread's reads happen before the
  // delete; acquire on the last one so the delete follows every other's.
  void release() const noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy(this);
  }
  static void destroy(const Snapshot* snapshot) noexcept;

  mutable std::atomic<std::uint32_t> refs_{1};
  const std::uint32_t size_;  // of bytes()

 public:
  const std::uint64_t version;   // 1 on insert, +1 per update
  const std::uint64_t revision;  // the store-wide sequence number of the write
  const DocId id;                // the document's id, the same in every version
};

// 64 bytes of header: with 199 bytes of document, one 272-byte heap chunk.
static_assert(sizeof(Snapshot) == 64);

// An owning pointer to a Snapshot, used as std::shared_ptr<const Snapshot>
// was: copying adds a reference, destroying drops one, the last frees the
// block. 8 bytes.
class SnapshotPtr {
 public:
  constexpr SnapshotPtr() noexcept = default;
  constexpr SnapshotPtr(std::nullptr_t) noexcept {}
  SnapshotPtr(const SnapshotPtr& other) noexcept : p_(other.p_) {
    if (p_ != nullptr) p_->retain();
  }
  SnapshotPtr(SnapshotPtr&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  SnapshotPtr& operator=(const SnapshotPtr& other) noexcept {
    SnapshotPtr(other).swap(*this);
    return *this;
  }
  SnapshotPtr& operator=(SnapshotPtr&& other) noexcept {
    SnapshotPtr(std::move(other)).swap(*this);
    return *this;
  }
  SnapshotPtr& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }
  ~SnapshotPtr() {
    if (p_ != nullptr) p_->release();
  }

  const Snapshot* get() const noexcept { return p_; }
  const Snapshot& operator*() const noexcept { return *p_; }
  const Snapshot* operator->() const noexcept { return p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  void reset() noexcept { SnapshotPtr().swap(*this); }
  void swap(SnapshotPtr& other) noexcept { std::swap(p_, other.p_); }
  // The number of SnapshotPtrs (and adopted references) sharing the
  // version; exact only while no other thread copies or drops one.
  std::uint32_t use_count() const noexcept { return p_ ? p_->refs_.load(std::memory_order_acquire) : 0; }

  // Hands the reference to a raw holder (DocumentView's owner) without
  // touching the count; adopt() takes one back, add_ref() and drop() count
  // for such a holder.
  const Snapshot* detach() noexcept { return std::exchange(p_, nullptr); }
  static SnapshotPtr adopt(const Snapshot* snapshot) noexcept { return SnapshotPtr(snapshot); }
  static void add_ref(const Snapshot* snapshot) noexcept { snapshot->retain(); }
  static void drop(const Snapshot* snapshot) noexcept { snapshot->release(); }

  friend bool operator==(const SnapshotPtr& a, const SnapshotPtr& b) noexcept { return a.p_ == b.p_; }
  friend bool operator==(const SnapshotPtr& a, std::nullptr_t) noexcept { return a.p_ == nullptr; }
  friend std::strong_ordering operator<=>(const SnapshotPtr& a, const SnapshotPtr& b) noexcept {
    return std::compare_three_way()(a.p_, b.p_);
  }

 private:
  friend class Snapshot;
  explicit SnapshotPtr(const Snapshot* adopted) noexcept : p_(adopted) {}

  const Snapshot* p_ = nullptr;
};

static_assert(sizeof(SnapshotPtr) == sizeof(void*));

using Snapshots = std::vector<SnapshotPtr>;

// The document of a snapshot, read in place.
inline ValueView view_of(const Snapshot& snapshot) noexcept {
  return detail::ViewAccess::of(value::scan::bytes_of(snapshot.bytes()));
}

}  // namespace snapstore::value
