// Index options: what Store::create_index can ask of an index beyond its
// fields. A unique index refuses any write that would give two documents one
// key; a partial index keeps only the documents its predicate matches.
//
//   store.create_index("by_email", {"email"}, IndexOptions{.unique = true});
//   store.create_index("active_by_city", {"city"},
//                      IndexOptions{.partial = IndexPredicate::equals("status", "active")});
//
// Thread safety: plain values.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "snapstore/value.h"

namespace snapstore {

// Which documents a partial index keeps, judged on one field (a top-level
// name or a dotted path, as index fields are):
//   exists("f")      f is present and not null (null counts as absent, as it
//                    does for index keys);
//   equals("f", v)   f is present and compares equal to v in the index order
//                    (snapstore::compare: 5 equals 5.0). v must not be null.
struct IndexPredicate {
  std::string field;
  std::optional<Value> value{};  // set: equals; unset: exists

  static IndexPredicate exists(std::string field) { return IndexPredicate{std::move(field), std::nullopt}; }
  static IndexPredicate equals(std::string field, Value value) {
    return IndexPredicate{std::move(field), std::move(value)};
  }
  friend bool operator==(const IndexPredicate&, const IndexPredicate&) = default;
};

struct IndexOptions {
  // No two documents may hold one key. Documents without a key (a field
  // missing or null, or outside a partial index) never collide.
  bool unique = false;
  // When set, only documents matching it are in the index.
  std::optional<IndexPredicate> partial{};

  friend bool operator==(const IndexOptions&, const IndexOptions&) = default;
};

// "unique, where status = \"active\"", "where email exists", or "" for a
// plain index: what the CLI and error messages print.
std::string describe(const IndexOptions& options);

}  // namespace snapstore
