// durability_bench.cc: write throughput of durable stores in each durability
// mode with 1, 4 and 16 writer threads, next to raw RocksDB Put of the same
// document bytes with sync=true and sync=false, in the same run; and the
// WAL's own append of records of one size to a segment, mapped (none and
// periodic) or written (sync), without the engine (D117).
//
//   durability_bench                                   the full run
//   durability_bench --benchmark_filter=insert         one family
//   durability_bench --benchmark_min_time=0.01         the ctest smoke run
//
// Each benchmark opens a fresh store (or RocksDB) in a temporary directory
// under $TMPDIR and removes it afterwards. Items/s counts acknowledged writes.
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench/documents.h"
#include "snapstore/store.h"
#include "value/msgpack_codec.h"
#include "wal/env.h"

namespace {

using snapstore::Durability;
using snapstore::Store;

const char* mode_name(Durability mode) {
  switch (mode) {
    case Durability::kSync: return "sync";
    case Durability::kPeriodic: return "periodic";
    case Durability::kNone: return "none";
  }
  return "?";
}

std::string fresh_dir(const std::string& what) {
  const char* base = std::getenv("TMPDIR");
  static std::atomic<int> next{0};
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/snapstore-bench-" + std::to_string(getpid()) +
                    "-" + what + "-" + std::to_string(next++);
  std::filesystem::remove_all(dir);
  return dir;
}

// Shared by the threads of one benchmark: thread 0 sets up before the first
// iteration and tears down after the last (Google Benchmark puts a barrier at
// both ends of the timed loop).
std::unique_ptr<Store> g_store;
std::string g_dir;
std::vector<std::vector<std::string>> g_ids;  // per thread: documents to update or remove

void open_store(benchmark::State& state, Durability mode) {
  g_dir = fresh_dir(mode_name(mode));
  snapstore::Options options;
  options.durability = mode;
  g_store = std::make_unique<Store>(bench::must(Store::open(g_dir, options), "open"));
  state.SetLabel(mode_name(mode));
}

void close_store() {
  g_store->close();
  g_store.reset();
  std::filesystem::remove_all(g_dir);
}

// Documents each thread prepares for update (which cycles through them) and
// remove (which runs a fixed number of iterations, fewer than these).
constexpr std::size_t kPreparedPerThread = 400;

void bench_insert(benchmark::State& state) {
  const auto mode = static_cast<Durability>(state.range(0));
  if (state.thread_index() == 0) open_store(state, mode);
  std::uint64_t seq = static_cast<std::uint64_t>(state.thread_index()) << 32;
  for (auto _ : state) {
    auto written = g_store->insert(bench::document_from_pool(seq++));
    if (!written) state.SkipWithError(written.status().message().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) close_store();
}

// Update and remove work on documents inserted before timing starts.
void prepare_documents(benchmark::State& state, Durability mode) {
  open_store(state, mode);
  g_ids.assign(static_cast<std::size_t>(state.threads()), {});
  for (auto& ids : g_ids) {
    for (std::size_t i = 0; i < kPreparedPerThread; ++i) {
      ids.push_back(bench::must(g_store->insert(bench::document_from_pool(i)), "insert").id);
    }
  }
}

void bench_update(benchmark::State& state) {
  const auto mode = static_cast<Durability>(state.range(0));
  if (state.thread_index() == 0) prepare_documents(state, mode);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& ids = g_ids[static_cast<std::size_t>(state.thread_index())];
    auto written = g_store->update(ids[i % ids.size()], bench::document_from_pool(i + 1));
    if (!written) state.SkipWithError(written.status().message().c_str());
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) close_store();
}

void bench_remove(benchmark::State& state) {
  const auto mode = static_cast<Durability>(state.range(0));
  if (state.thread_index() == 0) prepare_documents(state, mode);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& ids = g_ids[static_cast<std::size_t>(state.thread_index())];
    if (i == ids.size()) {
      state.SkipWithError("ran out of prepared documents");
      break;
    }
    auto removed = g_store->remove(ids[i++]);
    if (!removed) state.SkipWithError(removed.status().message().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) close_store();
}

// Raw RocksDB with the same bytes snapstore keeps for a document.
std::unique_ptr<rocksdb::DB> g_rocksdb;
std::vector<std::string> g_encoded;

void bench_rocksdb_put(benchmark::State& state) {
  const bool sync = state.range(0) != 0;
  if (state.thread_index() == 0) {
    g_dir = fresh_dir("rocksdb");
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    const rocksdb::Status s = rocksdb::DB::Open(options, g_dir, &db);
    if (!s.ok()) bench::die("rocksdb open: " + s.ToString());
    g_rocksdb.reset(db);
    g_encoded.clear();
    for (std::uint64_t i = 0; i < bench::kPoolSize; ++i) {
      std::string bytes;
      if (!snapstore::value::encode_msgpack(bench::document_from_pool(i), bytes, 100)) bench::die("encode");
      g_encoded.push_back(std::move(bytes));
    }
    state.SetLabel(sync ? "sync=true" : "sync=false");
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  std::uint64_t seq = static_cast<std::uint64_t>(state.thread_index()) << 32;
  for (auto _ : state) {
    const std::string key = std::to_string(seq);
    const rocksdb::Status s = g_rocksdb->Put(write_options, key, g_encoded[seq % g_encoded.size()]);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    ++seq;
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    g_rocksdb->Close();
    g_rocksdb.reset();
    std::filesystem::remove_all(g_dir);
  }
}

// Appends records of range(1) bytes to a 64 MiB segment file created as the
// LogWriter creates one (mapped: reserved up to 1 MiB ahead, as
// kMaxMappedStep allows), a fresh file per 64 MiB. Bytes/s counts records.
void bench_segment_append(benchmark::State& state) {
  const bool mapped = state.range(0) != 0;
  const std::string record(static_cast<std::size_t>(state.range(1)), 'r');
  constexpr std::uint64_t kFileBytes = 64 << 20;
  constexpr std::uint64_t kStep = 1 << 20;
  snapstore::wal::Env* env = snapstore::wal::Env::posix();
  g_dir = fresh_dir("segment");
  if (!env->create_dir(g_dir)) bench::die("create " + g_dir);
  std::unique_ptr<snapstore::wal::WritableFile> file;
  std::uint64_t size = 0;
  int files = 0;
  for (auto _ : state) {
    if (file == nullptr || size + record.size() > kFileBytes) {
      state.PauseTiming();
      if (file != nullptr && !file->close()) bench::die("close");
      const std::string path = g_dir + "/" + std::to_string(files++) + ".log";
      auto created = mapped ? env->create_mapped_file(path, kFileBytes) : env->create_file(path);
      if (!created) bench::die(created.status().message());
      file = std::move(*created);
      size = 0;
      state.ResumeTiming();
    }
    size += record.size();
    if (mapped) {
      if (auto s = file->reserve(std::min(kFileBytes, (size + kStep - 1) / kStep * kStep), size); !s) {
        state.SkipWithError(s.message().c_str());
        break;
      }
    }
    if (auto s = file->append(record); !s) {
      state.SkipWithError(s.message().c_str());
      break;
    }
  }
  if (file != nullptr) (void)file->close();
  std::filesystem::remove_all(g_dir);
  state.SetLabel(mapped ? "mapped" : "written");
  state.SetBytesProcessed(state.iterations() * state.range(1));
}

void modes(benchmark::internal::Benchmark* b) {
  for (const auto mode : {Durability::kSync, Durability::kPeriodic, Durability::kNone}) {
    b->Arg(static_cast<int>(mode));
  }
  b->Threads(1)->Threads(4)->Threads(16)->UseRealTime();
}

}  // namespace

BENCHMARK(bench_insert)->Name("insert")->Apply(modes);
BENCHMARK(bench_update)->Name("update")->Apply(modes);
BENCHMARK(bench_remove)->Name("remove")->Apply(modes)->Iterations(300);
BENCHMARK(bench_segment_append)
    ->Name("segment_append")
    ->ArgNames({"mapped", "bytes"})
    ->ArgsProduct({{1, 0}, {250, 1024, 4096, 25000}})
    ->Threads(1);
BENCHMARK(bench_rocksdb_put)->Name("rocksdb_put")->Arg(1)->Arg(0)->Threads(1)->Threads(4)->Threads(16)->UseRealTime();

BENCHMARK_MAIN();
