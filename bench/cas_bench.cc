// cas_bench.cc: what compare-and-set costs. update_if against update on the
// same documents, in memory and durable (Durability::kNone), one thread; each
// replaces a random document of a preloaded store (with the two indexes of
// store_bench) by a new version. update_if passes the version the benchmark
// knows, so every call succeeds: the difference is the version check alone.
//
//   cas_bench                                           10k documents
//   cas_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   cas_bench --benchmark_min_time=0.01                 the ctest smoke run
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/documents.h"
#include "snapstore/store.h"

namespace {

using snapstore::Store;

constexpr std::size_t kDocuments = 10'000;

// A loaded store, its ids and the version each document is at.
struct Loaded {
  Store store;
  std::string dir;  // empty in memory
  std::vector<std::string> ids;
  std::vector<std::uint64_t> versions;

  ~Loaded() {
    store.close();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

std::unique_ptr<Loaded> load(bool durable) {
  auto loaded = std::make_unique<Loaded>();
  if (durable) {
    std::string dir = (std::filesystem::temp_directory_path() / "cas_bench.XXXXXX").string();
    if (::mkdtemp(dir.data()) == nullptr) bench::die("mkdtemp");
    loaded->dir = dir;
    snapstore::Options options;
    options.durability = snapstore::Durability::kNone;
    loaded->store = bench::must(Store::open(dir + "/store", options), "open");
  } else {
    loaded->store = bench::must(Store::open_in_memory(), "open_in_memory");
  }
  bench::must(loaded->store.create_index("by_city", {"city"}), "create_index by_city");
  bench::must(loaded->store.create_index("by_seq", {"seq"}), "create_index by_seq");
  for (std::uint64_t seq = 0; seq < kDocuments; ++seq) {
    loaded->ids.push_back(bench::must(loaded->store.insert(bench::make_document(seq)), "insert").id);
    loaded->versions.push_back(1);
  }
  return loaded;
}

// Built once per kind (Google Benchmark calls a benchmark several times while
// it sizes the run) and removed at exit.
Loaded& loaded_store(bool durable) {
  static const auto memory = load(false);
  static const auto on_disk = load(true);
  return durable ? *on_disk : *memory;
}

const std::vector<snapstore::Document>& update_pool() {
  static const std::vector<snapstore::Document> pool = [] {
    std::vector<snapstore::Document> docs;
    for (std::uint64_t seq = 0; seq < kDocuments; ++seq) docs.push_back(bench::updated_document(seq));
    return docs;
  }();
  return pool;
}

void run(benchmark::State& state, bool durable, bool conditional) {
  Loaded* const loaded = &loaded_store(durable);
  const std::vector<snapstore::Document>& pool = update_pool();
  std::uint64_t rng = bench::kSeed + 7;
  for (auto _ : state) {
    const std::size_t i = bench::splitmix64(rng) % kDocuments;
    auto written = conditional ? loaded->store.update_if(loaded->ids[i], pool[i], loaded->versions[i])
                               : loaded->store.update(loaded->ids[i], pool[i]);
    if (!written) {
      state.SkipWithError(written.status().message().c_str());
      break;
    }
    loaded->versions[i] = written->version;
  }
  state.SetItemsProcessed(state.iterations());
}

void bench_update_memory(benchmark::State& state) { run(state, false, false); }
void bench_update_if_memory(benchmark::State& state) { run(state, false, true); }
void bench_update_none(benchmark::State& state) { run(state, true, false); }
void bench_update_if_none(benchmark::State& state) { run(state, true, true); }

}  // namespace

BENCHMARK(bench_update_memory)->Name("update/memory");
BENCHMARK(bench_update_if_memory)->Name("update_if/memory");
BENCHMARK(bench_update_none)->Name("update/durable_none");
BENCHMARK(bench_update_if_none)->Name("update_if/durable_none");

BENCHMARK_MAIN();
