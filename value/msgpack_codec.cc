// The msgpack encoding of Values (see msgpack_codec.h). Encoding writes the
// bytes directly (Writer), into the caller's string or, for documents, into a
// per-thread scratch string first; decoding runs the bounded
// parser (codec/bounded_msgpack.h) with a visitor that builds the Value
// directly, so there is no intermediate tree and no allocation sized by
// untrusted headers.
#include "value/msgpack_codec.h"

#include "codec/bounded_msgpack.h"
#include "value/msgpack_scan.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

namespace snapstore::value {

namespace {

constexpr std::size_t kMaxLength = std::numeric_limits<std::uint32_t>::max();

// Writes msgpack straight into the caller's string from `start` on: each
// token checks for room once (its header is at most 9 bytes) and stores its
// bytes through a cursor. msgpack-c's packer made one or two out-of-line
// writes per token, each with its own check; the bytes are the same (the
// forms below are the packer's: smallest integer form, str8 for 32-255
// bytes), which msgpack_codec_test holds against msgpack-c's packer.
// Whatever the string already holds past `start` is room to write over;
// when that runs out it grows into its capacity, and past that as
// std::string grows (doubling). The string keeps its size: the encoding
// ends at used().
class Writer {
 public:
  Writer(std::string& out, std::size_t start) : out_(&out) { point_at(start); }

  std::size_t used() const { return static_cast<std::size_t>(cursor_ - out_->data()); }

  void nil() { byte_token(0xc0); }
  void boolean(bool b) { byte_token(b ? 0xc3 : 0xc2); }

  void int64(std::int64_t d) {
    if (d >= 0) return uint64(static_cast<std::uint64_t>(d));
    room(9);
    char* c = cursor_;
    if (d >= -(std::int64_t{1} << 5)) {
      c = put8(c, static_cast<std::uint8_t>(d));  // negative fixint
    } else if (d >= -(std::int64_t{1} << 7)) {
      c = put8(c, 0xd0);
      c = put8(c, static_cast<std::uint8_t>(d));
    } else if (d >= -(std::int64_t{1} << 15)) {
      c = put8(c, 0xd1);
      c = put_be16(c, static_cast<std::uint16_t>(d));
    } else if (d >= -(std::int64_t{1} << 31)) {
      c = put8(c, 0xd2);
      c = put_be32(c, static_cast<std::uint32_t>(d));
    } else {
      c = put8(c, 0xd3);
      c = put_be64(c, static_cast<std::uint64_t>(d));
    }
    cursor_ = c;
  }

  void uint64(std::uint64_t d) {
    room(9);
    char* c = cursor_;
    if (d < (std::uint64_t{1} << 7)) {
      c = put8(c, static_cast<std::uint8_t>(d));  // positive fixint
    } else if (d < (std::uint64_t{1} << 8)) {
      c = put8(c, 0xcc);
      c = put8(c, static_cast<std::uint8_t>(d));
    } else if (d < (std::uint64_t{1} << 16)) {
      c = put8(c, 0xcd);
      c = put_be16(c, static_cast<std::uint16_t>(d));
    } else if (d < (std::uint64_t{1} << 32)) {
      c = put8(c, 0xce);
      c = put_be32(c, static_cast<std::uint32_t>(d));
    } else {
      c = put8(c, 0xcf);
      c = put_be64(c, d);
    }
    cursor_ = c;
  }

  // Always float64 (see Encoder::encode).
  void float64(std::uint64_t bits) {
    room(9);
    cursor_ = put_be64(put8(cursor_, 0xcb), bits);
  }

  void str(const char* data, std::uint32_t size) {
    room(std::size_t{5} + size);
    char* c = cursor_;
    if (size < 32) {
      c = put8(c, static_cast<std::uint8_t>(0xa0 | size));
    } else if (size < 256) {
      c = put8(c, 0xd9);
      c = put8(c, static_cast<std::uint8_t>(size));
    } else if (size < 65536) {
      c = put8(c, 0xda);
      c = put_be16(c, static_cast<std::uint16_t>(size));
    } else {
      c = put8(c, 0xdb);
      c = put_be32(c, size);
    }
    cursor_ = body(c, data, size);
  }

  void bin(const char* data, std::uint32_t size) {
    room(std::size_t{5} + size);
    char* c = cursor_;
    if (size < 256) {
      c = put8(c, 0xc4);
      c = put8(c, static_cast<std::uint8_t>(size));
    } else if (size < 65536) {
      c = put8(c, 0xc5);
      c = put_be16(c, static_cast<std::uint16_t>(size));
    } else {
      c = put8(c, 0xc6);
      c = put_be32(c, size);
    }
    cursor_ = body(c, data, size);
  }

