// The shared parts of the comparison: group labels and their order in the
// table, the encoded document pools, ids, delete order and directories.
#include "bench/compare/harness.h"

#include <algorithm>
#include <iostream>
#include <numeric>
#include <random>

#include <malloc.h>
#include <sys/resource.h>

#include "engine/id_generator.h"
#include "value/msgpack_codec.h"

namespace compare {

namespace {
constexpr std::size_t kMaxDepth = 100;
}  // namespace

bool Config::wants_loaded() const {
  for (const char* workload :
       {"load", "create_index", "open", "get", "update", "delete", "lookup", "range", "stream"}) {
    if (wants(workload)) return true;
  }
  return false;
}

const std::vector<Subject>& subjects() {
  static const std::vector<Subject> kSubjects = {
      {"snapstore", run_snapstore, ""},
      {"rocksdb", run_rocksdb, ""},
      {"sqlite", run_sqlite, ""},
#ifdef SNAPSTORE_COMPARE_LMDB
      {"lmdb", run_lmdb, "liblmdb-dev"},
#else
      {"lmdb", nullptr, "liblmdb-dev"},
#endif
#ifdef SNAPSTORE_COMPARE_WIREDTIGER
      {"wiredtiger", run_wiredtiger, "libwiredtiger-dev"},
#else
      {"wiredtiger", nullptr, "libwiredtiger-dev"},
#endif
  };
  return kSubjects;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string heap_state_label(HeapState state) {
  return state == HeapState::kKept ? "heap kept" : "heap returned before each query";
}

void keep_heap() {
  constexpr int kMmapThreshold = 32 << 20;  // glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
  if (mallopt(M_MMAP_THRESHOLD, kMmapThreshold) != 1 || mallopt(M_TRIM_THRESHOLD, 2 * kMmapThreshold) != 1) {
    bench::die("mallopt: glibc refused the mmap or trim threshold");
  }
}

void prepare_heap(HeapState state) {
  if (state == HeapState::kReturned) malloc_trim(0);
}

std::uint64_t minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_minflt);
}

void report_faults(const std::string& subject, const Measurement& m, std::uint64_t faults) {
  std::cerr << "\ncompare:   " << subject << ": " << (m.ops > 0 ? faults / m.ops : 0)
            << " minor page faults per query (" << m.ops << " queries)" << std::flush;
}

std::string threads_label(int threads) { return std::to_string(threads) + (threads == 1 ? " thread" : " threads"); }

Group insert_group(int threads, bool durable) {
  return {"insert, " + threads_label(threads) + (durable ? ", durable" : ", not durable"),
          100 + threads * 2 + (durable ? 0 : 1)};
}
Group batch_group(bool durable) {
  return {std::string("batch insert of 100, ") + (durable ? "durable" : "not durable"), 200 + (durable ? 0 : 1)};
}
Group load_group(std::uint64_t documents) { return {"load " + std::to_string(documents) + " documents", 300}; }
Group create_index_group(const std::string& index) {
  return {"create_index " + index + " on the loaded store", index == kCityIndex ? 400 : 401};
}
Group open_group(std::uint64_t documents) {
  return {"open " + std::to_string(documents) + " documents + 2 indexes", 500};
}
Group get_group() { return {"get by id", 600}; }
Group update_group(bool durable) {
  return {std::string("update, ") + (durable ? "durable" : "not durable"), 700 + (durable ? 0 : 1)};
}
Group delete_group(bool durable) {
  return {std::string("delete, ") + (durable ? "durable" : "not durable"), 800 + (durable ? 0 : 1)};
}
Group get_view_group() { return {"get by id, as a view", 650, get_group().workload}; }
Group get_view_two_threads_group() { return {"get by id, as a view, 2 threads", 660}; }
Group lookup_group(HeapState state) {
  return {"exact lookup, one city (~1%), " + heap_state_label(state), state == HeapState::kKept ? 900 : 910};
}
Group lookup_view_group() {
  return {"exact lookup, one city (~1%), as views", 950, lookup_group(HeapState::kKept).workload};
}
Group range_group(HeapState state) {
  return {"range lookup, 1% of seq, " + heap_state_label(state), state == HeapState::kKept ? 1000 : 1010};
}
Group range_view_group() { return {"range lookup, 1% of seq, as views", 1050, range_group(HeapState::kKept).workload}; }
Group stream_group() { return {"stream all documents", 1100}; }
Group memory_group(int indexes) {
  return {"memory per document, " + std::to_string(indexes) + " indexes", 1200 + indexes};
}

std::string encode_msgpack(const snapstore::Document& doc) {
  std::string bytes;
  if (!snapstore::value::encode_msgpack(doc, bytes, kMaxDepth)) bench::die("msgpack encode");
  return bytes;
}

snapstore::Document decode_msgpack(std::string_view bytes) {
  auto doc = snapstore::value::decode_document(bytes, kMaxDepth);
  if (!doc) bench::die("msgpack decode: " + doc.status().message());
  return std::move(doc).value();
}

snapstore::Document parse_json(std::string_view text) {
  auto value = snapstore::from_json(text, kMaxDepth);
  if (!value || !value->is_object()) bench::die("JSON parse of a document");
  return std::move(value->as_object());
}

namespace {

template <typename Encode>
std::vector<std::string> encoded_pool(const Encode& encode, bool updated) {
  std::vector<std::string> pool;
  pool.reserve(bench::kPoolSize);
  for (std::uint64_t i = 0; i < bench::kPoolSize; ++i) {
    pool.push_back(encode(updated ? updated_pool()[i] : bench::document_from_pool(i)));
  }
  return pool;
}

std::string to_json_text(const snapstore::Document& doc) { return snapstore::to_json(snapstore::Value(doc)); }

}  // namespace

const std::vector<snapstore::Document>& updated_pool() {
  static const std::vector<snapstore::Document> kPool = [] {
    std::vector<snapstore::Document> docs;
    for (std::uint64_t i = 0; i < bench::kPoolSize; ++i) docs.push_back(bench::updated_document(i));
    return docs;
  }();
  return kPool;
}

const std::vector<std::string>& msgpack_pool() {
  static const std::vector<std::string> kPool = encoded_pool(encode_msgpack, false);
  return kPool;
}
const std::vector<std::string>& json_pool() {
  static const std::vector<std::string> kPool = encoded_pool(to_json_text, false);
  return kPool;
}
const std::vector<std::string>& updated_msgpack_pool() {
  static const std::vector<std::string> kPool = encoded_pool(encode_msgpack, true);
  return kPool;
}
const std::vector<std::string>& updated_json_pool() {
  static const std::vector<std::string> kPool = encoded_pool(to_json_text, true);
  return kPool;
}

void build_pools() {
  bench::document_from_pool(0);
  msgpack_pool();
  json_pool();
  updated_msgpack_pool();
  updated_json_pool();
}

std::string new_id() { return snapstore::engine::next_document_id(); }

std::vector<std::uint32_t> delete_order(std::uint64_t n) {
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::mt19937_64 rng(bench::kSeed);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

std::filesystem::path fresh_dir(const Config& config, const std::string& name) {
  const std::filesystem::path dir = config.dir / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void remove_dir(const std::filesystem::path& dir) {
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace compare
