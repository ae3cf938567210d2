// The documents every benchmark writes: ~10 fields of mixed types (strings,
// ints, doubles, a bool, a nested object, a small array), generated
// deterministically from a sequence number and a fixed seed, so every run and
// every program measures the same data. Plus the setup helpers they share.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "snapstore/store.h"

namespace bench {

using snapstore::Array;
using snapstore::Document;

inline constexpr std::uint64_t kSeed = 0x5eed'2024'0001;
inline constexpr std::uint64_t kCities = 100;
// Setup failures end the program: a benchmark on a half-built store would
// report numbers that mean nothing.
[[noreturn]] inline void die(const std::string& what) {
  std::cerr << "benchmark setup failed: " << what << "\n";
  std::exit(EXIT_FAILURE);
}

template <typename T>
T must(snapstore::Result<T> result, const char* step) {
  if (!result) die(std::string(step) + ": " + result.status().message());
  return std::move(result).value();
}

inline void must(const snapstore::Status& status, const char* step) {
  if (!status) die(std::string(step) + ": " + status.message());
}

// splitmix64: small, fast, and the same sequence on every platform (the
// standard distributions are not).
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline double unit_interval(std::uint64_t& state) { return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53; }

inline std::string city_name(std::uint64_t city) {
  char name[16];
  std::snprintf(name, sizeof name, "city-%02u", static_cast<unsigned>(city));
  return name;
}

// The document with sequence number `seq`. Braced initializers evaluate left
// to right, so the field values are drawn from `rng` in a fixed order.
inline Document make_document(std::uint64_t seq) {
  static constexpr std::string_view kTags[] = {"new", "vip", "trial", "churn-risk", "beta", "mobile"};
  std::uint64_t rng = kSeed ^ (seq * 0xd1b54a32d192ed03ULL);
  Array tags;
  for (std::uint64_t n = splitmix64(rng) % 4; n > 0; --n) tags.emplace_back(kTags[splitmix64(rng) % std::size(kTags)]);
  char zip[8];
  std::snprintf(zip, sizeof zip, "%05u", static_cast<unsigned>(splitmix64(rng) % 100'000));
  return Document{
      {"seq", seq},
      {"name", "user-" + std::to_string(seq)},
      {"email", "user" + std::to_string(seq) + "@example.com"},
      {"city", city_name(splitmix64(rng) % kCities)},
      {"age", 18 + static_cast<std::int64_t>(splitmix64(rng) % 80)},
      {"score", unit_interval(rng) * 100},
      {"balance", unit_interval(rng) * 10'000 - 2'000},
      {"active", splitmix64(rng) % 4 != 0},
      {"address",
       Document{{"street", std::to_string(1 + splitmix64(rng) % 9'999) + " Main St"},
                {"zip", std::string(zip)},
                {"geo", Document{{"lat", unit_interval(rng) * 180 - 90}, {"lon", unit_interval(rng) * 360 - 180}}}}},
      {"tags", std::move(tags)},
  };
}

// What an update writes over document `seq`: new score and balance, same
// indexed fields (so lookups keep returning ~1%).
inline Document updated_document(std::uint64_t seq) {
  Document doc = make_document(seq);
  std::uint64_t rng = kSeed ^ ~seq;
  doc["score"] = unit_interval(rng) * 100;
  doc["balance"] = unit_interval(rng) * 10'000 - 2'000;
  return doc;
}

inline constexpr std::size_t kPoolSize = 10'000;

// Document `seq mod kPoolSize`, generated once: keeps generation out of timed loops.
inline const Document& document_from_pool(std::uint64_t seq) {
  static const std::vector<Document> kPool = [] {
    std::vector<Document> docs;
    for (std::uint64_t i = 0; i < kPoolSize; ++i) docs.push_back(make_document(i));
    return docs;
  }();
  return kPool[seq % kPoolSize];
}

}  // namespace bench
