// The direct msgpack writer (value/msgpack_codec.cc) against msgpack-c's
// packer, which snapstore's encoder used before: the same Values must give
// the same bytes at every form boundary, since snapshots, WAL records and
// the RocksDB mirror all hold these bytes and equal Values must stay equal
// bytes across versions.
#include <gtest/gtest.h>

#include <msgpack.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "value/msgpack_codec.h"

namespace snapstore::value {
namespace {

std::string encoded(const Value& v) {
  std::string out;
  EXPECT_TRUE(encode_msgpack(v, out, 100).is_ok());
  return out;
}

std::string packed(const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& pack) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  pack(packer);
  return std::string(buffer.data(), buffer.size());
}

std::vector<std::int64_t> integer_boundaries() {
  std::vector<std::int64_t> values{0, 1, -1, INT64_MIN, INT64_MAX};
  for (int bit = 0; bit < 63; ++bit) {
    const std::int64_t p = std::int64_t{1} << bit;
    for (std::int64_t v : {p - 1, p, p + 1, -p - 1, -p, -p + 1}) values.push_back(v);
  }
  return values;
}

std::vector<std::uint32_t> length_boundaries() { return {0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536, 70000}; }

TEST(MsgpackWriterTest, IntegersMatchThePacker) {
  for (std::int64_t v : integer_boundaries()) {
    EXPECT_EQ(encoded(Value(v)), packed([&](auto& p) { p.pack_int64(v); })) << v;
  }
  for (std::uint64_t v : {std::uint64_t{1} << 63, (std::uint64_t{1} << 63) + 1, UINT64_MAX}) {
    EXPECT_EQ(encoded(Value(v)), packed([&](auto& p) { p.pack_uint64(v); })) << v;
  }
}

TEST(MsgpackWriterTest, ScalarsMatchThePacker) {
  EXPECT_EQ(encoded(Value()), packed([](auto& p) { p.pack_nil(); }));
  EXPECT_EQ(encoded(Value(true)), packed([](auto& p) { p.pack_true(); }));
  EXPECT_EQ(encoded(Value(false)), packed([](auto& p) { p.pack_false(); }));
  // Doubles are always float64 (the packer would write 1.0 as an integer).
  EXPECT_EQ(encoded(Value(1.5)), std::string("\xcb\x3f\xf8\0\0\0\0\0\0", 9));
  EXPECT_EQ(encoded(Value(1.0)), std::string("\xcb\x3f\xf0\0\0\0\0\0\0", 9));
}

TEST(MsgpackWriterTest, StringsAndBinaryMatchThePackerAtEveryLengthBoundary) {
  for (std::uint32_t n : length_boundaries()) {
    const std::string text(n, 'x');
    EXPECT_EQ(encoded(Value(text)), packed([&](auto& p) {
                p.pack_str(n);
                p.pack_str_body(text.data(), n);
              }))
        << n;
    Binary bytes;
    bytes.bytes.assign(n, 0xab);
    EXPECT_EQ(encoded(Value(bytes)), packed([&](auto& p) {
                p.pack_bin(n);
                p.pack_bin_body(reinterpret_cast<const char*>(bytes.bytes.data()), n);
              }))
        << n;
  }
}

TEST(MsgpackWriterTest, ContainersMatchThePackerAtEveryLengthBoundary) {
  for (std::uint32_t n : length_boundaries()) {
    Array array(n, Value(7));
    EXPECT_EQ(encoded(Value(array)), packed([&](auto& p) {
                p.pack_array(n);
                for (std::uint32_t i = 0; i < n; ++i) p.pack_int64(7);
              }))
        << n;
    Object object;
    for (std::uint32_t i = 0; i < n; ++i) object.emplace(std::to_string(1000000 + i), Value(-40));
    EXPECT_EQ(encoded(Value(object)), packed([&](auto& p) {
                p.pack_map(n);
                for (const auto& [name, field] : object) {
                  p.pack_str(static_cast<std::uint32_t>(name.size()));
                  p.pack_str_body(name.data(), static_cast<std::uint32_t>(name.size()));
                  p.pack_int64(-40);
                }
              }))
        << n;
  }
}

}  // namespace
}  // namespace snapstore::value
