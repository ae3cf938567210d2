// Writes the seed corpus of the fuzz targets: `make_fuzz_corpus <dir>` fills
// <dir>/<target>/ with small inputs made by snapstore's own encoders and
// writer, so that every seed is a realistic input (valid segments, torn and
// zeroed tails, every Value type and operation), plus a few hand-made
// non-canonical and broken ones. tests/fuzz/corpus/ is its output.
#include <stdlib.h>
#include <xxhash.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "recovery/mirror_format.h"
#include "snapstore/value.h"
#include "value/msgpack_codec.h"
#include "wal/env.h"
#include "wal/format.h"
#include "wal/reader.h"
#include "wal/record.h"
#include "wal/writer.h"

namespace {

namespace fs = std::filesystem;
using namespace snapstore;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "make_fuzz_corpus: %s\n", what.c_str());
  std::exit(1);
}

void write_seed(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) die("cannot write " + (dir / name).string());
}

std::string encode(const Value& v) {
  std::string out;
  if (Status s = value::encode_msgpack(v, out, 100); !s) die(s.message());
  return out;
}

std::string hand(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

// One Value of each type, and documents that combine them.
std::vector<std::pair<std::string, Value>> sample_values() {
  const Document address{{"city", "New York"}, {"zip", "10001"}};
  return {
      {"null", Value()},
      {"bool", Value(true)},
      {"int_small", Value(42)},
      {"int_negative", Value(-1234567)},
      {"int_min", Value(std::numeric_limits<std::int64_t>::min())},
      {"uint_max", Value(std::numeric_limits<std::uint64_t>::max())},
      {"double", Value(2.5)},
      {"double_nan", Value(std::nan(""))},
      {"double_inf", Value(-std::numeric_limits<double>::infinity())},
      {"string", Value("caf\xc3\xa9")},
      {"string_not_utf8", Value(std::string("\xff\xfe", 2))},
      {"binary", Value(Binary{0, 1, 2, 255})},
      {"array", Value(Array{1, "two", 3.0, nullptr, false})},
      {"nested", Value(Array{Array{Array{Document{{"deep", Array{}}}}}})},
      {"document", Value(Document{{"name", "Alice"},
                                  {"age", 30},
                                  {"address", address},
                                  {"tags", Array{"a", "b"}},
                                  {"photo", Binary{9, 8, 7}},
                                  {"score", 0.5},
                                  {"$binary", "not special alone in a bigger object"}})},
      {"reserved_name", Value(Document{{"$binary", "AQI="}})},
  };
}

void msgpack_seeds(const fs::path& dir) {
  for (const auto& [name, v] : sample_values()) write_seed(dir, name + ".msgpack", encode(v));
  write_seed(dir, "float32.msgpack", hand({0xca, 0x3f, 0xc0, 0x00, 0x00}));
  write_seed(dir, "array16_unsorted_map.msgpack", hand({0xdc, 0x00, 0x01, 0x82, 0xa1, 0x62, 0x01, 0xa1, 0x61, 0x02}));
  write_seed(dir, "truncated_str32.msgpack", hand({0xdb, 0xff, 0xff, 0xff, 0xff, 0x61}));
  write_seed(dir, "ext.msgpack", hand({0xd4, 0x01, 0x00}));
}

void json_seeds(const fs::path& dir) {
  for (const auto& [name, v] : sample_values()) write_seed(dir, name + ".json", to_json(v));
  write_seed(dir, "pretty.json", to_json(sample_values().back().second, 2));
  write_seed(dir, "numbers.json", "[0, -0, 1e3, 1.5E-7, 18446744073709551615, -9223372036854775808, 1e400]");
  write_seed(dir, "escapes.json", R"({"s": "a\"b\\c\u00e9\ud83d\ude00\n", "$object": {"$double": "NaN"}})");
  write_seed(dir, "broken.json", R"({"a": [1, 2,}")");
}

std::vector<wal::Operation> sample_batch(int n) {
  using wal::OpType;
  std::vector<wal::Operation> ops;
  const auto& values = sample_values();
  const Value& doc = values[static_cast<std::size_t>(n) % values.size()].second;
  const std::string bytes = encode(doc.is_object() ? doc : Value(Document{{"v", doc}}));
  ops.push_back({OpType::kInsert, "doc-" + std::to_string(n), 1, bytes, {}});
  if (n % 2 == 0) ops.push_back({OpType::kUpdate, "doc-" + std::to_string(n), 2, bytes, {}});
  if (n % 3 == 0) ops.push_back({OpType::kDelete, "doc-" + std::to_string(n), 3, {}, {}});
  if (n % 4 == 0) ops.push_back({OpType::kCreateIndex, "by_city", 0, {}, {"city", "address.zip"}});
  if (n % 5 == 0) ops.push_back({OpType::kDropIndex, "by_city", 0, {}, {}});
  return ops;
}

void record_seeds(const fs::path& dir) {
  for (int n = 0; n < 8; ++n) {
    std::string payload;
    wal::append_payload(payload, 1 + 10 * static_cast<std::uint64_t>(n), wal::encode_operations(sample_batch(n)));
    write_seed(dir, "batch_" + std::to_string(n) + ".payload", payload);
  }
}

