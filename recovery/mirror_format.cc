// Index definition codec for the mirror's meta column family (see mirror_format.h).
#include "recovery/mirror_format.h"

#include <msgpack.hpp>

namespace snapstore::recovery {

std::string encode_index_fields(const std::vector<std::string>& fields) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, fields);
  return std::string(buffer.data(), buffer.size());
}

Result<std::vector<std::string>> decode_index_fields(std::string_view bytes) {
  const msgpack::unpack_limit limits(bytes.size(), 0, bytes.size(), 0, 0, 2);
  try {
    std::size_t offset = 0;
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limits);
    if (offset != bytes.size()) return Status::corruption("trailing bytes after the field list");
    const msgpack::object& o = handle.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size == 0) {
      return Status::corruption("field list is not a non-empty array");
    }
    std::vector<std::string> fields;
    for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
      const msgpack::object& f = o.via.array.ptr[i];
      if (f.type != msgpack::type::STR) return Status::corruption("field " + std::to_string(i) + " is not a string");
      fields.emplace_back(f.via.str.ptr, f.via.str.size);
    }
    return fields;
  } catch (const std::exception& e) {
    return Status::corruption(std::string("field list is not msgpack: ") + e.what());
  }
}

}  // namespace snapstore::recovery
