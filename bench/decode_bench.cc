// decode_bench.cc: what a deep copy costs on top of a view. get against
// get_view, and lookup against lookup_view, over one preloaded in-memory
// store, so that a profile of one minus the other is the decode of the
// stored bytes into a Document (and its freeing); and the same deep copies
// made from views (`*_to_document*`), which a change to the read path alone
// leaves as they are.
//
//   decode_bench                                  200k documents, GB defaults
//   decode_bench --docs=2000 --benchmark_min_time=0.01      the ctest smoke run
//   valgrind --tool=cachegrind --cache-sim=yes --LL=8388608,16,64
//     decode_bench --iterations=1000000 --benchmark_filter='^get$'
//                                   (one command) a fixed number of operations,
//                                   to subtract the same run with '^get_view$'
//
// The documents are bench/documents.h's (~200 msgpack bytes, 15 fields at
// three levels, one 22-byte string, a small array); the store has the
// by_city index, one city being ~1% of the documents.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/documents.h"
#include "snapstore/store.h"

namespace {

using snapstore::Store;

std::size_t g_documents = 200'000;  // --docs=N
std::int64_t g_iterations = 0;      // --iterations=N; 0: Google Benchmark decides

struct LoadedStore {
  Store store;
  std::vector<std::string> ids;
};

LoadedStore& loaded_store() {
  static LoadedStore loaded = [] {
    LoadedStore l{bench::must(Store::open_in_memory(), "open_in_memory"), {}};
    l.ids.reserve(g_documents);
    for (std::uint64_t seq = 0; seq < g_documents; ++seq) {
      l.ids.push_back(bench::must(l.store.insert(bench::make_document(seq)), "load insert").id);
    }
    bench::must(l.store.create_index("by_city", {"city"}), "create_index by_city");
    return l;
  }();
  return loaded;
}

// Random gets; `Read` is get or get_view.
template <typename Read>
void random_reads(benchmark::State& state, Read read) {
  LoadedStore& loaded = loaded_store();
  std::uint64_t rng = bench::kSeed + 1;
  for (auto _ : state) {
    auto doc = read(loaded.store, loaded.ids[bench::splitmix64(rng) % loaded.ids.size()]);
    if (!doc) {
      state.SkipWithError(doc.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(doc);
  }
  state.SetItemsProcessed(state.iterations());
}

// Lookups of one city after another; items are documents returned.
template <typename Lookup>
void city_lookups(benchmark::State& state, Lookup lookup) {
  LoadedStore& loaded = loaded_store();
  std::uint64_t city = 0;
  std::int64_t found = 0;
  for (auto _ : state) {
    auto docs = lookup(loaded.store, snapstore::IndexKey{bench::city_name(city++ % bench::kCities)});
    if (!docs) {
      state.SkipWithError(docs.status().message().c_str());
      break;
    }
    found += static_cast<std::int64_t>(docs->size());
    benchmark::DoNotOptimize(docs);
  }
  state.SetItemsProcessed(found);
}

void bench_get(benchmark::State& state) {
  random_reads(state, [](Store& s, std::string_view id) { return s.get(id); });
}
void bench_get_view(benchmark::State& state) {
  random_reads(state, [](Store& s, std::string_view id) { return s.get_view(id); });
}
// The deep copy made from a view: get's work by another path.
void bench_get_view_to_document(benchmark::State& state) {
  random_reads(state, [](Store& s, std::string_view id) -> snapstore::Result<snapstore::Document> {
    auto view = s.get_view(id);
    if (!view) return view.status();
    return view->to_document();
  });
}
void bench_lookup(benchmark::State& state) {
  city_lookups(state, [](Store& s, const snapstore::IndexKey& key) { return s.lookup("by_city", key); });
}
void bench_lookup_view(benchmark::State& state) {
  city_lookups(state, [](Store& s, const snapstore::IndexKey& key) { return s.lookup_view("by_city", key); });
}

void bench_lookup_view_to_documents(benchmark::State& state) {
  city_lookups(state, [](Store& s, const snapstore::IndexKey& key) -> snapstore::Result<std::vector<snapstore::Document>> {
    auto views = s.lookup_view("by_city", key);
    if (!views) return views.status();
    std::vector<snapstore::Document> docs;
    docs.reserve(views->size());
    for (const snapstore::DocumentView& view : *views) docs.push_back(view.to_document());
    return docs;
  });
}

void register_all() {
  const auto add = [](const char* name, void (*fn)(benchmark::State&)) {
    benchmark::internal::Benchmark* b = benchmark::RegisterBenchmark(name, fn);
    if (g_iterations > 0) b->Iterations(g_iterations);
    b->Unit(benchmark::kMicrosecond);
  };
  add("get", bench_get);
  add("get_view", bench_get_view);
  add("get_view_to_document", bench_get_view_to_document);
  add("lookup", bench_lookup);
  add("lookup_view", bench_lookup_view);
  add("lookup_view_to_documents", bench_lookup_view_to_documents);
}

long long number_flag(const char* text, long long at_least, const char* what) {
  char* end = nullptr;
  const long long n = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || n < at_least) bench::die(what);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--docs=")) {
      g_documents = static_cast<std::size_t>(number_flag(argv[i] + 7, 100, "--docs wants a number >= 100"));
    } else if (arg.starts_with("--iterations=")) {
      g_iterations = number_flag(argv[i] + 13, 1, "--iterations wants a number >= 1");
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return EXIT_FAILURE;
  register_all();
  benchmark::AddCustomContext("documents", std::to_string(g_documents));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return EXIT_SUCCESS;
}
