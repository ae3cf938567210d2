// snapshot_bench.cc: point-in-time snapshots (Store::snapshot()): the cost of
// taking one against the store's size, and reads at a snapshot against the
// same reads at head, alone and with a writer updating documents meanwhile
// (which makes every write keep the version it replaces for the snapshot).
//
//   snapshot_bench                         N = 100k read store, 10k and 1M for creation
//   snapshot_bench --docs=2000 --big=20000 --benchmark_min_time=0.01   the ctest smoke
//
// snapshot_create/N takes a snapshot and releases it per iteration (the
// release prunes nothing: no write runs). The read rows use store_bench's
// documents and its by_city index; /writer:1 runs one thread updating random
// documents (indexed fields unchanged) for the whole row, and the reader
// takes a fresh snapshot every 4096 reads, so the history it reads through
// stays at the few thousand versions a real reader would see.
// lookup/snapshot_hot_document reads at a snapshot past one document
// updated 100k times since.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "bench/documents.h"
#include "snapstore/store.h"

namespace {

using snapstore::Document;
using snapstore::Snapshot;
using snapstore::Store;

std::size_t g_documents = 100'000;  // --docs=N: the read rows' store
std::size_t g_big = 1'000'000;      // --big=N: the largest creation row

using bench::city_name;
using bench::die;
using bench::kCities;
using bench::kSeed;
using bench::make_document;
using bench::must;
using bench::splitmix64;
using bench::updated_document;

// A store of n small documents, built once per size.
Store& sized_store(std::size_t n) {
  static std::mutex mutex;
  static std::map<std::size_t, Store> stores;
  std::lock_guard lock(mutex);
  auto it = stores.find(n);
  if (it == stores.end()) {
    Store store = must(Store::open_in_memory(), "open_in_memory");
    for (std::size_t i = 0; i < n; ++i) {
      must(store.insert(Document{{"seq", static_cast<std::int64_t>(i)}}), "load insert");
    }
    it = stores.emplace(n, std::move(store)).first;
  }
  return it->second;
}

struct LoadedStore {
  Store store;
  std::vector<std::string> ids;
};

LoadedStore& loaded_store() {
  static LoadedStore loaded = [] {
    LoadedStore l{must(Store::open_in_memory(), "open_in_memory"), {}};
    for (std::uint64_t seq = 0; seq < g_documents; ++seq) {
      l.ids.push_back(must(l.store.insert(make_document(seq)), "load insert").id);
    }
    must(l.store.create_index("by_city", {"city"}), "create_index by_city");
    return l;
  }();
  return loaded;
}

// Updates random documents of the loaded store until stopped.
class Writer {
 public:
  explicit Writer(bool run) {
    if (!run) return;
    thread_ = std::thread([this] {
      LoadedStore& loaded = loaded_store();
      const std::size_t pool = std::min(loaded.ids.size(), bench::kPoolSize);
      std::uint64_t rng = kSeed + 7;
      while (!stop_.load(std::memory_order_relaxed)) {
        const std::size_t seq = splitmix64(rng) % pool;
        must(loaded.store.update(loaded.ids[seq], updated_document(seq)), "writer update");
        writes_.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  ~Writer() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t writes() const { return writes_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> writes_{0};
  std::thread thread_;
};

void bench_snapshot_create(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Store& store = sized_store(n);
  for (auto _ : state) {
    auto snap = store.snapshot();
    if (!snap) {
      state.SkipWithError(snap.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(snap->revision());
  }
  state.SetItemsProcessed(state.iterations());
}

// Reads at head (at_snapshot false) or at a snapshot refreshed every 4096
// reads; `read` does one read and returns the documents it returned.
template <typename Read>
void run_reads(benchmark::State& state, bool at_snapshot, Read read) {
  LoadedStore& loaded = loaded_store();
  Writer writer(state.range(0) != 0);
  std::optional<Snapshot> snap;
  std::uint64_t rng = kSeed + 11;
  std::int64_t returned = 0, i = 0;
  for (auto _ : state) {
    if (at_snapshot && (i++ & 4095) == 0) snap = must(loaded.store.snapshot(), "snapshot");
    const std::int64_t got = read(loaded, at_snapshot ? &*snap : nullptr, rng);
    if (got < 0) {
      state.SkipWithError("a read failed");
      break;
    }
    returned += got;
  }
  state.SetItemsProcessed(returned);
  state.counters["writes"] = static_cast<double>(writer.writes());
}

std::int64_t one_get(LoadedStore& loaded, const Snapshot* snap, std::uint64_t& rng) {
  const std::string& id = loaded.ids[splitmix64(rng) % loaded.ids.size()];
  auto doc = snap ? snap->get(id) : loaded.store.get(id);
  benchmark::DoNotOptimize(doc);
  return doc ? 1 : -1;
}

std::int64_t one_lookup(LoadedStore& loaded, const Snapshot* snap, std::uint64_t& rng) {
  const snapstore::IndexKey key{city_name(splitmix64(rng) % kCities)};
  auto docs = snap ? snap->lookup_view("by_city", key) : loaded.store.lookup_view("by_city", key);
  return docs ? static_cast<std::int64_t>(docs->size()) : -1;
}

// A lookup at a snapshot after one of its 51 documents was updated 100k
// times under the same key: the index history holds one long run for that
// document, which the lookup must cross without reading it entry by entry.
void bench_lookup_snapshot_hot_document(benchmark::State& state) {
  Store store = must(Store::open_in_memory(), "open_in_memory");
  must(store.create_index("by_city", {"city"}), "create_index by_city");
  const std::string hot = must(store.insert(Document{{"city", "NY"}, {"n", 0}}), "insert").id;
  for (std::int64_t i = 0; i < 50; ++i) must(store.insert(Document{{"city", "NY"}, {"n", i}}), "insert");
  Snapshot snap = must(store.snapshot(), "snapshot");
  for (std::int64_t i = 1; i <= 100'000; ++i) must(store.update(hot, Document{{"city", "NY"}, {"n", i}}), "update");
  std::int64_t returned = 0;
  for (auto _ : state) {
    auto docs = snap.lookup_view("by_city", {"NY"});
    if (!docs) {
      state.SkipWithError(docs.status().message().c_str());
      break;
    }
    returned += static_cast<std::int64_t>(docs->size());
  }
  state.SetItemsProcessed(returned);
}

void bench_get_head(benchmark::State& state) { run_reads(state, false, one_get); }
void bench_get_snapshot(benchmark::State& state) { run_reads(state, true, one_get); }
void bench_lookup_head(benchmark::State& state) { run_reads(state, false, one_lookup); }
void bench_lookup_snapshot(benchmark::State& state) { run_reads(state, true, one_lookup); }

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto number = [&](std::size_t prefix, const char* what) {
      char* end = nullptr;
      const unsigned long long n = std::strtoull(argv[i] + prefix, &end, 10);
      if (end == argv[i] + prefix || *end != '\0' || n < 100) die(std::string(what) + " wants a number >= 100");
      return static_cast<std::size_t>(n);
    };
    if (arg.starts_with("--docs=")) {
      g_documents = number(7, "--docs");
    } else if (arg.starts_with("--big=")) {
      g_big = number(6, "--big");
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return EXIT_FAILURE;
  benchmark::RegisterBenchmark("snapshot_create", bench_snapshot_create)
      ->Arg(10'000)
      ->Arg(static_cast<std::int64_t>(g_big));
  using Row = std::pair<const char*, void (*)(benchmark::State&)>;
  for (const Row& row : {Row{"get/head", bench_get_head}, Row{"get/snapshot", bench_get_snapshot},
                         Row{"lookup/head", bench_lookup_head}, Row{"lookup/snapshot", bench_lookup_snapshot}}) {
    benchmark::RegisterBenchmark(row.first, row.second)->ArgName("writer")->Arg(0)->Arg(1)->UseRealTime();
  }
  benchmark::RegisterBenchmark("lookup/snapshot_hot_document", bench_lookup_snapshot_hot_document);
  benchmark::AddCustomContext("documents", std::to_string(g_documents));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return EXIT_SUCCESS;
}
