// Predicate: a partial index's membership test (IndexOptions::partial),
// with its field path parsed once. A document is in a partial index only
// when the predicate matches it AND it has a key (key.h); an index without
// a predicate matches every document.
//
// Thread safety: immutable after construction.
#pragma once

#include <optional>

#include "index/key.h"
#include "snapstore/index_options.h"
#include "snapstore/value.h"
#include "snapstore/value_view.h"

namespace snapstore::index {

class Predicate {
 public:
  Predicate() = default;  // matches everything
  explicit Predicate(const std::optional<IndexPredicate>& partial);

  bool matches(const Object& doc) const;
  bool matches(const ValueView& doc) const;

 private:
  std::optional<FieldPath> path_;  // none: matches everything
  std::optional<Value> value_;     // set: equals; unset: exists (present, not null)
};

// The document's key for `fields` when `predicate` lets it in (see
// key_values in key.h); nullopt when it is not a member.
inline std::optional<KeyValues> member_key_values(const ValueView& doc, const std::vector<FieldPath>& fields,
                                                  const Predicate& predicate, Key& scratch) {
  if (!predicate.matches(doc)) return std::nullopt;
  return key_values(doc, fields, scratch);
}

}  // namespace snapstore::index
