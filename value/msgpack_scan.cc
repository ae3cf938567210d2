// In-place reading of checked document bytes (see msgpack_scan.h).
#include "value/msgpack_scan.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace snapstore::value::scan {

namespace {

std::uint16_t load16(const unsigned char* p) noexcept { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t load32(const unsigned char* p) noexcept {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
std::uint64_t load64(const unsigned char* p) noexcept { return std::uint64_t{load32(p)} << 32 | load32(p + 4); }

void set_unsigned(Head& head, std::uint64_t n) noexcept {
  if (n <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    head.type = ValueType::kInt;
    head.integer = static_cast<std::int64_t>(n);
  } else {
    head.type = ValueType::kUint;
    head.unsigned_integer = n;
  }
}
void set_signed(Head& head, std::int64_t n) noexcept {
  head.type = ValueType::kInt;
  head.integer = n;
}
void set_sized(Head& head, ValueType type, std::uint32_t length, const unsigned char* body) noexcept {
  head.type = type;
  head.length = length;
  head.body = body;
}

// Why check_document() refuses, and where.
Status refuse(std::string_view reason, std::size_t offset) {
  return Status::corruption("msgpack: " + std::string(reason) + " at byte " + std::to_string(offset));
}

// Bounds-checked walk of untrusted bytes; recursion is bounded by max_depth
// (Options caps it, see validate_options).
class Checker {
 public:
  Checker(std::string_view bytes, std::size_t max_depth)
      : begin_(bytes_of(bytes)), end_(begin_ + bytes.size()), max_depth_(max_depth) {}

  Status run() {
    const unsigned char* p = begin_;
    if (p == end_) return refuse("empty document", 0);
    if (!is_map(*p)) return refuse("document is not a map", 0);
    if (!value(p, 0)) return std::move(error_);
    if (p != end_) return refuse("trailing bytes after the document", offset(p));
    return Status::ok();
  }

 private:
  static bool is_map(unsigned char c) { return (c >= 0x80 && c <= 0x8f) || c == 0xde || c == 0xdf; }

  std::size_t offset(const unsigned char* p) const { return static_cast<std::size_t>(p - begin_); }
  bool fail(std::string_view reason, const unsigned char* at) {
    error_ = refuse(reason, offset(at));
    return false;
  }
  bool need(const unsigned char* p, std::size_t n) {
    if (static_cast<std::size_t>(end_ - p) >= n) return true;
    return fail("truncated input", p);
  }

  // Checks the value at p (inside `depth` containers) and moves p past it.
  bool value(const unsigned char*& p, std::size_t depth) {
    const unsigned char* start = p;
    if (!need(p, 1)) return false;
    const unsigned char c = *p++;
    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) return true;
    if (c >= 0xa0 && c <= 0xbf) return body(p, c & 0x1f);
    if (c >= 0x90 && c <= 0x9f) return array(p, c & 0x0f, depth, start);
    if (c >= 0x80 && c <= 0x8f) return map(p, c & 0x0f, depth, start);
    switch (c) {
      case 0xcc: case 0xd0: return body(p, 1);
      case 0xcd: case 0xd1: return body(p, 2);
      case 0xca: case 0xce: case 0xd2: return body(p, 4);
      case 0xcb: case 0xcf: case 0xd3: return body(p, 8);
      case 0xc4: case 0xd9: return sized(p, 1);
      case 0xc5: case 0xda: return sized(p, 2);
      case 0xc6: case 0xdb: return sized(p, 4);
      case 0xdc:
      case 0xdd: {
        std::uint32_t count = 0;
        return length(p, c == 0xdc ? 2 : 4, count) && array(p, count, depth, start);
      }
      case 0xde:
      case 0xdf: {
        std::uint32_t count = 0;
        return length(p, c == 0xde ? 2 : 4, count) && map(p, count, depth, start);
      }
      case 0xc7: case 0xc8: case 0xc9: case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        return fail("ext values are not supported", start);
      default: return fail("invalid type byte", start);  // 0xc1
    }
  }

  bool body(const unsigned char*& p, std::size_t n) {
    if (!need(p, n)) return false;
    p += n;
    return true;
  }
  // A big-endian length of `width` (1, 2 or 4) bytes.
  bool length(const unsigned char*& p, std::size_t width, std::uint32_t& n) {
    if (!need(p, width)) return false;
    n = width == 1 ? *p : width == 2 ? load16(p) : load32(p);
    p += width;
    return true;
  }
  // A length of `width` bytes, then that many bytes.
  bool sized(const unsigned char*& p, std::size_t width) {
    std::uint32_t n = 0;
    return length(p, width, n) && body(p, n);
  }

  bool enter(std::size_t depth, const unsigned char* at) {
    if (depth + 1 <= max_depth_) return true;
    return fail("nesting deeper than " + std::to_string(max_depth_) + " levels", at);
  }

  bool array(const unsigned char*& p, std::uint32_t count, std::size_t depth, const unsigned char* start) {
    if (!enter(depth, start)) return false;
    for (std::uint32_t i = 0; i < count; ++i) {
      if (!value(p, depth + 1)) return false;
    }
    return true;
  }

  bool map(const unsigned char*& p, std::uint32_t count, std::size_t depth, const unsigned char* start) {
    if (!enter(depth, start)) return false;
    std::string_view previous;
    for (std::uint32_t i = 0; i < count; ++i) {
      const unsigned char* key_start = p;
      std::string_view key;
      if (!string_key(p, key)) return false;
      if (i > 0 && !(previous < key)) {
        return fail(previous == key ? "repeated map key" : "map keys out of order", key_start);
      }
      previous = key;
      if (!value(p, depth + 1)) return false;
    }
    return true;
  }

  bool string_key(const unsigned char*& p, std::string_view& key) {
    const unsigned char* start = p;
    if (!need(p, 1)) return false;
    const unsigned char c = *p++;
    std::uint32_t n = 0;
    if (c >= 0xa0 && c <= 0xbf) {
      n = c & 0x1f;
    } else if (c == 0xd9 || c == 0xda || c == 0xdb) {
      if (!length(p, c == 0xd9 ? 1 : c == 0xda ? 2 : 4, n)) return false;
    } else {
      return fail("map key is not a string", start);
    }
    if (!need(p, n)) return false;
    key = std::string_view(reinterpret_cast<const char*>(p), n);
    p += n;
    return true;
  }

  const unsigned char* begin_;
  const unsigned char* end_;
  std::size_t max_depth_;
  Status error_;
};

// Past the remaining `count` values starting at p, without recursion.
// Where the value at p ends, for the scalars and short strings documents
// hold most, read without building a Head; nullptr for anything else.
inline const unsigned char* skip_scalar(const unsigned char* p) noexcept {
  const unsigned char c = *p;
  if (c <= 0x7f || c >= 0xe0) return p + 1;                 // fixints
  if (c >= 0xa0 && c <= 0xbf) return p + 1 + (c & 0x1f);  // fixstr
  switch (c) {
    case 0xc0:  // nil, false, true
    case 0xc2:
    case 0xc3: return p + 1;
    case 0xcc:
    case 0xd0: return p + 2;
    case 0xcd:
    case 0xd1: return p + 3;
    case 0xca:
    case 0xce:
    case 0xd2: return p + 5;
    case 0xcb:
    case 0xcf:
    case 0xd3: return p + 9;
    case 0xd9: return p + 2 + p[1];  // str8
    default: return nullptr;
  }
}

const unsigned char* skip_values(const unsigned char* p, std::uint64_t count) noexcept {
  while (count > 0) {
    --count;
    if (const unsigned char* end = skip_scalar(p)) {
      p = end;
      continue;
    }
    const Head head = read_head(p);
    switch (head.type) {
      case ValueType::kString:
      case ValueType::kBinary: p = head.body + head.length; break;
      case ValueType::kArray:
        count += head.length;
        p = head.body;
        break;
      case ValueType::kObject:
        count += 2 * std::uint64_t{head.length};
        p = head.body;
        break;
      default: p = head.body; break;  // scalars: body is where the value ends
    }
  }
  return p;
}

void read_fields(Object& object, std::uint32_t count, const unsigned char*& p);

// The value at p, decoded where it is constructed: a map node's or a
// vector's slot is built straight from it (the conversion is elided), so no
// field pays for a temporary Value's move and destruction. Moves p past it.
struct DecodedValue {
  const unsigned char*& p;
  operator Value() const;  // NOLINT(google-explicit-constructor)
};

inline std::string read_string(const unsigned char* body, std::uint32_t length) {
  return std::string(reinterpret_cast<const char*>(body), length);
}

DecodedValue::operator Value() const {
  const unsigned char c = *p;
  // The kinds a document holds most, read without building a Head.
  if (c <= 0x7f) {
    ++p;
    return Value(std::int64_t{c});
  }
  if (c >= 0xa0 && c <= 0xbf) {
    const std::uint32_t length = c & 0x1f;
    const unsigned char* body = p + 1;
    p = body + length;
    return Value(read_string(body, length));
  }
  if (c == 0xcb) {
    const std::uint64_t bits = load64(p + 1);
    double real = 0;
    std::memcpy(&real, &bits, sizeof real);
    p += 9;
    return Value(real);
  }
  const Head head = read_head(p);
  p = head.body;
  switch (head.type) {
    case ValueType::kNull: return Value();
    case ValueType::kBool: return Value(head.boolean);
    case ValueType::kInt: return Value(head.integer);
    case ValueType::kUint: return Value(head.unsigned_integer);
    case ValueType::kDouble: return Value(head.real);
    case ValueType::kString: p += head.length; return Value(read_string(head.body, head.length));
    case ValueType::kBinary:
      p += head.length;
      return Value(Binary(std::vector<std::uint8_t>(head.body, head.body + head.length)));
    case ValueType::kArray: {
      Array array;
      array.reserve(head.length);  // trusted: check_document() saw every element
      for (std::uint32_t i = 0; i < head.length; ++i) array.emplace_back(DecodedValue{p});
      return Value(std::move(array));
    }
    case ValueType::kObject: {
      Object object;
      read_fields(object, head.length, p);
      return Value(std::move(object));
    }
  }
  return Value();
}

// Decodes `count` key/value pairs at p into the empty `object` and moves p
// past them.
void read_fields(Object& object, std::uint32_t count, const unsigned char*& p) {
  for (std::uint32_t i = 0; i < count; ++i) {
    const unsigned char* key = p + 1;
    std::uint32_t length = *p & 0x1f;
    if (*p < 0xa0 || *p > 0xbf) {  // str8/16/32: keys of 32 bytes or more
      const Head head = read_head(p);
      key = head.body;
      length = head.length;
    }
    p = key + length;
    // Keys arrive sorted, so each one goes at the end: one comparison with
    // the last key, no search.
    object.emplace_hint(object.end(), std::piecewise_construct,
                        std::forward_as_tuple(reinterpret_cast<const char*>(key), length),
                        std::forward_as_tuple(DecodedValue{p}));
  }
}

}  // namespace

Head read_head(const unsigned char* p) noexcept {
  Head head;
  const unsigned char c = *p;
  if (c <= 0x7f) {
    set_signed(head, c);
    head.body = p + 1;
    return head;
  }
  if (c >= 0xe0) {
    set_signed(head, static_cast<std::int8_t>(c));
    head.body = p + 1;
    return head;
  }
  if (c >= 0xa0 && c <= 0xbf) {
    set_sized(head, ValueType::kString, c & 0x1f, p + 1);
    return head;
  }
  if (c >= 0x90 && c <= 0x9f) {
    set_sized(head, ValueType::kArray, c & 0x0f, p + 1);
    return head;
  }
  if (c >= 0x80 && c <= 0x8f) {
    set_sized(head, ValueType::kObject, c & 0x0f, p + 1);
    return head;
  }
  switch (c) {
    case 0xc0: head.body = p + 1; break;
    case 0xc2:
    case 0xc3:
      head.type = ValueType::kBool;
      head.boolean = c == 0xc3;
      head.body = p + 1;
      break;
    case 0xcc: set_unsigned(head, p[1]); head.body = p + 2; break;
    case 0xcd: set_unsigned(head, load16(p + 1)); head.body = p + 3; break;
    case 0xce: set_unsigned(head, load32(p + 1)); head.body = p + 5; break;
    case 0xcf: set_unsigned(head, load64(p + 1)); head.body = p + 9; break;
    case 0xd0: set_signed(head, static_cast<std::int8_t>(p[1])); head.body = p + 2; break;
    case 0xd1: set_signed(head, static_cast<std::int16_t>(load16(p + 1))); head.body = p + 3; break;
    case 0xd2: set_signed(head, static_cast<std::int32_t>(load32(p + 1))); head.body = p + 5; break;
    case 0xd3: set_signed(head, static_cast<std::int64_t>(load64(p + 1))); head.body = p + 9; break;
    case 0xca: {
      const std::uint32_t bits = load32(p + 1);
      float f = 0;
      std::memcpy(&f, &bits, sizeof f);
      head.type = ValueType::kDouble;
      head.real = f;
      head.body = p + 5;
      break;
    }
    case 0xcb: {
      const std::uint64_t bits = load64(p + 1);
      head.type = ValueType::kDouble;
      std::memcpy(&head.real, &bits, sizeof head.real);
      head.body = p + 9;
      break;
    }
    case 0xd9: set_sized(head, ValueType::kString, p[1], p + 2); break;
    case 0xda: set_sized(head, ValueType::kString, load16(p + 1), p + 3); break;
    case 0xdb: set_sized(head, ValueType::kString, load32(p + 1), p + 5); break;
    case 0xc4: set_sized(head, ValueType::kBinary, p[1], p + 2); break;
    case 0xc5: set_sized(head, ValueType::kBinary, load16(p + 1), p + 3); break;
    case 0xc6: set_sized(head, ValueType::kBinary, load32(p + 1), p + 5); break;
    case 0xdc: set_sized(head, ValueType::kArray, load16(p + 1), p + 3); break;
    case 0xdd: set_sized(head, ValueType::kArray, load32(p + 1), p + 5); break;
    case 0xde: set_sized(head, ValueType::kObject, load16(p + 1), p + 3); break;
    case 0xdf: set_sized(head, ValueType::kObject, load32(p + 1), p + 5); break;
    default: head.body = p + 1; break;  // never in checked bytes
  }
  return head;
}

const unsigned char* skip(const unsigned char* p) noexcept { return skip_values(p, 1); }

const unsigned char* find_field(const Head& object, std::string_view field) noexcept {
  const unsigned char* p = object.body;
  for (std::uint32_t i = 0; i < object.length; ++i) {
    // Keys are nearly always fixstr: read those without a Head.
    std::string_view name;
    if (*p >= 0xa0 && *p <= 0xbf) {
      name = std::string_view(reinterpret_cast<const char*>(p + 1), *p & 0x1f);
    } else {
      const Head key = read_head(p);
      name = std::string_view(reinterpret_cast<const char*>(key.body), key.length);
    }
    const unsigned char* value = reinterpret_cast<const unsigned char*>(name.data()) + name.size();
    // One comparison per field, and none of the bytes' call where the first
    // bytes differ (most fields, when building an index over a table).
    const int order = !name.empty() && !field.empty() && name[0] != field[0]
                          ? (static_cast<unsigned char>(name[0]) < static_cast<unsigned char>(field[0]) ? -1 : 1)
                          : name.compare(field);
    if (order == 0) return value;
    if (order > 0) return nullptr;  // keys are sorted: it is not further on
    const unsigned char* end = skip_scalar(value);
    p = end != nullptr ? end : skip(value);
  }
  return nullptr;
}

Value decode(const unsigned char* p) { return DecodedValue{p}; }

Object decode_object(const unsigned char* p) {
  const Head head = read_head(p);
  const unsigned char* q = head.body;
  Object object;
  read_fields(object, head.length, q);
  return object;
}

Status check_document(std::string_view bytes, std::size_t max_depth) { return Checker(bytes, max_depth).run(); }

}  // namespace snapstore::value::scan
