// Key extraction and key order for indexes (see key.h).
#include "index/key.h"

#include <algorithm>

namespace snapstore::index {

FieldPath::FieldPath(std::string_view dotted) : text_(dotted) {
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', start);
    if (dot == std::string_view::npos) {
      segments_.emplace_back(dotted.substr(start));
      break;
    }
    segments_.emplace_back(dotted.substr(start, dot - start));
    start = dot + 1;
  }
}

namespace {

// A field name searched for in an Object. std::less<> compares the map's
// keys with it through the operator< below, which decides on the first
// bytes inline (field names mostly differ there) and calls memcmp only for
// names that share their first byte; the order is std::string's (bytewise,
// unsigned).
struct FieldName {
  std::string_view text;
};

int compare_names(std::string_view a, std::string_view b) noexcept {
  if (!a.empty() && !b.empty() && a.front() != b.front()) {
    return static_cast<unsigned char>(a.front()) < static_cast<unsigned char>(b.front()) ? -1 : 1;
  }
  // Names sharing their first byte are mostly short ("seq", "score"): a
  // byte loop ends within a few steps where a memcmp call costs more.
  const std::size_t n = std::min(a.size(), b.size());
  if (n <= 16) {
    for (std::size_t i = 1; i < n; ++i) {
      if (a[i] != b[i]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]) ? -1 : 1;
    }
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
  }
  return a.compare(b);
}

[[maybe_unused]] bool operator<(const std::string& a, FieldName b) noexcept { return compare_names(a, b.text) < 0; }
[[maybe_unused]] bool operator<(FieldName a, const std::string& b) noexcept { return compare_names(a.text, b) < 0; }

}  // namespace

const Value* FieldPath::find_in(const Object& doc) const noexcept {
  const Object* current = &doc;
  const Value* found = nullptr;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const auto it = current->find(FieldName{segments_[i]});
    if (it == current->end()) return nullptr;
    found = &it->second;
    if (i + 1 < segments_.size()) {
      if (!found->is_object()) return nullptr;
      current = &found->as_object();
    }
  }
  return found;
}

std::optional<ValueView> FieldPath::find_in(const ValueView& doc) const noexcept {
  std::optional<ValueView> found = doc;
  for (const auto& segment : segments_) {
    found = found->find(segment);  // nullopt when not an object or no such field
    if (!found) return std::nullopt;
  }
  return found;
}

std::vector<FieldPath> parse_field_paths(const std::vector<std::string>& fields) {
  std::vector<FieldPath> paths;
  paths.reserve(fields.size());
  for (const auto& field : fields) paths.emplace_back(field);
  return paths;
}

std::optional<KeyValues> key_values(const Object& doc, const std::vector<FieldPath>& fields, Key& scratch) {
  if (fields.size() == 1) {
    const Value* v = fields.front().find_in(doc);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return KeyValues(v, 1);
  }
  scratch.clear();
  scratch.reserve(fields.size());
  for (const auto& path : fields) {
    const Value* v = path.find_in(doc);
    if (v == nullptr || v->is_null()) return std::nullopt;
    scratch.push_back(*v);
  }
  return KeyValues(scratch);
}

std::optional<KeyValues> key_values(const ValueView& doc, const std::vector<FieldPath>& fields, Key& scratch) {
  scratch.clear();
  scratch.reserve(fields.size());
  for (const auto& path : fields) {
    const std::optional<ValueView> v = path.find_in(doc);
    if (!v || v->is_null()) return std::nullopt;
    scratch.push_back(v->to_value());
  }
  return KeyValues(scratch);
}

std::optional<Key> extract_key(const Object& doc, const std::vector<FieldPath>& fields) {
  Key scratch;
  const std::optional<KeyValues> values = key_values(doc, fields, scratch);
  if (!values) return std::nullopt;
  if (fields.size() == 1) return Key(values->begin(), values->end());  // in place in `doc`
  return scratch;
}

std::optional<Key> extract_key(const ValueView& doc, const std::vector<FieldPath>& fields) {
  Key key;
  if (!key_values(doc, fields, key)) return std::nullopt;
  return key;
}

int compare_keys(KeyValues a, KeyValues b) noexcept {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (const int c = compare(a[i], b[i]); c != 0) return c;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

int compare_to_bound(KeyValues key, KeyValues bound) noexcept {
  const std::size_t n = std::min(key.size(), bound.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (const int c = compare(key[i], bound[i]); c != 0) return c;
  }
  return key.size() < bound.size() ? -1 : 0;
}

}  // namespace snapstore::index
