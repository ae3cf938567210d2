// Batch payload codec (see record.h). msgpack-c's packer writes payloads;
// they are read through the bounded parser (codec/bounded_msgpack.h), so a
// checksum-valid payload never allocates more than its size allows. This
// file only maps the grammar and refuses anything outside it.
#include "wal/record.h"

#include <msgpack.hpp>

#include <cstring>
#include <limits>

#include "codec/bounded_msgpack.h"
#include "value/msgpack_codec.h"

namespace snapstore::wal {
namespace {

struct StringSink {
  std::string& out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};

bool has_document(OpType type) { return type == OpType::kInsert || type == OpType::kUpdate; }

Status bad(std::string_view what) { return Status::corruption("WAL record payload: " + std::string(what)); }

// The payload nests at most four deep: batch, operations, operation, fields.
constexpr std::size_t kPayloadDepth = 4;

bool read_str(const codec::MsgpackRef& o, std::string& out) {
  std::string_view view;
  if (!o.get_str(view)) return false;
  out.assign(view);
  return true;
}

bool read_bin(const codec::MsgpackRef& o, std::string& out) {
  std::string_view view;
  if (!o.get_bin(view)) return false;
  out.assign(view);
  return true;
}

// Walks the operation's elements in place: this runs for every operation
// the mirror applies and every record recovery replays.
Status decode_operation(std::size_t index, const codec::MsgpackRef& o, Operation& op) {
  const auto fail = [index](std::string_view what) {
    return bad("operation " + std::to_string(index) + ": " + std::string(what));
  };
  if (o.kind() != codec::MsgpackKind::kArray || o.count() < 2) return fail("not an array of 2+ elements");
  const std::uint32_t n = o.count();
  const codec::MsgpackRef type_element = o.first_child();
  const codec::MsgpackRef key_element = type_element.next_sibling();
  std::uint64_t type = 0;
  if (!type_element.get_uint(type) || type > 0xFF) return fail("type is not a small unsigned integer");
  op.type = static_cast<OpType>(type);
  if (!read_str(key_element, op.key)) return fail("key is not a string");
  switch (op.type) {
    case OpType::kInsert:
    case OpType::kUpdate:
      if (n != 4 || !key_element.next_sibling().get_uint(op.version) ||
          !read_bin(key_element.next_sibling().next_sibling(), op.document)) {
        return fail("insert/update is not [type, id, version, document]");
      }
      return Status::ok();
    case OpType::kDelete:
      if (n != 3 || !key_element.next_sibling().get_uint(op.version)) return fail("delete is not [type, id, version]");
      return Status::ok();
    case OpType::kCreateIndex: {
      const codec::MsgpackRef list = key_element.next_sibling();
      if ((n != 3 && n != 4) || list.kind() != codec::MsgpackKind::kArray || list.count() == 0) {
        return fail("create_index is not [type, name, [field, ...] (, options)]");
      }
      if (n == 4) {
        std::string_view options;
        if (!list.next_sibling().get_bin(options)) return fail("create_index options are not a bin");
        auto decoded = decode_index_options(options);
        if (!decoded) return fail(decoded.status().detail());
        op.index_options = std::move(*decoded);
      }
      op.fields.resize(list.count());
      codec::MsgpackRef field = list.first_child();
      for (std::size_t i = 0; i < op.fields.size(); ++i, field = field.next_sibling()) {
        if (!read_str(field, op.fields[i])) return fail("index field " + std::to_string(i) + " is not a string");
      }
      return Status::ok();
    }
    case OpType::kDropIndex:
      if (n != 2) return fail("drop_index is not [type, name]");
      return Status::ok();
  }
  return fail("unknown operation type " + std::to_string(type));
}

// An insert, update or delete read in place (decode_operation's checks);
// false with `index_op` decoded for an index operation.
Status view_operation(std::size_t index, const codec::MsgpackRef& o, DocumentOperation& view, Operation& index_op,
                      bool& is_document) {
  const auto fail = [index](std::string_view what) {
    return bad("operation " + std::to_string(index) + ": " + std::string(what));
  };
  is_document = false;
  if (o.kind() != codec::MsgpackKind::kArray || o.count() < 2) return fail("not an array of 2+ elements");
  const std::uint32_t n = o.count();
  const codec::MsgpackRef type_element = o.first_child();
  const codec::MsgpackRef key_element = type_element.next_sibling();
  std::uint64_t type = 0;
  if (!type_element.get_uint(type) || type > 0xFF) return fail("type is not a small unsigned integer");
  const auto op_type = static_cast<OpType>(type);
  if (op_type != OpType::kInsert && op_type != OpType::kUpdate && op_type != OpType::kDelete) {
    return decode_operation(index, o, index_op);
  }
  is_document = true;
  view.type = op_type;
  if (!key_element.get_str(view.key)) return fail("key is not a string");
  view.document = {};
  if (op_type == OpType::kDelete) {
    if (n != 3 || !key_element.next_sibling().get_uint(view.version)) return fail("delete is not [type, id, version]");
    return Status::ok();
  }
  if (n != 4 || !key_element.next_sibling().get_uint(view.version) ||
      !key_element.next_sibling().next_sibling().get_bin(view.document)) {
    return fail("insert/update is not [type, id, version, document]");
  }
  return Status::ok();
}

// A predicate's value nests no deeper than a document may.
constexpr std::size_t kOptionsValueDepth = 1000;

}  // namespace

std::string encode_index_options(const IndexOptions& options) {
  std::string out;
  StringSink sink{out};
  msgpack::packer<StringSink> pk(sink);
  pk.pack_array(2);
  pk.pack_uint8(options.unique ? 1 : 0);
  if (!options.partial) {
    pk.pack_nil();
    return out;
  }
  const IndexPredicate& where = *options.partial;
  pk.pack_array(where.value ? 2 : 1);
  pk.pack_str(static_cast<std::uint32_t>(where.field.size()));
  pk.pack_str_body(where.field.data(), static_cast<std::uint32_t>(where.field.size()));
  if (where.value) {
    // The engine checked the value's depth when the index was created.
    std::string bytes;
    (void)value::encode_msgpack(*where.value, bytes, kOptionsValueDepth);
    pk.pack_bin(static_cast<std::uint32_t>(bytes.size()));
    pk.pack_bin_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  }
  return out;
}

Result<IndexOptions> decode_index_options(std::string_view bytes) {
  const auto fail = [](std::string_view what) { return Status::corruption("index options: " + std::string(what)); };
  auto tree = codec::parse_tree(bytes, 2);  // [unique, [field, value]]
  if (!tree) return fail(tree.status().detail());
  const codec::MsgpackRef root = tree->root();
  if (!root.is_array(2)) return fail("not [unique, where]");
  IndexOptions options;
  std::uint64_t unique = 0;
  if (!root.first_child().get_uint(unique) || unique > 1) return fail("unique is not 0 or 1");
  options.unique = unique == 1;
  const codec::MsgpackRef where = root.first_child().next_sibling();
  if (where.kind() == codec::MsgpackKind::kNil) return options;
  if (where.kind() != codec::MsgpackKind::kArray || where.count() < 1 || where.count() > 2) {
    return fail("where is not nil, [field] or [field, value]");
  }
  IndexPredicate predicate;
  std::string_view field;
  if (!where.first_child().get_str(field) || field.empty()) return fail("where's field is not a non-empty string");
  predicate.field.assign(field);
  if (where.count() == 2) {
    std::string_view value_bytes;
    if (!where.first_child().next_sibling().get_bin(value_bytes)) return fail("where's value is not a bin");
    auto value = value::decode_msgpack(value_bytes, kOptionsValueDepth);
    if (!value) return fail("where's value: " + value.status().detail());
    if (value->is_null()) return fail("where's value is null");
    predicate.value = std::move(*value);
  }
  options.partial = std::move(predicate);
  return options;
}

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
        pk.pack_array(3);
        break;
      case OpType::kCreateIndex:
        pk.pack_array(op.index_options == IndexOptions{} ? 3 : 4);
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
      if (op.index_options != IndexOptions{}) {
        const std::string options = encode_index_options(op.index_options);
        pk.pack_bin(static_cast<std::uint32_t>(options.size()));
        pk.pack_bin_body(options.data(), static_cast<std::uint32_t>(options.size()));
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

namespace {

// msgpack-c's packer's forms, byte for byte (the smallest that holds the
// value), for the few that a payload of documents uses.
std::size_t uint_size(std::uint64_t v) {
  if (v < 128) return 1;
  if (v < (1ULL << 8)) return 2;
  if (v < (1ULL << 16)) return 3;
  if (v < (1ULL << 32)) return 5;
  return 9;
}

char* put_be(char* out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) *out++ = static_cast<char>(v >> (8 * i));
  return out;
}

char* put_uint(char* out, std::uint64_t v) {
  if (v < 128) {
    *out++ = static_cast<char>(v);
  } else if (v < (1ULL << 8)) {
    *out++ = static_cast<char>(0xcc);
    *out++ = static_cast<char>(v);
  } else if (v < (1ULL << 16)) {
    *out++ = static_cast<char>(0xcd);
    out = put_be(out, v, 2);
  } else if (v < (1ULL << 32)) {
    *out++ = static_cast<char>(0xce);
    out = put_be(out, v, 4);
  } else {
    *out++ = static_cast<char>(0xcf);
    out = put_be(out, v, 8);
  }
  return out;
}

std::size_t array_header_size(std::size_t n) { return n < 16 ? 1 : n < (1U << 16) ? 3 : 5; }

char* put_array_header(char* out, std::size_t n) {
  if (n < 16) {
    *out++ = static_cast<char>(0x90 | n);
  } else if (n < (1U << 16)) {
    *out++ = static_cast<char>(0xdc);
    out = put_be(out, n, 2);
  } else {
    *out++ = static_cast<char>(0xdd);
    out = put_be(out, n, 4);
  }
  return out;
}

std::size_t str_header_size(std::size_t n) { return n < 32 ? 1 : n < (1U << 8) ? 2 : n < (1U << 16) ? 3 : 5; }

// `s` after the smallest of the 8-, 16- and 32-bit length headers whose
// markers (str or bin) are given, as msgpack-c's packer writes it.
char* put_sized(char* out, std::string_view s, unsigned char marker8, unsigned char marker16,
                unsigned char marker32) {
  const std::size_t n = s.size();
  if (n < (1U << 8)) {
    *out++ = static_cast<char>(marker8);
    *out++ = static_cast<char>(n);
  } else if (n < (1U << 16)) {
    *out++ = static_cast<char>(marker16);
    out = put_be(out, n, 2);
  } else {
    *out++ = static_cast<char>(marker32);
    out = put_be(out, n, 4);
  }
  std::memcpy(out, s.data(), n);
  return out + n;
}

char* put_str(char* out, std::string_view s) {
  if (s.size() >= 32) return put_sized(out, s, 0xd9, 0xda, 0xdb);
  *out++ = static_cast<char>(0xa0 | s.size());
  std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

std::size_t bin_header_size(std::size_t n) { return n < (1U << 8) ? 2 : n < (1U << 16) ? 3 : 5; }

char* put_bin(char* out, std::string_view s) { return put_sized(out, s, 0xc4, 0xc5, 0xc6); }

}  // namespace

std::size_t encoded_operations_size(std::span<const DocumentOperation> ops) {
  std::size_t size = array_header_size(ops.size());
  for (const DocumentOperation& op : ops) {
    // [type, key, version (, document)]: the array's and the type's byte.
    size += 2 + str_header_size(op.key.size()) + op.key.size() + uint_size(op.version);
    if (has_document(op.type)) size += bin_header_size(op.document.size()) + op.document.size();
  }
  return size;
}

char* write_operations(std::span<const DocumentOperation> ops, char* out) {
  out = put_array_header(out, ops.size());
  for (const DocumentOperation& op : ops) {
    const bool document = has_document(op.type);
    *out++ = static_cast<char>(0x90 | (document ? 4 : 3));
    *out++ = static_cast<char>(op.type);  // 1-3: a positive fixint
    out = put_str(out, op.key);
    out = put_uint(out, op.version);
    if (document) out = put_bin(out, op.document);
  }
  return out;
}

std::size_t payload_header_size(std::uint64_t first_lsn) { return 1 + uint_size(first_lsn); }

char* write_payload_header(std::uint64_t first_lsn, char* out) {
  *out++ = static_cast<char>(0x92);
  return put_uint(out, first_lsn);
}

Result<Batch> decode_payload(std::string_view payload) {
  auto tree = codec::parse_tree(payload, kPayloadDepth);
  if (!tree) return bad(tree.status().detail());
  const codec::MsgpackRef root = tree->root();
  if (!root.is_array(2)) return bad("not [first_lsn, operations]");
  Batch batch;
  if (!root.first_child().get_uint(batch.first_lsn)) return bad("first_lsn is not an unsigned integer");
  // LSNs start at 1 (0 means "none" to the reader and the mirror).
  if (batch.first_lsn == 0) return bad("first_lsn is 0");
  const codec::MsgpackRef ops = root.first_child().next_sibling();
  if (ops.kind() != codec::MsgpackKind::kArray || ops.count() == 0) return bad("operations are not a non-empty array");
  // The batch's last LSN, first_lsn + ops - 1, must not wrap around.
  if (ops.count() - 1 > std::numeric_limits<std::uint64_t>::max() - batch.first_lsn) {
    return bad("LSNs " + std::to_string(batch.first_lsn) + " + " + std::to_string(ops.count()) +
               " operations run past 2^64-1");
  }
  batch.ops.resize(ops.count());
  codec::MsgpackRef op = ops.first_child();
  for (std::size_t i = 0; i < batch.ops.size(); ++i, op = op.next_sibling()) {
    if (Status s = decode_operation(i, op, batch.ops[i]); !s) return s;
  }
  return batch;
}

Status visit_payload_tree(std::string_view payload, PayloadVisitor& visitor) {
  auto tree = codec::parse_tree(payload, kPayloadDepth);
  if (!tree) return bad(tree.status().detail());
  const codec::MsgpackRef root = tree->root();
  if (!root.is_array(2)) return bad("not [first_lsn, operations]");
  std::uint64_t first_lsn = 0;
  if (!root.first_child().get_uint(first_lsn)) return bad("first_lsn is not an unsigned integer");
  if (first_lsn == 0) return bad("first_lsn is 0");
  const codec::MsgpackRef ops = root.first_child().next_sibling();
  if (ops.kind() != codec::MsgpackKind::kArray || ops.count() == 0) return bad("operations are not a non-empty array");
  if (ops.count() - 1 > std::numeric_limits<std::uint64_t>::max() - first_lsn) {
    return bad("LSNs " + std::to_string(first_lsn) + " + " + std::to_string(ops.count()) +
               " operations run past 2^64-1");
  }
  codec::MsgpackRef op = ops.first_child();
  DocumentOperation view;
  for (std::size_t i = 0; i < ops.count(); ++i, op = op.next_sibling()) {
    Operation index_op;
    bool is_document = false;
    if (Status s = view_operation(i, op, view, index_op, is_document); !s) return s;
    Status s = is_document ? visitor.document(view, first_lsn + i) : visitor.index(index_op, first_lsn + i);
    if (!s) return s;
  }
  return Status::ok();
}

namespace {

// The bytes of a payload read in place, bounds-checked, for the forms
// encode_operations() writes. Each read takes one form of msgpack (what the
// parse tree also accepts, never more) and returns false for anything else.
class PayloadCursor {
 public:
  explicit PayloadCursor(std::string_view bytes)
      : p_(reinterpret_cast<const unsigned char*>(bytes.data())), end_(p_ + bytes.size()) {}

  bool at_end() const { return p_ == end_; }

  // positive fixint, uint8..uint64
  bool uint(std::uint64_t& out) {
    if (p_ == end_) return false;
    const unsigned char tag = *p_;
    if (tag <= 0x7f) {
      out = tag;
      ++p_;
      return true;
    }
    if (tag < 0xcc || tag > 0xcf) return false;
    return sized_number(std::size_t{1} << (tag - 0xcc), out);
  }
  // fixarray, array16, array32
  bool array(std::uint64_t& count) {
    if (p_ == end_) return false;
    const unsigned char tag = *p_;
    if ((tag & 0xf0) == 0x90) {
      count = tag & 0x0f;
      ++p_;
      return true;
    }
    if (tag != 0xdc && tag != 0xdd) return false;
    return sized_number(tag == 0xdc ? 2 : 4, count);
  }
  // fixstr, str8..str32
  bool str(std::string_view& out) {
    if (p_ == end_) return false;
    const unsigned char tag = *p_;
    if ((tag & 0xe0) == 0xa0) {
      ++p_;
      return body(tag & 0x1f, out);
    }
    if (tag < 0xd9 || tag > 0xdb) return false;
    std::uint64_t size = 0;
    return sized_number(std::size_t{1} << (tag - 0xd9), size) && body(size, out);
  }
  // bin8..bin32
  bool bin(std::string_view& out) {
    if (p_ == end_) return false;
    const unsigned char tag = *p_;
    if (tag < 0xc4 || tag > 0xc6) return false;
    std::uint64_t size = 0;
    return sized_number(std::size_t{1} << (tag - 0xc4), size) && body(size, out);
  }

 private:
  // The tag, then a big-endian number of `width` bytes.
  bool sized_number(std::size_t width, std::uint64_t& out) {
    if (static_cast<std::size_t>(end_ - p_) <= width) return false;
    std::uint64_t v = 0;
    for (std::size_t i = 1; i <= width; ++i) v = (v << 8) | p_[i];
    out = v;
    p_ += 1 + width;
    return true;
  }
  bool body(std::uint64_t size, std::string_view& out) {
    if (static_cast<std::uint64_t>(end_ - p_) < size) return false;
    out = std::string_view(reinterpret_cast<const char*>(p_), size);
    p_ += size;
    return true;
  }

  const unsigned char* p_;
  const unsigned char* end_;
};

// A payload of inserts, updates and deletes in the forms encode_operations()
// writes, walked in place: true when the whole payload is such a batch (then,
// with a visitor, each operation has been handed to it and `status` is the
// visitor's), false for anything else, visiting nothing before the first
// byte that does not fit. Index operations, and every malformed payload, go
// through the parse tree (visit_payload_tree), which names what is wrong.
bool walk_documents(std::string_view payload, PayloadVisitor* visitor, Status& status) {
  PayloadCursor in(payload);
  std::uint64_t root = 0;
  std::uint64_t first_lsn = 0;
  std::uint64_t count = 0;
  if (!in.array(root) || root != 2 || !in.uint(first_lsn) || first_lsn == 0) return false;
  if (!in.array(count) || count == 0 || count - 1 > std::numeric_limits<std::uint64_t>::max() - first_lsn) return false;
  DocumentOperation op;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t elements = 0;
    std::uint64_t type = 0;
    if (!in.array(elements) || !in.uint(type) || type < 1 || type > 3) return false;
    if (!in.str(op.key) || !in.uint(op.version)) return false;
    op.type = static_cast<OpType>(type);
    op.document = {};
    if (has_document(op.type)) {
      if (elements != 4 || !in.bin(op.document)) return false;
    } else if (op.type != OpType::kDelete || elements != 3) {
      return false;
    }
    if (visitor != nullptr) {
      status = visitor->document(op, first_lsn + i);
      if (!status) return true;
    }
  }
  return in.at_end();
}

}  // namespace

Status visit_payload(std::string_view payload, PayloadVisitor& visitor) {
  // Checked whole before the first visit, as the parse tree is: a payload
  // malformed at its end visits nothing here either.
  // (The tree also refuses payloads over 4 GiB; they take it for its message.)
  Status status;
  if (payload.size() > std::numeric_limits<std::uint32_t>::max() || !walk_documents(payload, nullptr, status)) {
    return visit_payload_tree(payload, visitor);
  }
  walk_documents(payload, &visitor, status);
  return status;
}

namespace {

// msgpack's big-endian unsigned integer of `size` bytes at `at`.
std::uint64_t big_endian(std::string_view bytes, std::size_t at, std::size_t size) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < size; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

// The unsigned integer (positive fixint, uint8..uint64) or array header
// (fixarray, array16, array32) at `at`; false for anything else or too few bytes.
bool read_header(std::string_view bytes, std::size_t& at, bool array, std::uint64_t& out) {
  if (at >= bytes.size()) return false;
  const auto tag = static_cast<unsigned char>(bytes[at]);
  std::size_t size = 0;
  if (!array && tag <= 0x7f) {
    out = tag;
  } else if (array && (tag & 0xf0) == 0x90) {
    out = tag & 0x0f;
  } else if (!array && tag >= 0xcc && tag <= 0xcf) {
    size = std::size_t{1} << (tag - 0xcc);
  } else if (array && (tag == 0xdc || tag == 0xdd)) {
    size = tag == 0xdc ? 2 : 4;
  } else {
    return false;
  }
  if (size != 0) {
    if (bytes.size() - at - 1 < size) return false;
    out = big_endian(bytes, at + 1, size);
  }
  at += 1 + size;
  return true;
}

}  // namespace

std::optional<PayloadLsns> peek_payload_lsns(std::string_view payload) {
  std::size_t at = 0;
  std::uint64_t root = 0;
  std::uint64_t first_lsn = 0;
  std::uint64_t count = 0;
  if (!read_header(payload, at, true, root) || root != 2) return std::nullopt;
  if (!read_header(payload, at, false, first_lsn) || first_lsn == 0) return std::nullopt;
  if (!read_header(payload, at, true, count) || count == 0) return std::nullopt;
  if (count - 1 > std::numeric_limits<std::uint64_t>::max() - first_lsn) return std::nullopt;
  return PayloadLsns{first_lsn, first_lsn + count - 1};
}

}  // namespace snapstore::wal
