// Little-endian fixed-width integers: the byte order of every integer in
// snapstore's own file formats (WAL, mirror values, dump files).
#pragma once

#include <cstdint>
#include <string>

namespace snapstore::base {

inline void encode_fixed32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
inline void encode_fixed64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
inline void put_fixed32(std::string& out, std::uint32_t v) {
  char bytes[4];
  encode_fixed32(bytes, v);
  out.append(bytes, 4);
}
inline void put_fixed64(std::string& out, std::uint64_t v) {
  char bytes[8];
  encode_fixed64(bytes, v);
  out.append(bytes, 8);
}
inline std::uint32_t get_fixed32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline std::uint64_t get_fixed64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace snapstore::base
