// Change: one committed mutation of a store, as the change feed delivers it
// (Store::changes) and as other systems receive it, one JSON line each
// (docs/FORMATS.md, "Change events, JSON lines, version 1").
//
// Every operation of one WAL record is one batch, applied atomically; a
// single write is a batch of one. A consumer that wants the store's
// atomicity applies the changes of one batch together: batch_first_revision
// and batch_last_revision say where a batch starts and ends.
//
//   for (const Change& c : changes) {
//     std::cout << to_json_line(c) << '\n';          // to Kafka, a file, ...
//   }
//   Result<Change> back = change_from_json_line(line);  // and back
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/index_options.h"
#include "snapstore/status.h"
#include "snapstore/value.h"

namespace snapstore {

// Explicit numbers (the WAL's operation numbers), never reused.
enum class ChangeOp : std::uint8_t {
  kInsert = 1,
  kUpdate = 2,
  kRemove = 3,
  kCreateIndex = 4,
  kDropIndex = 5,
};

// "insert", "update", "remove", "create_index", "drop_index": the "op" of
// the JSON line.
std::string_view change_op_name(ChangeOp op) noexcept;

struct Change {
  // The store's revision of this operation (its WAL LSN): strictly
  // increasing along the feed, one per operation, no gaps.
  std::uint64_t revision = 0;
  ChangeOp op = ChangeOp::kInsert;
  // insert, update, remove: the document's id.
  std::string id;
  // create_index, drop_index: the index's name.
  std::string index;
  // insert, update: the document's new version (1 on insert);
  // remove: the version the document had when it was removed.
  std::uint64_t version = 0;
  // insert, update: the new document, whole (the feed carries state, not a
  // diff, so applying a change needs nothing but the change).
  Document document;
  // create_index: its fields and options.
  std::vector<std::string> fields;
  IndexOptions index_options{};
  // The first and last revision of the batch this change belongs to
  // (both equal revision for a single write).
  std::uint64_t batch_first_revision = 0;
  std::uint64_t batch_last_revision = 0;

  // Whether this change ends its batch: the point where a consumer that
  // applies batches atomically commits.
  bool ends_batch() const noexcept { return revision == batch_last_revision; }

  friend bool operator==(const Change&, const Change&) = default;
};

// The version of the JSON change format written by to_json_line (its "v").
inline constexpr std::uint64_t kChangeFormatVersion = 1;

// One line of JSON for `change`, without the trailing newline:
//   {"v":1,"rev":42,"op":"update","id":"...","version":3,"doc":{...},"batch":[41,43]}
// Document values JSON cannot carry are written as value.h's to_json writes
// them ({"$binary": ...} and friends), so every change reads back equal.
std::string to_json_line(const Change& change);

// Parses one line written by to_json_line (a trailing newline is allowed).
// Unknown fields are ignored, so that later minor additions do not break a
// consumer; a "v" above kChangeFormatVersion, a missing or mistyped field,
// an unknown op or inconsistent batch bounds are InvalidArgument naming the
// field.
Result<Change> change_from_json_line(std::string_view line);

}  // namespace snapstore