// A record framed by hand, for types the writer does not produce.
std::string frame(std::uint8_t type, const std::string& payload) {
  std::string body(4 + 1, '\0');
  for (int i = 0; i < 4; ++i) body[static_cast<std::size_t>(i)] = static_cast<char>(payload.size() >> (8 * i));
  body[4] = static_cast<char>(type);
  body += payload;
  const std::uint64_t checksum = XXH64(body.data(), body.size(), 0);
  std::string record(8, '\0');
  for (int i = 0; i < 8; ++i) record[static_cast<std::size_t>(i)] = static_cast<char>(checksum >> (8 * i));
  return record + body;
}

// The segment files of a log of `count` batches, one batch per segment.
std::vector<std::string> written_segments(int count) {
  char tmpl[] = "/tmp/snapstore-corpus-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) die("mkdtemp failed");
  const std::string wal_dir = tmpl;
  wal::Env* env = wal::Env::posix();
  wal::WriterOptions options;
  options.segment_bytes = wal::kSegmentHeaderSize + 1;  // roll before every append but the first
  auto writer = wal::LogWriter::open(env, wal_dir, 1, options, nullptr);
  if (!writer) die(writer.status().message());
  for (int n = 0; n < count; ++n) {
    const auto ops = sample_batch(n);
    if (auto lsn = (*writer)->append(wal::encode_operations(ops), ops.size()); !lsn) die(lsn.status().message());
  }
  if (Status s = (*writer)->close(); !s) die(s.message());
  auto listed = wal::list_segments(env, wal_dir);
  if (!listed) die(listed.status().message());
  std::vector<std::string> contents;
  for (const wal::SegmentInfo& segment : *listed) {
    auto content = env->read_file(segment.path);
    if (!content) die(content.status().message());
    contents.push_back(*content);
  }
  fs::remove_all(wal_dir);
  if (contents.size() < 3) die("the writer did not roll segments");
  return contents;
}

void reader_seeds(const fs::path& dir) {
  char tmpl[] = "/tmp/snapstore-corpus-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) die("mkdtemp failed");
  const std::string wal_dir = tmpl;
  wal::Env* env = wal::Env::posix();
  auto writer = wal::LogWriter::open(env, wal_dir, 1, wal::WriterOptions{}, nullptr);
  if (!writer) die(writer.status().message());
  std::vector<std::size_t> record_ends;
  const std::string path = wal::join_path(wal_dir, wal::SegmentName::for_lsn(1));
  for (int n = 0; n < 5; ++n) {
    const auto ops = sample_batch(n);
    if (auto lsn = (*writer)->append(wal::encode_operations(ops), ops.size()); !lsn) die(lsn.status().message());
    record_ends.push_back(static_cast<std::size_t>(*env->file_size(path)));
  }
  if (Status s = (*writer)->close(); !s) die(s.message());
  auto read = env->read_file(path);
  if (!read) die(read.status().message());
  const std::string segment = *read;
  fs::remove_all(wal_dir);

  write_seed(dir, "header_only.log", segment.substr(0, wal::kSegmentHeaderSize));
  write_seed(dir, "one_record.log", segment.substr(0, record_ends[0]));
  write_seed(dir, "five_records.log", segment);
  write_seed(dir, "torn_payload.log", segment.substr(0, record_ends[3] - 7));
  write_seed(dir, "torn_header.log", segment.substr(0, record_ends[3] + 5));
  write_seed(dir, "zeroed_tail.log", segment + std::string(64, '\0'));
  std::string flipped = segment;
  flipped[record_ends[1] + 20] = static_cast<char>(flipped[record_ends[1] + 20] ^ 0x10);
  write_seed(dir, "flipped_middle_record.log", flipped);
  write_seed(dir, "ignorable_record.log",
             segment.substr(0, record_ends[0]) + frame(0x80 | 7, "a newer writer's note") +
                 segment.substr(record_ends[0], record_ends[1] - record_ends[0]));
  write_seed(dir, "torn_segment_header.log", segment.substr(0, 20));

  // Two segment files cut at the second magic (wal_reader_fuzzer.cc): in
  // sequence, with a gap, and with the first one damaged at its end.
  const std::vector<std::string> segments = written_segments(4);
  write_seed(dir, "two_segments.log", segments[0] + segments[1]);
  write_seed(dir, "two_segments_gap.log", segments[0] + segments[2]);
  write_seed(dir, "two_segments_first_torn.log", segments[0].substr(0, segments[0].size() - 5) + segments[1]);
}

void index_fields_seeds(const fs::path& dir) {
  write_seed(dir, "one_field.msgpack", recovery::encode_index_fields({"city"}));
  write_seed(dir, "dotted_and_empty.msgpack", recovery::encode_index_fields({"address.zip", "", "name"}));
  write_seed(dir, "long_field.msgpack", recovery::encode_index_fields({std::string(40, 'f'), "\xff"}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) die("usage: make_fuzz_corpus <corpus dir>");
  const fs::path root = argv[1];
  msgpack_seeds(root / "msgpack_value_fuzzer");
  json_seeds(root / "json_document_fuzzer");
  record_seeds(root / "wal_record_fuzzer");
  reader_seeds(root / "wal_reader_fuzzer");
  index_fields_seeds(root / "index_fields_fuzzer");
  return 0;
}
