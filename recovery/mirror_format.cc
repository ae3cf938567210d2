// Index definition codec for the mirror's meta column family (see
// mirror_format.h). Reading goes through the bounded parser
// (codec/bounded_msgpack.h): the bytes come from disk.
#include "recovery/mirror_format.h"

#include <msgpack.hpp>

#include "codec/bounded_msgpack.h"
#include "wal/record.h"

namespace snapstore::recovery {

std::string encode_index_fields(const std::vector<std::string>& fields, const IndexOptions& options) {
  msgpack::sbuffer buffer;
  if (options == IndexOptions{}) {
    msgpack::pack(buffer, fields);
  } else {
    msgpack::packer<msgpack::sbuffer> pk(buffer);
    pk.pack_array(2);
    pk.pack(fields);
    const std::string encoded = wal::encode_index_options(options);
    pk.pack_bin(static_cast<std::uint32_t>(encoded.size()));
    pk.pack_bin_body(encoded.data(), static_cast<std::uint32_t>(encoded.size()));
  }
  return std::string(buffer.data(), buffer.size());
}

Result<IndexFieldsAndOptions> decode_index_fields(std::string_view bytes) {
  auto tree = codec::parse_tree(bytes, 2);  // [field, ...] or [[field, ...], options]
  if (!tree) return Status::corruption("index field list: " + tree.status().detail());
  codec::MsgpackRef root = tree->root();
  if (root.kind() != codec::MsgpackKind::kArray || root.count() == 0) {
    return Status::corruption("index field list is not a non-empty array");
  }
  IndexFieldsAndOptions definition;
  if (root.first_child().kind() == codec::MsgpackKind::kArray) {
    std::string_view options;
    if (root.count() != 2 || !root.first_child().next_sibling().get_bin(options)) {
      return Status::corruption("index definition is not [[field, ...], options]");
    }
    auto decoded = wal::decode_index_options(options);
    if (!decoded) return decoded.status();
    definition.options = std::move(*decoded);
    root = root.first_child();
    if (root.count() == 0) return Status::corruption("index field list is not a non-empty array");
  }
  std::vector<std::string>& fields = definition.fields;
  for (const codec::MsgpackRef& field : root.children()) {
    std::string_view name;
    if (!field.get_str(name)) {
      return Status::corruption("index field " + std::to_string(fields.size()) + " is not a string");
    }
    fields.emplace_back(name);
  }
  return definition;
}

}  // namespace snapstore::recovery
