// change_feed_bench.cc: change-feed throughput on one thread, in changes/s:
// a feed reading the recent tail from the ring of records in memory, and a
// feed reading the same history from the WAL segment files (records written
// before any feed existed are only in the files).
//
//   change_feed_bench                                  N = 100k changes
//   change_feed_bench --docs=2000 --benchmark_min_time=0.01   the ctest smoke
//
// Each row's store (kNone durability, store_bench's ~200-byte documents)
// is written once: N inserts before the first feed is made (files only),
// then N inserts after it (also in the ring, sized to hold them). A row
// iteration makes a fresh feed and drains its N changes (decoded into
// Change, documents included), 1024 per next().
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "bench/documents.h"
#include "snapstore/store.h"

namespace {

using snapstore::Change;
using snapstore::ChangeFeed;
using snapstore::Options;
using snapstore::Store;

std::size_t g_documents = 100'000;  // --docs=N

struct FeedStore {
  std::string dir;
  std::unique_ptr<Store> store;
  std::uint64_t files_from = 0;   // changes after this are only in the files...
  std::uint64_t memory_from = 0;  // ...and after this also in the ring
  ~FeedStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

FeedStore& feed_store() {
  static const std::unique_ptr<FeedStore> fs = [] {
    auto made = std::make_unique<FeedStore>();
    FeedStore& s = *made;
    const char* base = std::getenv("TMPDIR");
    s.dir = std::string(base != nullptr ? base : "/tmp") + "/snapstore-feed-bench-" + std::to_string(getpid());
    std::filesystem::remove_all(s.dir);
    Options options;
    options.durability = snapstore::Durability::kNone;
    options.change_buffer_bytes = std::uint64_t{1} << 30;  // holds the memory rows' records
    options.checkpoint_wal_bytes = std::uint64_t{4} << 30;  // keeps the file rows' segments
    s.store = std::make_unique<Store>(bench::must(Store::open(s.dir, options), "open"));
    for (std::size_t i = 0; i < g_documents; ++i) bench::must(s.store->insert(bench::make_document(i)), "insert");
    s.files_from = 0;
    s.memory_from = s.store->revision();
    bench::must(s.store->changes(s.memory_from), "changes");  // the ring fills from here
    for (std::size_t i = 0; i < g_documents; ++i) {
      bench::must(s.store->insert(bench::make_document(g_documents + i)), "insert");
    }
    bench::must(s.store->flush(), "flush");
    return made;
  }();
  return *fs;
}

void drain(benchmark::State& state, std::uint64_t after) {
  FeedStore& fs = feed_store();
  std::size_t changes = 0;
  for (auto _ : state) {
    ChangeFeed feed = bench::must(fs.store->changes(after), "changes");
    std::size_t n = 0;
    while (n < g_documents) {
      auto batch = bench::must(feed.next(1024), "next");
      if (batch.empty()) bench::die("the feed ended early");
      n += batch.size();
      benchmark::DoNotOptimize(batch.data());
    }
    changes += n;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(changes));
}

void bench_feed_memory(benchmark::State& state) { drain(state, feed_store().memory_from); }
void bench_feed_files(benchmark::State& state) { drain(state, feed_store().files_from); }

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--docs=")) {
      char* end = nullptr;
      const unsigned long long n = std::strtoull(argv[i] + 7, &end, 10);
      if (end == argv[i] + 7 || *end != '\0' || n < 100) bench::die("--docs wants a number >= 100");
      g_documents = static_cast<std::size_t>(n);
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return EXIT_FAILURE;
  benchmark::RegisterBenchmark("change_feed/memory", bench_feed_memory)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("change_feed/files", bench_feed_files)->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
