// Batch payload codec (see record.h). msgpack-c does the byte work; this file
// only maps the grammar and refuses anything outside it.
#include "wal/record.h"

#include <msgpack.hpp>

namespace snapstore::wal {
namespace {

struct StringSink {
  std::string& out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};

bool has_document(OpType type) { return type == OpType::kInsert || type == OpType::kUpdate; }

Status bad(std::string_view what) { return Status::corruption("WAL record payload: " + std::string(what)); }

// Reads element `i` of a msgpack array as the given kind, or explains why not.
bool read_u64(const msgpack::object& o, std::uint64_t& out) {
  if (o.type != msgpack::type::POSITIVE_INTEGER) return false;
  out = o.via.u64;
  return true;
}

bool read_str(const msgpack::object& o, std::string& out) {
  if (o.type != msgpack::type::STR) return false;
  out.assign(o.via.str.ptr, o.via.str.size);
  return true;
}

bool read_bin(const msgpack::object& o, std::string& out) {
  if (o.type != msgpack::type::BIN) return false;
  out.assign(o.via.bin.ptr, o.via.bin.size);
  return true;
}

Status decode_operation(const msgpack::object& o, Operation& op) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size < 2) return bad("operation is not an array of 2+ elements");
  const msgpack::object* e = o.via.array.ptr;
  const std::uint32_t n = o.via.array.size;
  std::uint64_t type = 0;
  if (!read_u64(e[0], type) || type > 0xFF) return bad("operation type is not a small unsigned integer");
  op.type = static_cast<OpType>(type);
  if (!read_str(e[1], op.key)) return bad("operation key is not a string");
  switch (op.type) {
    case OpType::kInsert:
    case OpType::kUpdate:
      if (n != 4 || !read_u64(e[2], op.version) || !read_bin(e[3], op.document)) {
        return bad("insert/update is not [type, id, version, document]");
      }
      return Status::ok();
    case OpType::kDelete:
      if (n != 3 || !read_u64(e[2], op.version)) return bad("delete is not [type, id, version]");
      return Status::ok();
    case OpType::kCreateIndex: {
      if (n != 3 || e[2].type != msgpack::type::ARRAY || e[2].via.array.size == 0) {
        return bad("create_index is not [type, name, [field, ...]]");
      }
      op.fields.resize(e[2].via.array.size);
      for (std::uint32_t i = 0; i < e[2].via.array.size; ++i) {
        if (!read_str(e[2].via.array.ptr[i], op.fields[i])) return bad("index field is not a string");
      }
      return Status::ok();
    }
    case OpType::kDropIndex:
      if (n != 2) return bad("drop_index is not [type, name]");
      return Status::ok();
  }
  return bad("unknown operation type " + std::to_string(type));
}

}  // namespace

std::string encode_operations(const std::vector<Operation>& ops) {
  std::string out;
  std::size_t expected = 8;
  for (const auto& op : ops) expected += 32 + op.key.size() + op.document.size();
  out.reserve(expected);
  StringSink sink{out};
  msgpack::packer<StringSink> pk(sink);
  pk.pack_array(static_cast<std::uint32_t>(ops.size()));
  for (const auto& op : ops) {
    switch (op.type) {
      case OpType::kInsert:
      case OpType::kUpdate:
        pk.pack_array(4);
        break;
      case OpType::kDelete:
      case OpType::kCreateIndex:
        pk.pack_array(3);
        break;
      case OpType::kDropIndex:
        pk.pack_array(2);
        break;
    }
    pk.pack_uint8(static_cast<std::uint8_t>(op.type));
    pk.pack_str(static_cast<std::uint32_t>(op.key.size()));
    pk.pack_str_body(op.key.data(), static_cast<std::uint32_t>(op.key.size()));
    if (op.type == OpType::kCreateIndex) {
      pk.pack_array(static_cast<std::uint32_t>(op.fields.size()));
      for (const auto& f : op.fields) {
        pk.pack_str(static_cast<std::uint32_t>(f.size()));
        pk.pack_str_body(f.data(), static_cast<std::uint32_t>(f.size()));
      }
    } else if (op.type != OpType::kDropIndex) {
      pk.pack_uint64(op.version);
      if (has_document(op.type)) {
        pk.pack_bin(static_cast<std::uint32_t>(op.document.size()));
        pk.pack_bin_body(op.document.data(), static_cast<std::uint32_t>(op.document.size()));
      }
    }
  }
  return out;
}

void append_payload(std::string& out, std::uint64_t first_lsn, std::string_view encoded_operations) {
  StringSink sink{out};
  msgpack::packer<StringSink> pk(sink);
  pk.pack_array(2);
  pk.pack_uint64(first_lsn);
  out.append(encoded_operations);
}

Result<Batch> decode_payload(std::string_view payload) {
  // No count in a well-formed payload can exceed its byte length, so that is
  // the bound on every allocation msgpack-c makes for it.
  const auto bound = static_cast<std::size_t>(payload.size());
  const msgpack::unpack_limit limits(bound, bound, bound, bound, bound, 8);
  msgpack::object_handle handle;
  std::size_t offset = 0;
  try {
    handle = msgpack::unpack(payload.data(), payload.size(), offset, nullptr, nullptr, limits);
  } catch (const std::exception& e) {
    return bad(std::string("not msgpack: ") + e.what());
  }
  if (offset != payload.size()) return bad("trailing bytes after the batch");
  const msgpack::object& root = handle.get();
  if (root.type != msgpack::type::ARRAY || root.via.array.size != 2) return bad("not [first_lsn, operations]");
  Batch batch;
  if (!read_u64(root.via.array.ptr[0], batch.first_lsn)) return bad("first_lsn is not an unsigned integer");
  const msgpack::object& ops = root.via.array.ptr[1];
  if (ops.type != msgpack::type::ARRAY || ops.via.array.size == 0) return bad("operations are not a non-empty array");
  batch.ops.resize(ops.via.array.size);
  for (std::uint32_t i = 0; i < ops.via.array.size; ++i) {
    if (Status s = decode_operation(ops.via.array.ptr[i], batch.ops[i]); !s) return s;
  }
  return batch;
}

}  // namespace snapstore::wal
