// Opening a large durable store: documents loaded on several threads and
// indexes built in bulk give back exactly the store that was closed, with
// every index equal to a full scan; the same when the state is spread over
// several RocksDB files and a WAL tail; and the progress callback reports
// monotone counts, one call at a time, ending at the total.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "index/key.h"
#include "snapstore/store.h"
#include "testutil/temp_dir.h"

namespace snapstore {
namespace {

namespace fs = std::filesystem;
using testutil::TempDir;

const std::map<std::string, std::vector<std::string>> kIndexes = {
    {"by_city", {"city"}},
    {"by_city_score", {"city", "score"}},  // score: ints and doubles mixed, equal values of both
    {"by_zip", {"address.zip"}},           // a dotted path
    {"by_nickname", {"nickname"}},         // sparse: most documents lack the field or hold null
};

Document make_document(std::mt19937_64& rng, std::uint64_t seq) {
  Document doc{
      {"seq", seq},
      {"city", "city-" + std::to_string(rng() % 50)},
      {"address", Document{{"zip", std::to_string(10000 + rng() % 500)}, {"street", "Main St"}}},
      {"pad", std::string(100 + rng() % 100, 'p')},
  };
  const std::uint64_t score = rng() % 100;
  doc["score"] = rng() % 2 == 0 ? Value(static_cast<std::int64_t>(score)) : Value(static_cast<double>(score));
  switch (rng() % 4) {
    case 0: doc["nickname"] = "nick-" + std::to_string(rng() % 300); break;
    case 1: doc["nickname"] = nullptr; break;
    default: break;
  }
  return doc;
}

// Everything observable, for before/after comparisons.
struct Observed {
  std::map<std::string, DocumentResult> documents;
  std::map<std::string, std::vector<std::string>> index_ids;  // ids in index order
  std::uint64_t revision = 0;
};

Observed observe(const Store& store) {
  Observed seen;
  Stream stream = store.stream();
  while (auto doc = stream.next()) seen.documents.emplace(doc->id, std::move(*doc));
  for (const IndexInfo& info : store.indexes()) {
    const auto members = store.lookup_range(info.name, {}, {});
    EXPECT_TRUE(members.is_ok());
    if (!members) continue;
    for (const auto& doc : *members) seen.index_ids[info.name].push_back(doc.id);
  }
  seen.revision = store.revision();
  return seen;
}

void expect_same(const Observed& actual, const Observed& expected) {
  ASSERT_EQ(actual.documents.size(), expected.documents.size());
  for (const auto& [id, doc] : expected.documents) {
    const auto it = actual.documents.find(id);
    ASSERT_NE(it, actual.documents.end()) << "lost " << id;
    EXPECT_EQ(it->second.data, doc.data) << id;
    EXPECT_EQ(it->second.version, doc.version) << id;
    EXPECT_EQ(it->second.revision, doc.revision) << id;
  }
  EXPECT_EQ(actual.index_ids, expected.index_ids);
  EXPECT_EQ(actual.revision, expected.revision);
}

// Every index of `store` lists exactly the documents a full scan finds with
// a key, in (key, id) order (DESIGN.md invariant 3).
void expect_indexes_equal_scans(const Store& store, const Observed& seen) {
  for (const IndexInfo& info : store.indexes()) {
    const auto paths = index::parse_field_paths(info.fields);
    std::vector<std::pair<index::Key, std::string>> expected;
    for (const auto& [id, doc] : seen.documents) {
      if (auto key = index::extract_key(doc.data, paths)) expected.emplace_back(std::move(*key), id);
    }
    std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
      const int c = index::compare_keys(a.first, b.first);
      return c != 0 ? c < 0 : a.second < b.second;
    });
    std::vector<std::string> ids;
    for (const auto& entry : expected) ids.push_back(entry.second);
    const auto it = seen.index_ids.find(info.name);
    EXPECT_EQ(it == seen.index_ids.end() ? std::vector<std::string>{} : it->second, ids) << info.name;
    EXPECT_EQ(info.entries, ids.size()) << info.name;
  }
}

Options durable_options(unsigned open_threads) {
  Options options;
  options.durability = Durability::kNone;
  options.open_threads = open_threads;
  return options;
}

