// Snapshot's one-block allocation and its checked factory (see snapshot.h).
#include "value/snapshot.h"

#include <limits>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "value/msgpack_codec.h"

namespace snapstore::value {

SnapshotPtr Snapshot::make(std::string_view id, std::string_view bytes, std::uint64_t version,
                           std::uint64_t revision) {
  if (bytes.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("a document of " + std::to_string(bytes.size()) + " bytes is too large for a snapshot");
  }
  void* block = ::operator new(sizeof(Snapshot) + bytes.size());
  Snapshot* snapshot;
  try {
    snapshot = new (block) Snapshot(id, static_cast<std::uint32_t>(bytes.size()), version, revision);
  } catch (...) {  // a long id's heap block failed
    ::operator delete(block, sizeof(Snapshot) + bytes.size());
    throw;
  }
  if (!bytes.empty()) std::memcpy(static_cast<char*>(block) + sizeof(Snapshot), bytes.data(), bytes.size());
  return SnapshotPtr(snapshot);
}

Result<SnapshotPtr> Snapshot::make_checked(std::string_view id, std::string_view bytes, std::uint64_t version,
                                           std::uint64_t revision, std::size_t max_depth) {
  // The common case, bytes already in form, copies them once: into the block.
  if (scan::check_document(bytes, max_depth)) return make(id, bytes, version, revision);
  std::string repaired(bytes);
  if (Status s = make_checked_document(repaired, max_depth); !s) return s;
  return make(id, repaired, version, revision);
}

void Snapshot::destroy(const Snapshot* snapshot) noexcept {
  const std::size_t size = sizeof(Snapshot) + snapshot->size_;
  snapshot->~Snapshot();
  ::operator delete(const_cast<Snapshot*>(snapshot), size);
}

}  // namespace snapstore::value
