// Follower: read a store that another process has open, from your process,
// without disturbing it. It is a read-only store at one consistent revision
// (the effect of a prefix of the owner's writes, never half a batch), built
// from the store's RocksDB mirror plus the WAL records after it, up to the
// last record complete in the file; catch_up() moves it to the newest one.
//
//   auto follower = snapstore::Follower::open("/var/lib/app/store");
//   if (!follower) return report(follower.status());
//   auto doc = follower->get("user-42");              // as of follower->revision()
//   auto ny = follower->lookup("by_city", {"NY"});
//   follower->catch_up();                              // newer writes become visible
//
// It takes no lock and writes nothing into the store's directory (RocksDB's
// secondary instance keeps its few files in a temporary directory that the
// follower removes when it is destroyed), so the owner is never blocked, and
// a new owner can open the store after the old one was killed. It works on a
// closed store too. What a follower's revision promises under a kill or a
// power loss of the owner: docs/GUARANTEES.md, "Followers and the change feed".
//
// Thread safety: reads may run on several threads at once; catch_up() waits
// for them and they for it, so each read sees one revision.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/status.h"
#include "snapstore/store.h"

namespace snapstore {

class Follower {
 public:
  // InvalidArgument naming the directory when it is missing or holds no
  // store (nothing is written anywhere then); Corruption naming file and
  // offset when a sealed WAL segment is damaged.
  static Result<Follower> open(const std::string& dir);

  Follower(Follower&&) noexcept;
  Follower& operator=(Follower&&) noexcept;
  ~Follower();

  // Advances to the newest record complete in the owner's WAL. Segments a
  // checkpoint retires meanwhile are no error (RocksDB is re-read). On
  // failure the follower stays at a consistent revision.
  Status catch_up();
  // The revision every read answers at.
  std::uint64_t revision() const;

  // Store's reads, with Store's semantics and errors, at revision().
  Result<DocumentResult> get(std::string_view id) const;
  Result<std::vector<DocumentResult>> lookup(std::string_view index, const IndexKey& values) const;
  Result<std::vector<DocumentResult>> lookup_range(std::string_view index, const IndexKey& min,
                                                   const IndexKey& max) const;
  Result<std::size_t> count(std::string_view index, const IndexKey& values) const;
  Result<std::size_t> count(std::string_view index, const IndexKey& min, const IndexKey& max) const;
  // Live documents (counted by a scan).
  Result<std::size_t> size() const;
  // Every document in id order, one at a time (Store::stream's documents,
  // without holding them all): a non-ok Status from `visit` stops and is returned.
  Status for_each(const std::function<Status(const DocumentResult&)>& visit) const;
  // Index definitions, sorted by name (`entries` is not counted: 0).
  std::vector<IndexInfo> indexes() const;

 private:
  struct Impl;
  explicit Follower(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace snapstore