// n inserts, then updates moving a third of them in the indexes and deletes
// of a tenth. Returns the live ids.
std::vector<std::string> write_documents(Store& store, std::mt19937_64& rng, std::uint64_t n) {
  std::vector<std::string> ids;
  for (std::uint64_t i = 0; i < n; ++i) {
    auto w = store.insert(make_document(rng, i));
    EXPECT_TRUE(w.is_ok());
    if (w) ids.push_back(w->id);
  }
  for (std::size_t i = 0; i < ids.size(); i += 3) EXPECT_TRUE(store.update(ids[i], make_document(rng, i)).is_ok());
  std::vector<std::string> live;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i % 10 == 1) {
      EXPECT_TRUE(store.remove(ids[i]).is_ok());
    } else {
      live.push_back(ids[i]);
    }
  }
  return live;
}

TEST(FastOpenTest, ManyDocumentsAndIndexesReopenAsTheyWere) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  TempDir dir;
  Observed before;
  {
    auto store = Store::open(dir.path(), durable_options(4));
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    for (const auto& [name, fields] : kIndexes) ASSERT_TRUE(store->create_index(name, fields).is_ok());
    write_documents(*store, rng, 4000);
    before = observe(*store);
    store->close();
  }
  // One loading thread, and more threads than cores: the same store.
  for (const unsigned threads : {1U, 4U}) {
    SCOPED_TRACE("open_threads " + std::to_string(threads));
    auto store = Store::open(dir.path(), durable_options(threads));
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    EXPECT_EQ(store->open_report().documents_loaded, before.documents.size());
    EXPECT_EQ(store->open_report().indexes_loaded, kIndexes.size());
    EXPECT_EQ(store->open_report().records_replayed, 0U);
    const Observed after = observe(*store);
    expect_same(after, before);
    expect_indexes_equal_scans(*store, after);
    // The bulk-built indexes take later writes like any other.
    auto moved = store->update(after.documents.begin()->first, Document{{"city", "moved"}, {"score", 1}});
    ASSERT_TRUE(moved.is_ok());
    auto found = store->lookup("by_city_score", {"moved", 1.0});
    ASSERT_TRUE(found.is_ok());
    ASSERT_EQ(found->size(), 1U);
    EXPECT_EQ((*found)[0].id, after.documents.begin()->first);
    before = observe(*store);
    store->close();
  }
}

// The names and sizes of the files under `dir`, or empty if one vanished
// while it was listed.
std::map<std::string, std::uintmax_t> file_listing(const std::string& dir) {
  std::map<std::string, std::uintmax_t> files;
  std::error_code error;
  for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    if (it->is_regular_file(error)) files[it->path().string()] = it->file_size(error);
  }
  if (error) files.clear();
  return files;
}

// The open of a copy of a running store's files, taken after flush(): what a
// crash at that moment would leave. RocksDB's own WAL is off and the WAL is
// synced, but a background compaction (the checkpoints leave several level-0
// files) may still be replacing files: the copy waits until the files have
// stopped changing, and is taken again if one vanished while it was copied.
Result<Store> open_crash_image(const std::string& from, const std::string& to, const Options& options) {
  auto listing = file_listing(from);
  for (int quiet = 0, polls = 0; quiet < 3 && polls < 100; ++polls) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto next = file_listing(from);
    quiet = !next.empty() && next == listing ? quiet + 1 : 0;
    listing = std::move(next);
  }
  for (int attempt = 1;; ++attempt) {
    std::error_code error;
    fs::copy(from, to, fs::copy_options::recursive, error);
    if (!error) break;
    if (attempt == 5) throw fs::filesystem_error("copy the live store", from, to, error);
    fs::remove_all(to);
  }
  return Store::open(to, options);
}