  void array(std::uint32_t n) { container(n, 0x90, 0xdc); }
  void map(std::uint32_t n) { container(n, 0x80, 0xde); }

 private:
  // Headers of arrays (fix 0x90, 16-bit 0xdc, 32-bit 0xdd) and maps (0x80, 0xde, 0xdf).
  void container(std::uint32_t n, std::uint8_t fix, std::uint8_t sixteen) {
    room(5);
    char* c = cursor_;
    if (n < 16) {
      c = put8(c, static_cast<std::uint8_t>(fix | n));
    } else if (n < 65536) {
      c = put8(c, sixteen);
      c = put_be16(c, static_cast<std::uint16_t>(n));
    } else {
      c = put8(c, static_cast<std::uint8_t>(sixteen + 1));
      c = put_be32(c, n);
    }
    cursor_ = c;
  }
  void byte_token(std::uint8_t b) {
    room(1);
    cursor_ = put8(cursor_, b);
  }
  [[gnu::always_inline]] void room(std::size_t size) {
    if (size > static_cast<std::size_t>(end_ - cursor_)) [[unlikely]] grow(size);
  }
  // Each token writes through a local cursor and stores it back once:
  // a byte written through the member could alias the member itself
  // (char may alias anything), which made the compiler reload and store it
  // around every byte. Multi-byte numbers go out as one byte-swapped store.
  static char* put8(char* c, std::uint8_t b) {
    *c = static_cast<char>(b);
    return c + 1;
  }
  static char* put_be16(char* c, std::uint16_t v) {
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap16(v);
    std::memcpy(c, &v, sizeof v);
    return c + sizeof v;
  }
  static char* put_be32(char* c, std::uint32_t v) {
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
    std::memcpy(c, &v, sizeof v);
    return c + sizeof v;
  }
  static char* put_be64(char* c, std::uint64_t v) {
    if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
    std::memcpy(c, &v, sizeof v);
    return c + sizeof v;
  }
  // Most bodies are field names and short values: up to 16 bytes are
  // copied inline by two overlapping loads and stores (reading only inside
  // [data, data + size)), the rest by memcpy.
  static char* body(char* c, const char* data, std::size_t size) {
    if (size >= 8 && size <= 16) {
      copy_two<std::uint64_t>(c, data, size);
    } else if (size >= 4 && size < 8) {
      copy_two<std::uint32_t>(c, data, size);
    } else if (size > 0 && size < 4) {
      c[0] = data[0];
      c[size / 2] = data[size / 2];
      c[size - 1] = data[size - 1];
    } else if (size != 0) {  // an empty string's body may come with a null pointer
      std::memcpy(c, data, size);
    }
    return c + size;
  }
  // The first and the last sizeof(Word) bytes of [data, data + size), for
  // sizeof(Word) <= size <= 2 * sizeof(Word): together, all of them.
  template <typename Word>
  static void copy_two(char* c, const char* data, std::size_t size) {
    Word head;
    Word tail;
    std::memcpy(&head, data, sizeof head);
    std::memcpy(&tail, data + size - sizeof tail, sizeof tail);
    std::memcpy(c, &head, sizeof head);
    std::memcpy(c + size - sizeof tail, &tail, sizeof tail);
  }
  void point_at(std::size_t used) {
    cursor_ = out_->data() + used;
    end_ = out_->data() + out_->size();
  }
  [[gnu::noinline]] void grow(std::size_t size) {
    const std::size_t written = used();
    out_->resize(std::max(written + size, out_->capacity()));
    point_at(written);
  }

  std::string* out_;
  char* cursor_ = nullptr;
  char* end_ = nullptr;
};

// Internal calls return bool and keep the error aside: a Status per value
// (it holds a string) costs more than the packing itself.
class Encoder {
 public:
  // Writes at `start` of `out`, which may already hold room for the
  // encoding; the encoding ends at end(), and `out` is not cut there.
  Encoder(std::string& out, std::size_t start, std::size_t max_depth) : writer_(out, start), max_depth_(max_depth) {}

  Status encode_value(const Value& v) { return status(encode(v, 0)); }
  Status encode_document(const Object& doc) { return status(encode_object(doc, 0)); }
  std::size_t end() const { return writer_.used(); }

