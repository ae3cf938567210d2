// store_bench.cc: throughput of the Store's core operations (insert, get,
// update, lookup, lookup_range, count, explain, stream, create_index) on
// generated documents, with 1 and 2 threads where concurrency means something.
//
//   store_bench                      100k documents, Google Benchmark defaults
//   store_bench --docs=2000 --benchmark_min_time=0.01    the ctest smoke run
//
// Every document has 10 fields of mixed types, generated deterministically
// from its sequence number and a fixed seed, so every run measures the same
// data:
//   seq      int, unique 0..N-1          index by_seq: [a, a + N/100) is 1%
//   city     string, 100 distinct values index by_city: one city is ~1%
//   name, email                          strings
//   age      int 18..97;  score, balance doubles;  active bool
//   address  {street, zip, geo: {lat, lon}}   a nested object
//   tags     0..3 short strings               a small array
//
// The read benchmarks and update share one preloaded store (N documents, the
// two indexes), built once per process outside any timing. Items/s counts
// operations for insert, get and update, and documents returned (or
// counted) for lookup, lookup_range, count_range, explain_range,
// lookup_range_view_size, stream and create_index.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/documents.h"
#include "snapstore/store.h"

namespace {

using snapstore::Array;
using snapstore::Document;
using snapstore::Store;
using snapstore::Value;

// Insert and update draw their documents from pregenerated pools of
// bench::kPoolSize, so that generation stays out of the timed loop without
// holding N documents twice.
using bench::kPoolSize;

std::size_t g_documents = 100'000;  // --docs=N

using bench::city_name;
using bench::die;
using bench::kCities;
using bench::kSeed;
using bench::make_document;
using bench::must;
using bench::splitmix64;
using bench::updated_document;

std::size_t pool_size() { return std::min(g_documents, kPoolSize); }

const std::vector<Document>& insert_pool() {
  static const std::vector<Document> kPool = [] {
    std::vector<Document> docs;
    for (std::uint64_t seq = 0; seq < pool_size(); ++seq) docs.push_back(make_document(seq));
    return docs;
  }();
  return kPool;
}

const std::vector<Document>& update_pool() {
  static const std::vector<Document> kPool = [] {
    std::vector<Document> docs;
    for (std::uint64_t seq = 0; seq < pool_size(); ++seq) docs.push_back(updated_document(seq));
    return docs;
  }();
  return kPool;
}

void create_indexes(Store& store) {
  must(store.create_index("by_city", {"city"}), "create_index by_city");
  must(store.create_index("by_seq", {"seq"}), "create_index by_seq");
}

struct LoadedStore {
  Store store;
  std::vector<std::string> ids;  // ids[seq]: the document generated from seq
};

// N documents and the two indexes, built on first use (thread-safe: a
// function-local static) and shared by every read benchmark.
LoadedStore& loaded_store() {
  static LoadedStore loaded = [] {
    LoadedStore l{must(Store::open_in_memory(), "open_in_memory"), {}};
    l.ids.reserve(g_documents);
    for (std::uint64_t seq = 0; seq < g_documents; ++seq) {
      l.ids.push_back(must(l.store.insert(make_document(seq)), "load insert").id);
    }
    create_indexes(l.store);
    return l;
  }();
  return loaded;
}

// ---------------------------------------------------------------------------

// Inserts into a store that starts empty and has the two indexes; threads
// share the store. The store grows by one document per iteration.
void bench_insert(benchmark::State& state) {
  static std::optional<Store> store;  // shared by this benchmark's threads
  if (state.thread_index() == 0) {
    store = must(Store::open_in_memory(), "open_in_memory");
    create_indexes(*store);
  }
  const std::vector<Document>& pool = insert_pool();
  auto next = static_cast<std::size_t>(state.thread_index());
  for (auto _ : state) {  // the loop's start and end are barriers across threads
    auto written = store->insert(pool[next % pool.size()]);
    if (!written) {
      state.SkipWithError(written.status().message().c_str());
      break;
    }
    next += static_cast<std::size_t>(state.threads());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) store.reset();
}

// Gets documents picked at random from the loaded store.
void bench_get(benchmark::State& state) {
  LoadedStore& loaded = loaded_store();
  std::uint64_t rng = kSeed + 1 + static_cast<std::uint64_t>(state.thread_index());
  for (auto _ : state) {
    auto doc = loaded.store.get(loaded.ids[splitmix64(rng) % loaded.ids.size()]);
    if (!doc) {
      state.SkipWithError(doc.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(doc);
  }
  state.SetItemsProcessed(state.iterations());
}

// Replaces random documents (among the first kPoolSize) of the loaded store
// with new scores; indexed fields keep their values.
void bench_update(benchmark::State& state) {
  LoadedStore& loaded = loaded_store();
  const std::vector<Document>& pool = update_pool();
  std::uint64_t rng = kSeed + 2 + static_cast<std::uint64_t>(state.thread_index());
  for (auto _ : state) {
    const std::size_t seq = splitmix64(rng) % pool.size();
    auto written = loaded.store.update(loaded.ids[seq], pool[seq]);
    if (!written) {
      state.SkipWithError(written.status().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

// Exact lookups of a random city: each returns ~1% of the documents.
void bench_lookup(benchmark::State& state) {
  LoadedStore& loaded = loaded_store();
  std::vector<snapstore::IndexKey> keys;
  for (std::uint64_t city = 0; city < kCities; ++city) keys.push_back({city_name(city)});
  std::uint64_t rng = kSeed + 3 + static_cast<std::uint64_t>(state.thread_index());
  std::int64_t returned = 0;
  for (auto _ : state) {
    auto docs = loaded.store.lookup("by_city", keys[splitmix64(rng) % keys.size()]);
    if (!docs) {
      state.SkipWithError(docs.status().message().c_str());
      break;
    }
    returned += static_cast<std::int64_t>(docs->size());
  }
  state.SetItemsProcessed(returned);
  state.counters["docs_per_query"] = benchmark::Counter(
      state.iterations() ? static_cast<double>(returned) / static_cast<double>(state.iterations()) : 0,
      benchmark::Counter::kAvgThreads);
}

// Inclusive ranges of N/100 consecutive seq values: each returns 1%.
void bench_lookup_range(benchmark::State& state) {
  LoadedStore& loaded = loaded_store();
  const std::uint64_t width = std::max<std::uint64_t>(1, g_documents / 100);
  std::uint64_t rng = kSeed + 4 + static_cast<std::uint64_t>(state.thread_index());
  std::int64_t returned = 0;
  for (auto _ : state) {
    const std::uint64_t first = splitmix64(rng) % (g_documents - width + 1);
    auto docs = loaded.store.lookup_range("by_seq", {first}, {first + width - 1});
    if (!docs || docs->size() != width) {
      state.SkipWithError(docs ? "lookup_range returned the wrong number of documents"
                               : docs.status().message().c_str());
      break;
    }
    returned += static_cast<std::int64_t>(docs->size());
  }
  state.SetItemsProcessed(returned);
}

// The same ranges as lookup_range, answered without deep copies: counted
// (count), explained (explain: count plus distinct keys), or as views
// (lookup_range_view(...).size()). Next to lookup_range, the price of copying
// what a caller that only needs the number never reads.
enum class RangeAnswer { kCount, kExplain, kViews };

template <RangeAnswer answer>
void bench_range_size(benchmark::State& state) {
  LoadedStore& loaded = loaded_store();
  const std::uint64_t width = std::max<std::uint64_t>(1, g_documents / 100);
  std::uint64_t rng = kSeed + 4 + static_cast<std::uint64_t>(state.thread_index());
  std::int64_t counted = 0;
  for (auto _ : state) {
    const std::uint64_t first = splitmix64(rng) % (g_documents - width + 1);
    const snapstore::IndexKey min{first};
    const snapstore::IndexKey max{first + width - 1};
    snapstore::Result<std::size_t> n = std::size_t{0};
    if constexpr (answer == RangeAnswer::kCount) {
      n = loaded.store.count("by_seq", min, max);
    } else if constexpr (answer == RangeAnswer::kExplain) {
      auto plan = loaded.store.explain("by_seq", min, max);
      n = plan ? snapstore::Result<std::size_t>(plan->documents) : snapstore::Result<std::size_t>(plan.status());
    } else {
      auto views = loaded.store.lookup_range_view("by_seq", min, max);
      n = views ? snapstore::Result<std::size_t>(views->size()) : snapstore::Result<std::size_t>(views.status());
    }
    if (!n || *n != width) {
      state.SkipWithError(n ? "the wrong number of documents" : n.status().message().c_str());
      break;
    }
    counted += static_cast<std::int64_t>(*n);
  }
  state.SetItemsProcessed(counted);
}

// One full stream over the loaded store per iteration; with 2 threads, each
// thread drains its own stream at the same time.
void bench_stream(benchmark::State& state) {
  LoadedStore& loaded = loaded_store();
  std::int64_t returned = 0;
  for (auto _ : state) {
    snapstore::Stream stream = loaded.store.stream();
    std::size_t count = 0;
    auto doc = stream.next();
    for (; doc; doc = stream.next()) {
      benchmark::DoNotOptimize(doc);
      ++count;
    }
    if (doc.code() != snapstore::StatusCode::kStreamClosed || count != loaded.ids.size()) {
      state.SkipWithError(count != loaded.ids.size() ? "the stream missed documents" : doc.status().message().c_str());
      break;
    }
    returned += static_cast<std::int64_t>(count);
  }
  state.SetItemsProcessed(returned);
}

// Builds a composite index over the loaded store (dropped again untimed).
void bench_create_index(benchmark::State& state) {
  LoadedStore& loaded = loaded_store();
  for (auto _ : state) {
    must(loaded.store.create_index("bench_city_age", {"city", "age"}), "create_index");
    state.PauseTiming();
    must(loaded.store.drop_index("bench_city_age"), "drop_index");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(loaded.ids.size()));
}

BENCHMARK(bench_insert)->Name("insert")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(bench_get)->Name("get")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(bench_update)->Name("update")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(bench_lookup)->Name("lookup")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(bench_lookup_range)->Name("lookup_range")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(bench_range_size<RangeAnswer::kCount>)->Name("count_range")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(bench_range_size<RangeAnswer::kExplain>)->Name("explain_range")->UseRealTime();
BENCHMARK(bench_range_size<RangeAnswer::kViews>)->Name("lookup_range_view_size")->UseRealTime();
BENCHMARK(bench_stream)->Name("stream")->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(bench_create_index)->Name("create_index")->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // Our one flag; Google Benchmark has consumed its own.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--docs=")) {
      char* end = nullptr;
      const unsigned long long docs = std::strtoull(argv[i] + 7, &end, 10);
      if (end == argv[i] + 7 || *end != '\0' || docs < 100) die("--docs wants a number of documents >= 100");
      g_documents = docs;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return EXIT_FAILURE;
  benchmark::AddCustomContext("documents", std::to_string(g_documents));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return EXIT_SUCCESS;
}