TEST(FastOpenTest, StateSpreadOverSstFilesAndTheWalTailReopensAsItWas) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  TempDir dir;
  auto store = Store::open(dir / "live", durable_options(2));
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  ASSERT_TRUE(store->create_index("by_city", {"city"}).is_ok());
  ASSERT_TRUE(store->create_index("by_zip", {"address.zip"}).is_ok());
  // Three rounds, each flushed into its own SST file by a checkpoint...
  std::vector<std::string> ids;
  for (int round = 0; round < 3; ++round) {
    const auto live = write_documents(*store, rng, 1500);
    ids.insert(ids.end(), live.begin(), live.end());
    ASSERT_TRUE(store->checkpoint().is_ok());
  }
  // ...then a tail that only the WAL holds (RocksDB may have applied some of
  // it to its memtable, which a crash loses: RocksDB's own WAL is off).
  ASSERT_TRUE(store->create_index("by_city_score", {"city", "score"}).is_ok());
  write_documents(*store, rng, 1000);
  for (std::size_t i = 0; i < ids.size(); i += 7) {
    ASSERT_TRUE(store->update(ids[i], make_document(rng, 1'000'000 + i)).is_ok());
  }
  for (std::size_t i = 3; i < ids.size(); i += 11) ASSERT_TRUE(store->remove(ids[i]).is_ok());
  ASSERT_TRUE(store->drop_index("by_zip").is_ok());
  ASSERT_TRUE(store->create_index("by_nickname", {"nickname"}).is_ok());
  ASSERT_TRUE(store->flush().is_ok());
  const Observed before = observe(*store);

  std::size_t sst_files = 0;
  for (const auto& entry : fs::directory_iterator(dir / "live/db")) sst_files += entry.path().extension() == ".sst";
  EXPECT_GE(sst_files, 3U);

  auto reopened = open_crash_image(dir / "live", dir / "image", durable_options(3));
  ASSERT_TRUE(reopened.is_ok()) << reopened.status().message();
  EXPECT_GT(reopened->open_report().records_replayed, 0U);
  // RocksDB held exactly what the last checkpoint flushed; the rest came from the WAL.
  EXPECT_EQ(reopened->open_report().documents_loaded, ids.size());
  const Observed after = observe(*reopened);
  expect_same(after, before);
  expect_indexes_equal_scans(*reopened, after);
  EXPECT_EQ(after.index_ids.count("by_zip"), 0U);
}

TEST(FastOpenTest, ProgressIsMonotoneOneCallAtATimeAndEndsAtTheTotal) {
  std::mt19937_64 rng(42);
  TempDir dir;
  std::size_t total = 0;
  {
    auto store = Store::open(dir.path(), durable_options(2));
    ASSERT_TRUE(store.is_ok());
    ASSERT_TRUE(store->create_index("by_city", {"city"}).is_ok());
    total = write_documents(*store, rng, 6000).size();
    store->close();
  }
  std::mutex mutex;
  std::vector<OpenProgress> calls;  // guarded by mutex
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  Options options = durable_options(4);
  options.open_progress_interval_ms = 0;  // report as often as the loaders add counts
  options.open_progress = [&](const OpenProgress& progress) {
    if (inside.fetch_add(1) != 0) overlapped = true;
    {
      std::lock_guard lock(mutex);
      calls.push_back(progress);
    }
    inside.fetch_sub(1);
  };
  auto store = Store::open(dir.path(), options);
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  EXPECT_FALSE(overlapped.load());
  ASSERT_GE(calls.size(), 2U);
  for (std::size_t i = 1; i < calls.size(); ++i) {
    EXPECT_GE(calls[i].documents_loaded, calls[i - 1].documents_loaded) << "call " << i;
    EXPECT_GE(calls[i].bytes_loaded, calls[i - 1].bytes_loaded) << "call " << i;
    EXPECT_GE(calls[i].elapsed_seconds, calls[i - 1].elapsed_seconds) << "call " << i;
  }
  EXPECT_LT(calls.front().documents_loaded, total);
  EXPECT_EQ(calls.back().documents_loaded, total);
  EXPECT_EQ(store->open_report().documents_loaded, total);
  // Each document is at least its 36-byte id and 100 bytes of padding.
  EXPECT_GT(calls.back().bytes_loaded, total * 136);
  EXPECT_LE(calls.back().elapsed_seconds, store->open_report().elapsed_seconds + 1.0);

  // The default interval bounds the rate: a fast open makes few calls.
  store->close();
  calls.clear();
  options.open_progress_interval_ms = 60'000;
  auto again = Store::open(dir.path(), options);
  ASSERT_TRUE(again.is_ok());
  EXPECT_LE(calls.size(), 2U);  // possibly one early call, and the final one
  EXPECT_EQ(calls.back().documents_loaded, total);
}

}  // namespace
}  // namespace snapstore
