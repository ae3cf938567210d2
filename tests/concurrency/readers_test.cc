// Readers under concurrent writes (SPEC CON-05/07, LKP-09, DESIGN invariants
// 3, 4 and 7): no torn documents, per-document versions and revisions never
// go back for one reader, lookups only return documents matching their key,
// and streams, cursors and clones taken during writes are self-consistent.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "testutil/store_factory.h"

namespace snapstore {
namespace {

using testutil::FailureLog;
using testutil::must;
using testutil::run_parallel;
using ConcurrencyTest = testutil::StoreTest;

constexpr int kFields = 8;

// A document whose every field holds n: any mix of two writes shows.
Document uniform(std::int64_t n) {
  Document doc;
  for (int f = 0; f < kFields; ++f) doc["f" + std::to_string(f)] = n;
  doc["list"] = Array{n, n, Array{n}};
  doc["nested"] = Document{{"n", n}};
  return doc;
}

// Whether doc is uniform(n) for some n; the n, or -1.
std::int64_t uniform_value(const Document& doc) {
  const auto it = doc.find("f0");
  if (it == doc.end() || !it->second.is_int()) return -1;
  const std::int64_t n = it->second.as_int();
  return doc == uniform(n) ? n : -1;
}

TEST_P(ConcurrencyTest, CON_07_ReadersNeverSeeTornDocuments) {
  const auto seed = testutil::test_seed();
  constexpr int kDocs = 4;
  constexpr int kWriters = 4;
  constexpr int kReaders = 4;
  constexpr int kWrites = 400;
  must(store_.create_index("by_f0", {"f0"}));
  std::vector<std::string> ids;
  for (int i = 0; i < kDocs; ++i) ids.push_back(must(store_.insert(uniform(0))).id);
  std::atomic<int> writers_left{kWriters};
  std::atomic<std::int64_t> counter{0};
  std::atomic<long> reads{0};
  FailureLog failures;
  auto check = [&](const DocumentResult& r, const char* via) {
    reads.fetch_add(1);
    if (uniform_value(r.data) < 0) failures.add(std::string("torn document via ") + via + ": " + to_json(Value(r.data)));
  };
  run_parallel(kWriters + kReaders, [&](int t) {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
    if (t < kWriters) {
      for (int i = 0; i < kWrites; ++i) {
        const auto r = store_.update(ids[rng() % kDocs], uniform(counter.fetch_add(1) + 1));
        if (!r.is_ok()) failures.add("update: " + r.status().message());
      }
      writers_left.fetch_sub(1);
      return;
    }
    for (int pass = 0; writers_left.load() > 0 || pass < 20; ++pass) {
      switch ((rng() + static_cast<std::uint64_t>(t)) % 5) {
        case 0: {
          const auto got = store_.get(ids[rng() % kDocs]);
          if (got.is_ok()) check(*got, "get");
          else failures.add("get: " + got.status().message());
          break;
        }
        case 1: {
          const auto all = store_.lookup_range("by_f0", {}, {});
          if (!all.is_ok()) failures.add("lookup_range: " + all.status().message());
          else for (const auto& r : *all) check(r, "lookup_range");
          break;
        }
        case 2: {
          auto stream = store_.stream(2);
          for (const auto& r : testutil::drain(stream).documents) check(r, "stream");
          break;
        }
        case 3: {
          auto cursor = store_.read();
          if (!cursor.is_ok()) {
            failures.add("read: " + cursor.status().message());
            break;
          }
          for (std::size_t i = 0; i < cursor->count(); ++i) {
            const auto step = cursor->next();
            if (step.is_ok() && step->document) check(*step->document, "cursor");
            else if (!step.is_ok()) failures.add("cursor.next: " + step.status().message());
          }
          break;
        }
        default: {
          const std::int64_t seen = counter.load();
          const auto found = store_.lookup("by_f0", {seen});
          if (!found.is_ok()) failures.add("lookup: " + found.status().message());
          else for (const auto& r : *found) check(r, "lookup");
          break;
        }
      }
    }
  });
  EXPECT_NO_FAILURES(failures) << " seed=" << seed;
  EXPECT_GT(reads.load(), 0);
  for (const auto& id : ids) EXPECT_GE(uniform_value(must(store_.get(id)).data), 0);
}

// CON-05: one reader of one document never sees its version or revision go
// back, and one version always comes with one revision and one data.
TEST_P(ConcurrencyTest, CON_05_OneReaderNeverSeesADocumentGoBack) {
  constexpr int kWriters = 4;
  constexpr int kReaders = 4;
  constexpr int kWrites = 300;
  const auto id = must(store_.insert(uniform(0))).id;
  std::atomic<int> writers_left{kWriters};
  FailureLog failures;
  run_parallel(kWriters + kReaders, [&](int t) {
    if (t < kWriters) {
      for (int i = 1; i <= kWrites; ++i) {
        const auto r = store_.update(id, uniform(t * 1000 + i));
        if (!r.is_ok()) failures.add("update: " + r.status().message());
      }
      writers_left.fetch_sub(1);
      return;
    }
    std::uint64_t last_version = 0;
    std::uint64_t last_revision = 0;
    std::map<std::uint64_t, std::pair<std::uint64_t, std::int64_t>> seen;  // version -> (revision, n)
    for (int pass = 0; writers_left.load() > 0 || pass < 20; ++pass) {
      const auto got = store_.get(id);
      if (!got.is_ok()) {
        failures.add("get: " + got.status().message());
        continue;
      }
      const std::int64_t n = uniform_value(got->data);
      if (n < 0) failures.add("torn read");
      if (got->version < last_version || got->revision < last_revision) {
        failures.add("went back: version " + std::to_string(last_version) + " -> " + std::to_string(got->version) +
                     ", revision " + std::to_string(last_revision) + " -> " + std::to_string(got->revision));
      }
      const auto [it, fresh] = seen.emplace(got->version, std::make_pair(got->revision, n));
      if (!fresh && it->second != std::make_pair(got->revision, n)) {
        failures.add("version " + std::to_string(got->version) + " read with two different states");
      }
      last_version = got->version;
      last_revision = got->revision;
    }
  });
  EXPECT_NO_FAILURES(failures);
  EXPECT_EQ(must(store_.get(id)).version, 1u + kWriters * kWrites);
}

// DESIGN invariant 4 (and LKP-09 made strict): a lookup never returns a
// document whose returned data does not match the key; afterwards every
// index equals a full scan filtered by the same key (invariant 3).
TEST_P(ConcurrencyTest, LKP_09_LookupsMatchTheirKeysUnderConcurrentWrites) {
  const auto seed = testutil::test_seed();
  constexpr int kDocs = 40;
  constexpr int kKeys = 6;
  constexpr int kWriters = 4;
  constexpr int kReaders = 4;
  constexpr int kWrites = 400;
  must(store_.create_index("by_k", {"k"}));
  must(store_.create_index("by_k_m", {"k", "m"}));
  auto doc_for = [](std::int64_t k, std::int64_t serial) {
    return Document{{"k", k}, {"m", k * 10}, {"copy", k}, {"serial", serial}};
  };
  std::vector<std::string> ids;
  for (int i = 0; i < kDocs; ++i) ids.push_back(must(store_.insert(doc_for(i % kKeys, 0))).id);
  std::atomic<int> writers_left{kWriters};
  std::atomic<long> checked{0};
  FailureLog failures;
  auto key_ok = [](const DocumentResult& r, std::int64_t k) {
    return r.data.contains("k") && compare(r.data.at("k"), k) == 0 && r.data.contains("copy") &&
           r.data.at("copy") == Value(k) && r.data.contains("m") && r.data.at("m") == Value(k * 10);
  };
  run_parallel(kWriters + kReaders, [&](int t) {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
    if (t < kWriters) {
      for (int i = 0; i < kWrites; ++i) {
        const std::int64_t k = static_cast<std::int64_t>(rng() % kKeys);
        if (t == 0 && i % 3 == 0) {
          // Churn: a short-lived document with a key.
          auto added = store_.insert(doc_for(k, i));
          if (!added.is_ok()) {
            failures.add("insert: " + added.status().message());
            continue;
          }
          const auto removed = store_.remove(added->id);
          if (!removed.is_ok()) failures.add("remove: " + removed.status().message());
          continue;
        }
        const auto r = store_.update(ids[rng() % kDocs], doc_for(k, t * 1000 + i));
        if (!r.is_ok()) failures.add("update: " + r.status().message());
      }
      writers_left.fetch_sub(1);
      return;
    }
    for (int pass = 0; writers_left.load() > 0 || pass < 20; ++pass) {
      const std::int64_t k = static_cast<std::int64_t>(rng() % kKeys);
      const auto exact = store_.lookup("by_k", {k});
      if (!exact.is_ok()) {
        failures.add("lookup: " + exact.status().message());
        continue;
      }
      std::set<std::string> unique;
      for (const auto& r : *exact) {
        checked.fetch_add(1);
        if (!key_ok(r, k)) failures.add("lookup(" + std::to_string(k) + ") returned " + to_json(Value(r.data)));
        if (!unique.insert(r.id).second) failures.add("lookup returned a document twice");
      }
      const auto composite = store_.lookup("by_k_m", {k, k * 10});
      if (composite.is_ok()) {
        for (const auto& r : *composite) {
          if (!key_ok(r, k)) failures.add("composite lookup returned " + to_json(Value(r.data)));
        }
      }
      const std::int64_t lo = static_cast<std::int64_t>(rng() % kKeys);
      const std::int64_t hi = lo + static_cast<std::int64_t>(rng() % 3);
      const auto range = store_.lookup_range("by_k", {lo}, {hi});
      if (!range.is_ok()) {
        failures.add("lookup_range: " + range.status().message());
        continue;
      }
      const Value* previous = nullptr;
      for (const auto& r : *range) {
        checked.fetch_add(1);
        const auto it = r.data.find("k");
        if (it == r.data.end() || compare(it->second, lo) < 0 || compare(it->second, hi) > 0 ||
            r.data.at("copy") != it->second) {
          failures.add("lookup_range returned " + to_json(Value(r.data)));
          break;
        }
        if (previous != nullptr && compare(*previous, it->second) > 0) failures.add("lookup_range out of key order");
        previous = &it->second;
      }
    }
  });
  EXPECT_NO_FAILURES(failures) << " seed=" << seed;
  EXPECT_GT(checked.load(), 0);

  const auto all = testutil::scan(store_);
  for (std::int64_t k = 0; k < kKeys; ++k) {
    std::set<std::string> expected;
    for (const auto& r : all) {
      if (compare(r.data.at("k"), k) == 0) expected.insert(r.id);
    }
    EXPECT_EQ(testutil::id_set(must(store_.lookup("by_k", {k}))), expected) << "k=" << k;
    EXPECT_EQ(testutil::id_set(must(store_.lookup("by_k_m", {k, k * 10}))), expected) << "k=" << k;
  }
  EXPECT_EQ(must(store_.lookup_range("by_k", {}, {})).size(), all.size());
  EXPECT_EQ(must(store_.read_index("by_k")).count(), all.size());
}

// Streams, cursors and clones taken while writers update and churn return
// self-consistent snapshots: ids unique and ascending, every long-lived
// document present, no torn data, nothing older than what was already read,
// and a clone whose indexes agree with its documents.
TEST_P(ConcurrencyTest, STR_04_SnapshotsTakenDuringWritesAreConsistent) {
  const auto seed = testutil::test_seed();
  constexpr int kStable = 60;
  constexpr int kWriters = 3;
  constexpr int kReaders = 5;
  constexpr int kWrites = 250;
  must(store_.create_index("by_f0", {"f0"}));
  std::vector<std::string> stable;
  for (int i = 0; i < kStable; ++i) stable.push_back(must(store_.insert(uniform(0))).id);
  const std::set<std::string> stable_set(stable.begin(), stable.end());
  std::atomic<int> writers_left{kWriters};
  std::atomic<std::int64_t> counter{0};
  std::atomic<int> snapshots{0};
  FailureLog failures;

  auto check_list = [&](const std::vector<DocumentResult>& docs, const char* via) {
    std::size_t stable_seen = 0;
    for (std::size_t i = 0; i < docs.size(); ++i) {
      if (i > 0 && !(docs[i - 1].id < docs[i].id)) failures.add(std::string(via) + ": ids not strictly ascending");
      if (uniform_value(docs[i].data) < 0) failures.add(std::string(via) + ": torn document");
      stable_seen += stable_set.count(docs[i].id);
    }
    if (stable_seen != stable_set.size()) {
      failures.add(std::string(via) + ": " + std::to_string(stable_seen) + " of " + std::to_string(kStable) +
                   " long-lived documents");
    }
  };

  run_parallel(kWriters + kReaders, [&](int t) {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(t));
    if (t < kWriters) {
      for (int i = 0; i < kWrites; ++i) {
        const std::int64_t n = counter.fetch_add(1) + 1;
        if (t == 0 && i % 2 == 0) {
          auto added = store_.insert(uniform(n));
          if (added.is_ok() && rng() % 2 == 0) {
            if (!store_.remove(added->id).is_ok()) failures.add("remove failed");
          }
          continue;
        }
        if (!store_.update(stable[rng() % kStable], uniform(n)).is_ok()) failures.add("update failed");
      }
      writers_left.fetch_sub(1);
      return;
    }
    for (int pass = 0; writers_left.load() > 0 || pass < 3; ++pass) {
      const std::string& probe = stable[rng() % kStable];
      const auto before = store_.get(probe);
      if (!before.is_ok()) {
        failures.add("get: " + before.status().message());
        continue;
      }
      const std::uint64_t version_before = before->version;
      std::vector<DocumentResult> docs;
      const char* via = "stream";
      switch ((pass + t) % 3) {
        case 0: {
          auto stream = store_.stream(static_cast<std::ptrdiff_t>(rng() % 4));
          const auto drained = testutil::drain(stream);
          if (drained.end != StatusCode::kStreamClosed) failures.add("stream ended with " + testutil::describe(drained.end));
          docs = drained.documents;
          break;
        }
        case 1: {
          via = "cursor";
          auto cursor = store_.read();
          if (!cursor.is_ok()) {
            failures.add("read: " + cursor.status().message());
            continue;
          }
          auto copy = cursor->clone();
          const std::size_t n = cursor->count();
          for (std::size_t i = 0; i < n; ++i) {
            const auto step = cursor->next();
            if (step.is_ok() && step->document) {
              docs.push_back(*step->document);
            } else if (!step.is_ok() && step.code() != StatusCode::kDocumentDeleted) {
              failures.add("cursor.next: " + step.status().message());
            }
          }
          if (copy.count() != n) failures.add("cursor clone has another count");
          break;
        }
        default: {
          via = "clone";
          auto clone = store_.clone();
          if (!clone.is_ok()) {
            failures.add("clone: " + clone.status().message());
            continue;
          }
          docs = testutil::scan(*clone);
          if (clone->size() != docs.size()) failures.add("clone size differs from its scan");
          for (const auto& d : docs) {
            if (d.revision > clone->revision()) failures.add("clone holds a revision above its counter");
          }
          const auto indexed = clone->lookup_range("by_f0", {}, {});
          if (!indexed.is_ok() || indexed->size() != docs.size()) {
            failures.add("clone index does not cover its documents");
          } else {
            for (const auto& d : *indexed) {
              const auto found = clone->lookup("by_f0", {d.data.at("f0")});
              if (!found.is_ok() || testutil::id_set(*found).count(d.id) == 0) failures.add("clone index misses a key");
            }
          }
          break;
        }
      }
      check_list(docs, via);
      for (const auto& d : docs) {
        if (d.id == probe && d.version < version_before) {
          failures.add(std::string(via) + " returned version " + std::to_string(d.version) + " after get saw " +
                       std::to_string(version_before));
        }
      }
      snapshots.fetch_add(1);
    }
  });
  EXPECT_NO_FAILURES(failures) << " seed=" << seed;
  EXPECT_GT(snapshots.load(), 0);
}

}  // namespace
}  // namespace snapstore