 private:
  // `depth` is the number of containers enclosing v. Inlined into the
  // container loops, so a scalar costs no call; the recursion goes through
  // encode_array and encode_object only.
  [[gnu::always_inline]] bool encode(const Value& v, std::size_t depth) {
    switch (v.type()) {
      case ValueType::kNull: writer_.nil(); return true;
      case ValueType::kBool: writer_.boolean(v.as_bool()); return true;
      case ValueType::kInt: writer_.int64(v.as_int()); return true;
      case ValueType::kUint: writer_.uint64(v.as_uint()); return true;
      case ValueType::kDouble: write_float64(v.as_double()); return true;
      case ValueType::kString: return encode_string(v.as_string());
      case ValueType::kBinary: {
        const auto& bytes = v.as_binary().bytes;
        if (bytes.size() > kMaxLength) return too_long("binary", bytes.size());
        writer_.bin(reinterpret_cast<const char*>(bytes.data()), static_cast<std::uint32_t>(bytes.size()));
        return true;
      }
      case ValueType::kArray: return encode_array(v.as_array(), depth);
      case ValueType::kObject: return encode_object(v.as_object(), depth);
    }
    error_ = Status::invalid_document("unknown value type");
    return false;
  }

  [[gnu::noinline]] bool encode_array(const Array& array, std::size_t depth) {
    if (depth + 1 > max_depth_) return too_deep();
    if (array.size() > kMaxLength) return too_long("array", array.size());
    writer_.array(static_cast<std::uint32_t>(array.size()));
    for (const Value& element : array) {
      if (!encode(element, depth + 1)) return false;
    }
    return true;
  }

  [[gnu::noinline]] bool encode_object(const Object& object, std::size_t depth) {
    if (depth + 1 > max_depth_) return too_deep();
    if (object.size() > kMaxLength) return too_long("object", object.size());
    writer_.map(static_cast<std::uint32_t>(object.size()));
    for (const auto& [name, field] : object) {
      if (!encode_string(name) || !encode(field, depth + 1)) return false;
    }
    return true;
  }

  bool encode_string(const std::string& s) {
    if (s.size() > kMaxLength) return too_long("string", s.size());
    writer_.str(s.data(), static_cast<std::uint32_t>(s.size()));
    return true;
  }

  // msgpack-c 4.x's pack_double() stores integral doubles (1.0) as
  // integers, which would read back as int64 and break the promise that
  // doubles stay doubles: always float64 here. NaN is written as the one
  // quiet NaN, so equal Values always have equal bytes.
  void write_float64(double d) {
    std::uint64_t bits = 0x7ff8000000000000ULL;
    if (!std::isnan(d)) std::memcpy(&bits, &d, sizeof bits);
    writer_.float64(bits);
  }

  Status status(bool encoded) { return encoded ? Status::ok() : std::move(error_); }

  bool too_deep() {
    error_ = Status::invalid_document("nesting deeper than " + std::to_string(max_depth_) + " levels");
    return false;
  }
  bool too_long(std::string_view what, std::size_t size) {
    error_ = Status::invalid_document(std::string(what) + " of " + std::to_string(size) +
                                      " elements or bytes exceeds the msgpack limit of 2^32-1");
    return false;
  }

  Writer writer_;
  std::size_t max_depth_;
  Status error_;
};

// Builds a Value from msgpack-c's parse events. Containers under
// construction live on an explicit stack (bounded by max_depth), so nothing
// recurses on input depth. Returning false stops the parse; the reason is
// kept in error().
class DecodeVisitor : public codec::BoundedVisitor {
 public:
  DecodeVisitor(std::size_t max_depth, std::size_t input_size)
      : BoundedVisitor(max_depth), reserve_budget_(input_size) {}

  bool visit_nil() { return emit(Value()); }
  bool visit_boolean(bool b) { return emit(Value(b)); }
  bool visit_positive_integer(std::uint64_t n) { return emit(Value(n)); }  // normalizes to int64 when it fits
  bool visit_negative_integer(std::int64_t n) { return emit(Value(n)); }
  bool visit_float32(float f) { return emit(Value(static_cast<double>(f))); }
  bool visit_float64(double d) { return emit(Value(d)); }
  bool visit_str(const char* data, std::uint32_t size) {
    if (in_key_) {
      frames_.back().key.assign(data, size);
      return true;
    }
    return emit(Value(std::string(data, size)));
  }
  bool visit_bin(const char* data, std::uint32_t size) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
    return emit(Value(Binary(std::vector<std::uint8_t>(bytes, bytes + size))));
  }
  bool start_array(std::uint32_t count) {
    if (!open_container()) return false;
    Frame& frame = frames_.emplace_back();
    frame.array.reserve(take_reserve(count));
    return true;
  }
  bool start_array_item() { return true; }
  bool end_array_item() { return true; }
  bool end_array() {
    Array array = std::move(frames_.back().array);
    frames_.pop_back();
    leave_container();
    return emit(Value(std::move(array)));
  }

