// unique_bench.cc: what a unique index costs an insert. One thread inserts
// into an in-memory store with one index over "seq" (distinct per
// document), plain or unique; the ratio of the two rows is the price of the
// uniqueness check and the key reservation (DECISIONS D71).
//
//   unique_bench                                   Google Benchmark defaults
//   unique_bench --benchmark_min_time=0.01         the ctest smoke run
//
// Documents come from bench::document_from_pool (10k pregenerated, distinct
// seq). When the pool runs out the store is replaced outside the timing, so
// no key repeats within a store and both rows see indexes of 0..10k entries.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>

#include "bench/documents.h"
#include "snapstore/store.h"

namespace {

using snapstore::IndexOptions;
using snapstore::Store;

Store fresh_store(bool unique) {
  Store store = bench::must(Store::open_in_memory(), "open_in_memory");
  bench::must(store.create_index("by_seq", {"seq"}, IndexOptions{.unique = unique}), "create_index");
  return store;
}

void bench_insert(benchmark::State& state, bool unique) {
  (void)bench::document_from_pool(0);  // the pool is generated on first use: not in the timing
  std::optional<Store> store(fresh_store(unique));
  std::uint64_t seq = 0;
  for (auto _ : state) {
    if (seq == bench::kPoolSize) {
      state.PauseTiming();
      store.reset();
      store.emplace(fresh_store(unique));
      seq = 0;
      state.ResumeTiming();
    }
    auto written = store->insert(bench::document_from_pool(seq++));
    if (!written) {
      state.SkipWithError(written.status().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void bench_insert_plain(benchmark::State& state) { bench_insert(state, false); }
void bench_insert_unique(benchmark::State& state) { bench_insert(state, true); }

BENCHMARK(bench_insert_plain)->Name("insert_plain_index");
BENCHMARK(bench_insert_unique)->Name("insert_unique_index");

}  // namespace

BENCHMARK_MAIN();
