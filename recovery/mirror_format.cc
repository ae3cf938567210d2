// Index definition codec for the mirror's meta column family (see
// mirror_format.h). Reading goes through the bounded parser
// (codec/bounded_msgpack.h): the bytes come from disk.
#include "recovery/mirror_format.h"

#include <msgpack.hpp>

#include "codec/bounded_msgpack.h"

namespace snapstore::recovery {

std::string encode_index_fields(const std::vector<std::string>& fields) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, fields);
  return std::string(buffer.data(), buffer.size());
}

Result<std::vector<std::string>> decode_index_fields(std::string_view bytes) {
  auto tree = codec::parse_tree(bytes, 1);  // a flat array of strings
  if (!tree) return Status::corruption("index field list: " + tree.status().detail());
  const codec::MsgpackRef root = tree->root();
  if (root.kind() != codec::MsgpackKind::kArray || root.count() == 0) {
    return Status::corruption("index field list is not a non-empty array");
  }
  std::vector<std::string> fields;
  for (const codec::MsgpackRef& field : root.children()) {
    std::string_view name;
    if (!field.get_str(name)) {
      return Status::corruption("index field " + std::to_string(fields.size()) + " is not a string");
    }
    fields.emplace_back(name);
  }
  return fields;
}

}  // namespace snapstore::recovery