  bool start_map(std::uint32_t /*count*/) {
    if (!open_container()) return false;
    frames_.emplace_back().is_map = true;
    return true;
  }
  bool start_map_key() {
    in_key_ = true;
    return true;
  }
  bool end_map_key() {
    in_key_ = false;
    return true;
  }
  bool start_map_value() { return true; }
  bool end_map_value() { return true; }
  bool end_map() {
    Object object = std::move(frames_.back().object);
    frames_.pop_back();
    leave_container();
    return emit(Value(std::move(object)));
  }

  Value take_result() { return std::move(result_); }

 private:
  struct Frame {
    bool is_map = false;
    Array array;
    Object object;
    std::string key;
  };

  bool open_container() {
    if (in_key_) return fail("map key is not a string");
    return enter_container();
  }

  // A declared count is untrusted; every real element takes at least one
  // input byte, so reservations are capped by the input size in total.
  std::size_t take_reserve(std::uint32_t count) {
    const std::size_t n = std::min<std::size_t>(count, reserve_budget_);
    reserve_budget_ -= n;
    return n;
  }

  bool emit(Value v) {
    if (in_key_) return fail("map key is not a string");
    if (frames_.empty()) {
      result_ = std::move(v);
      return true;
    }
    Frame& frame = frames_.back();
    if (!frame.is_map) {
      frame.array.push_back(std::move(v));
      return true;
    }
    // Canonical input has sorted keys, so the end is the right hint;
    // try_emplace leaves the key intact when it is a duplicate.
    const std::size_t before = frame.object.size();
    frame.object.try_emplace(frame.object.end(), std::move(frame.key), std::move(v));
    if (frame.object.size() == before) return fail("duplicate map key \"" + frame.key + "\"");
    return true;
  }

  std::size_t reserve_budget_;
  bool in_key_ = false;
  std::vector<Frame> frames_;
  Value result_;
};

}  // namespace

Status encode_msgpack(const Value& v, std::string& out, std::size_t max_depth) {
  Encoder encoder(out, out.size(), max_depth);
  Status s = encoder.encode_value(v);
  out.resize(encoder.end());
  return s;
}

Result<std::string_view> encode_document_in(const Object& doc, std::string& scratch, std::size_t max_depth) {
  // Written over from the start: the scratch keeps its full size between
  // calls, so it is never cleared or zero-filled again.
  scratch.resize(scratch.capacity());  // a no-op but the first time
  Encoder encoder(scratch, 0, max_depth);
  if (Status s = encoder.encode_document(doc); !s) return s;
  return std::string_view(scratch.data(), encoder.end());
}

Status encode_msgpack(const Object& doc, std::string& out, std::size_t max_depth) {
  // Encoded once into this thread's scratch string, then copied: an empty
  // `out` gets one allocation of the exact size without a second walk of
  // the document to measure it first. Past 1 MiB the scratch is let go.
  thread_local std::string scratch;
  constexpr std::size_t kScratchKept = std::size_t{1} << 20;
  Result<std::string_view> encoded = encode_document_in(doc, scratch, max_depth);
  if (encoded) out.append(encoded->data(), encoded->size());
  if (scratch.size() > kScratchKept) std::string().swap(scratch);
  return encoded ? Status::ok() : encoded.status();
}

Result<Value> decode_msgpack(std::string_view bytes, std::size_t max_depth) {
  DecodeVisitor visitor(max_depth, bytes.size());
  if (Status s = codec::parse_bounded(bytes, visitor); !s) return s;
  return visitor.take_result();
}

Result<Object> decode_document(std::string_view bytes, std::size_t max_depth) {
  Result<Value> decoded = decode_msgpack(bytes, max_depth);
  if (!decoded.is_ok()) return decoded.status();
  Value& v = decoded.value();
  if (!v.is_object()) {
    return Status::corruption("msgpack: document is not a map (got " + std::string(v.type_name()) + ")");
  }
  return std::move(v.as_object());
}

Status make_checked_document(std::string& bytes, std::size_t max_depth) {
  Status checked = scan::check_document(bytes, max_depth);
  if (checked) return checked;
  // Keys out of order are the one flaw a re-encode repairs; decoding
  // reports everything else (and repeated keys) in its own words.
  auto decoded = decode_document(bytes, max_depth);
  if (!decoded) return decoded.status();
  std::string encoded;
  if (Status s = encode_msgpack(*decoded, encoded, max_depth); !s) return Status::corruption(s.message());
  bytes = std::move(encoded);
  return Status::ok();
}

}  // namespace snapstore::value
