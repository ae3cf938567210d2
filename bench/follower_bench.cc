// follower_bench.cc: the follower (snapstore/follower.h) — how long opening
// one takes on a store of N documents that its owner holds open, and how far
// behind it is right after catch_up() while the owner writes steadily.
//
//   follower_bench                       100k documents
//   follower_bench --docs=1000000        1M (build it in a Release tree)
//   follower_bench --docs=2000 --benchmark_min_time=0.01    the ctest smoke run
//
// open: Follower::open on the owner's store, checkpointed (RocksDB holds
// everything) and with a WAL tail of 10k records after it. catch_up:
// a writer thread inserts at a steady 10k documents/s (Durability::kNone);
// each iteration is one catch_up() (then a 5 ms pause, untimed, as a
// follower polling would make) and the counters are the revisions the
// follower is behind the owner right after it (lag_revisions; negative when
// it already reads records the owner has not installed yet) and the writes
// it picked up per call.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "bench/documents.h"
#include "snapstore/follower.h"
#include "snapstore/store.h"

namespace {

using snapstore::Follower;
using snapstore::Store;

std::size_t g_documents = 100'000;  // --docs=N

struct Owner {
  std::string dir;
  std::optional<Store> store;
  ~Owner() {
    if (store) store->close();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

// The owner's store: N documents with an index, checkpointed, then a WAL tail.
Owner& owner() {
  static Owner* shared = [] {
    auto* o = new Owner;
    std::string path = (std::filesystem::temp_directory_path() / "follower_bench-XXXXXX").string();
    if (::mkdtemp(path.data()) == nullptr) bench::die("mkdtemp");
    o->dir = path;
    snapstore::Options options;
    options.durability = snapstore::Durability::kNone;
    o->store.emplace(bench::must(Store::open(o->dir, options), "open"));
    bench::must(o->store->create_index("by_city", {"city"}), "create_index");
    for (std::size_t i = 0; i < g_documents; ++i) bench::must(o->store->insert(bench::make_document(i)), "insert");
    bench::must(o->store->checkpoint(), "checkpoint");
    for (std::size_t i = 0; i < 10'000; ++i) {
      bench::must(o->store->insert(bench::make_document(g_documents + i)), "insert");
    }
    bench::must(o->store->flush(), "flush");
    return o;
  }();
  return *shared;
}

void BM_FollowerOpen(benchmark::State& state) {
  Owner& o = owner();
  for (auto _ : state) {
    auto follower = bench::must(Follower::open(o.dir), "Follower::open");
    benchmark::DoNotOptimize(follower.revision());
  }
  state.counters["documents"] = static_cast<double>(g_documents);
}
BENCHMARK(BM_FollowerOpen)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CatchUpUnderWrites(benchmark::State& state) {
  Owner& o = owner();
  auto follower = bench::must(Follower::open(o.dir), "Follower::open");
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> next{g_documents + 10'000};
  std::thread writer([&] {
    // 10k inserts/s: 10 every millisecond.
    auto due = std::chrono::steady_clock::now();
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 10; ++i) bench::must(o.store->insert(bench::make_document(next++)), "insert");
      due += std::chrono::milliseconds(1);
      std::this_thread::sleep_until(due);
    }
  });
  double lag = 0;
  double picked = 0;
  for (auto _ : state) {
    const std::uint64_t before = follower.revision();
    bench::must(follower.catch_up(), "catch_up");
    state.PauseTiming();
    // Signed: the follower may be ahead of the owner's revision(), which
    // moves only once a write is installed, after its record is in the file.
    lag += static_cast<double>(o.store->revision()) - static_cast<double>(follower.revision());
    picked += static_cast<double>(follower.revision() - before);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a follower polling every 5 ms
    state.ResumeTiming();
  }
  stop = true;
  writer.join();
  state.counters["lag_revisions"] = benchmark::Counter(lag, benchmark::Counter::kAvgIterations);
  state.counters["picked_up"] = benchmark::Counter(picked, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_CatchUpUnderWrites)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.rfind("--docs=", 0) == 0) g_documents = std::strtoull(argv[i] + 7, nullptr, 10);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
