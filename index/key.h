// Index keys: which values of a document an index orders it by, and how keys
// compare. A key is the tuple of a document's values at the index's field
// paths; a document without a value (or with null) at any path has no key and
// is not in the index (DESIGN.md, "Index semantics").
//
// Knows Values and their views only: nothing here sees ids or snapshots.
// Thread safety: pure functions and immutable FieldPaths.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "snapstore/value.h"
#include "snapstore/value_view.h"

namespace snapstore::index {

using Key = std::vector<Value>;
// A key's values wherever they are held: in a Key, in the document itself,
// in an index entry's block, or one Value on the stack.
using KeyValues = std::span<const Value>;

// A field as given to create_index ("address.zip") split at its dots into the
// names to descend through. A top-level field whose own name contains a dot
// therefore cannot be indexed (docs/DECISIONS.md).
class FieldPath {
 public:
  explicit FieldPath(std::string_view dotted);

  const std::string& text() const noexcept { return text_; }
  const std::vector<std::string>& segments() const noexcept { return segments_; }

  // The value at this path, or nullptr when a segment is missing or a value
  // on the way is not an object.
  const Value* find_in(const Object& doc) const noexcept;
  // The same over a stored document, without decoding it.
  std::optional<ValueView> find_in(const ValueView& doc) const noexcept;

 private:
  std::string text_;
  std::vector<std::string> segments_;
};

std::vector<FieldPath> parse_field_paths(const std::vector<std::string>& fields);

// The document's key for these fields, or nullopt when any field is missing
// or null (the document is then not in the index).
std::optional<Key> extract_key(const Object& doc, const std::vector<FieldPath>& fields);
// The same key from a stored document: only the key's values are decoded.
std::optional<Key> extract_key(const ValueView& doc, const std::vector<FieldPath>& fields);

// The document's key as values in place, for a caller that only looks at
// them: with one field, the document's own value; with several, copies put
// in `scratch`; nullopt as for extract_key. The span points into `doc` or
// `scratch` and lives no longer than they do.
std::optional<KeyValues> key_values(const Object& doc, const std::vector<FieldPath>& fields, Key& scratch);
// The same from a stored document: the values are decoded into `scratch`,
// which a loop reuses, so that only values with heap parts of their own
// (long strings, binaries, arrays, objects) allocate. A caller may move the
// values out of `scratch`; the next call clears it.
std::optional<KeyValues> key_values(const ValueView& doc, const std::vector<FieldPath>& fields, Key& scratch);

// Composite keys compare element-wise with snapstore::compare(); when one key
// is a prefix of the other, the shorter sorts first.
int compare_keys(KeyValues a, KeyValues b) noexcept;

// Compares `key` with a range bound using only the bound's length: equal when
// the key starts with the bound's values, so {"NY"} matches every key that
// starts with "NY". A key shorter than the bound that equals its start sorts
// before it.
int compare_to_bound(KeyValues key, KeyValues bound) noexcept;

}  // namespace snapstore::index
