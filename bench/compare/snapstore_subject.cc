// snapstore's rows: inserts in each durability mode and in memory (each in a
// fresh store with the two indexes), and one store loaded with N documents
// that serves load, create_index, the reads, updates, deletes and open.
//
// The loaded store lives through three opens of one directory, because the
// durability mode is chosen at open: `none` for loading, reads and the
// non-durable update; `none` again (the timed open) for the non-durable
// delete; `sync` for the durable update and delete.
#include <algorithm>

#include "bench/compare/harness.h"
#include "snapstore/store.h"

namespace compare {

namespace {

using snapstore::Document;
using snapstore::Durability;
using snapstore::Store;

snapstore::Store open_durable(const std::filesystem::path& dir, Durability durability) {
  snapstore::Options options;
  options.durability = durability;
  return bench::must(Store::open(dir.string(), options), "snapstore open");
}

void create_indexes(Store& store) {
  bench::must(store.create_index(kCityIndex, {"city"}), "create_index by_city");
  bench::must(store.create_index(kSeqIndex, {"seq"}), "create_index by_seq");
}

void insert_rows(const Config& config, Report& report) {
  struct Variant {
    const char* subject;
    std::optional<Durability> durability;  // empty: in memory
    bool indexed;
    Role role;
  };
  const Variant variants[] = {
      {"snapstore sync, 2 indexes", Durability::kSync, true, Role::kReference},
      {"snapstore none, 2 indexes", Durability::kNone, true, Role::kReference},
      {"snapstore periodic(100ms), 2 indexes", Durability::kPeriodic, true, Role::kSnapstore},
      {"snapstore in memory, 2 indexes", std::nullopt, true, Role::kSnapstore},
      {"snapstore none, no indexes", Durability::kNone, false, Role::kSnapstore},
  };
  for (const int threads : config.threads) {
    for (const Variant& variant : variants) {
      if (!variant.indexed && threads != 1) continue;
      const std::filesystem::path dir = fresh_dir(config, "snapstore-insert");
      Store store = variant.durability ? open_durable(dir, *variant.durability)
                                       : bench::must(Store::open_in_memory(), "open_in_memory");
      if (variant.indexed) create_indexes(store);
      const Measurement m = run_timed(threads, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
        auto written = store.insert(bench::document_from_pool(index));
        if (!written) bench::die("snapstore insert: " + written.status().message());
        return 1;
      });
      store.close();
      remove_dir(dir);
      const bool durable = variant.durability == Durability::kSync;
      report.add(make_row(insert_group(threads, durable), variant.subject, variant.role, 0, m, "ops/s", true));
    }
  }
}

// Store::write of 100 inserts, with the two indexes (RocksDB's WriteBatch
// rows have none).
void batch_rows(const Config& config, Report& report) {
  constexpr std::uint64_t kBatch = 100;
  for (const bool durable : {true, false}) {
    const std::filesystem::path dir = fresh_dir(config, "snapstore-batch");
    Store store = open_durable(dir, durable ? Durability::kSync : Durability::kNone);
    create_indexes(store);
    Budget budget = config.budget;
    budget.max_ops = std::max<std::uint64_t>(1, budget.max_ops / kBatch);
    snapstore::WriteBatch batch;
    const Measurement m = run_timed(1, budget, [&](int, std::uint64_t index) -> std::uint64_t {
      batch.clear();
      for (std::uint64_t i = 0; i < kBatch; ++i) batch.insert(bench::document_from_pool(index * kBatch + i));
      auto written = store.write(batch);
      if (!written) bench::die("snapstore write(batch): " + written.status().message());
      return kBatch;
    });
    store.close();
    remove_dir(dir);
    report.add(make_row(batch_group(durable), durable ? "snapstore sync, 2 indexes" : "snapstore none, 2 indexes",
                        Role::kReference, 0, m, "docs/s", true));
  }
}

// Loads N documents (generated in chunks outside the timing) and returns
// their ids in load order; the time includes the final flush().
std::vector<std::string> load(Store& store, std::uint64_t documents, Measurement& m) {
  std::vector<std::string> ids;
  ids.reserve(documents);
  std::vector<Document> chunk;
  for (std::uint64_t first = 0; first < documents; first += kLoadChunk) {
    chunk.clear();
    for (std::uint64_t seq = first; seq < std::min(documents, first + kLoadChunk); ++seq) {
      chunk.push_back(bench::make_document(seq));
    }
    const Clock::time_point chunk_start = Clock::now();
    for (const Document& doc : chunk) {
      const Clock::time_point start = Clock::now();
      auto written = store.insert(doc);
      if (!written) bench::die("snapstore load: " + written.status().message());
      m.latency.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(Clock::now() - start).count()));
      ids.push_back(std::move(written->id));
    }
    m.seconds += seconds_since(chunk_start);
  }
  const Clock::time_point flush_start = Clock::now();
  bench::must(store.flush(), "snapstore flush");
  m.seconds += seconds_since(flush_start);
  m.ops = m.items = documents;
  return ids;
}

// Reads and the non-durable update on the freshly loaded store.
void read_rows(const Config& config, Report& report, Store& store, const std::vector<std::string>& ids,
               const std::vector<std::uint32_t>& order) {
  const std::uint64_t n = ids.size();
  // Each read is timed twice, as deep copies and as views: `read(index)`
  // returns the documents it got.
  auto timed_row = [&](const Group& group, const std::string& subject, const char* unit, const auto& read) {
    const double cpu_start = process_cpu_seconds();
    Measurement m = run_timed(1, config.budget, [&](int, std::uint64_t index) { return read(index); });
    const double cpu_seconds = process_cpu_seconds() - cpu_start;
    report.add(make_row(group, subject, Role::kReference, n, m, unit, true));
    if (config.cpu_time) {
      // The same operations per CPU second of the process (a reader
      // descheduled by other processes uses none).
      m.seconds = cpu_seconds;
      report.add(make_row(group, subject + ", per CPU second", Role::kSnapstore, n, m, unit, false));
    }
  };
  auto got = [](const std::string& subject, const auto& result) -> std::uint64_t {
    if (!result) bench::die(subject + ": " + result.status().message());
    if constexpr (requires { result->size(); }) {
      return result->size();
    } else {
      return 1;
    }
  };
  if (config.wants("get")) {
    timed_row(get_group(), "snapstore get (deep copy)", "ops/s",
              [&](std::uint64_t i) { return got("snapstore get", store.get(ids[pick(i, n)])); });
    timed_row(get_view_group(), "snapstore get_view", "ops/s",
              [&](std::uint64_t i) { return got("snapstore get_view", store.get_view(ids[pick(i, n)])); });
    const Measurement two = run_timed(2, config.budget, [&](int, std::uint64_t i) {
      return got("snapstore get_view", store.get_view(ids[pick(i, n)]));
    });
    report.add(make_row(get_view_two_threads_group(), "snapstore get_view", Role::kReference, n, two, "ops/s", true));
  }
  if (config.wants("lookup")) {
    auto city = [](std::uint64_t i) { return snapstore::IndexKey{bench::city_name(pick(i, bench::kCities))}; };
    timed_row(lookup_group(), "snapstore lookup (deep copies)", "docs/s",
              [&](std::uint64_t i) { return got("snapstore lookup", store.lookup(kCityIndex, city(i))); });
    timed_row(lookup_view_group(), "snapstore lookup_view", "docs/s",
              [&](std::uint64_t i) { return got("snapstore lookup_view", store.lookup_view(kCityIndex, city(i))); });
  }
  if (config.wants("range")) {
    const std::uint64_t width = std::max<std::uint64_t>(1, n / 100);
    auto checked = [&](const std::string& subject, const auto& docs) {
      if (got(subject, docs) != width) bench::die(subject + " returned the wrong documents");
      return width;
    };
    timed_row(range_group(), "snapstore lookup_range (deep copies)", "docs/s", [&](std::uint64_t i) {
      const std::uint64_t first = pick(i, n - width + 1);
      return checked("snapstore lookup_range", store.lookup_range(kSeqIndex, {first}, {first + width - 1}));
    });
    timed_row(range_view_group(), "snapstore lookup_range_view", "docs/s", [&](std::uint64_t i) {
      const std::uint64_t first = pick(i, n - width + 1);
      return checked("snapstore lookup_range_view", store.lookup_range_view(kSeqIndex, {first}, {first + width - 1}));
    });
  }
  if (config.wants("stream")) {
    const Clock::time_point start = Clock::now();
    snapstore::Stream stream = store.stream();
    std::uint64_t streamed = 0;
    for (auto doc = stream.next(); doc; doc = stream.next()) ++streamed;
    const double seconds = seconds_since(start);
    if (streamed != n) bench::die("snapstore stream returned the wrong number of documents");
    report.add(make_row(stream_group(), "snapstore stream (deep copies)", Role::kReference, n,
                        one_shot(streamed, seconds), "docs/s", false));
  }
  if (config.wants("update")) {
    // Updates pick from the half of the documents that deletes never reach.
    const Measurement m = run_timed(1, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
      const std::string& id = ids[order[n - 1 - pick(index, std::max<std::uint64_t>(1, n / 2))]];
      auto written = store.update(id, updated_pool()[index % updated_pool().size()]);
      if (!written) bench::die("snapstore update: " + written.status().message());
      return 1;
    });
    report.add(make_row(update_group(false), "snapstore none", Role::kReference, n, m, "ops/s", true));
  }
}

// Removes ids[order[first + i]] until the budget or a quarter of the store
// is used up; returns how many it removed.
std::uint64_t delete_rows(const Config& config, Report& report, Store& store, const std::vector<std::string>& ids,
                          const std::vector<std::uint32_t>& order, std::uint64_t first, bool durable) {
  Budget budget = config.budget;
  budget.max_ops = std::min<std::uint64_t>(budget.max_ops, std::max<std::uint64_t>(1, ids.size() / 4));
  const Measurement m = run_timed(1, budget, [&](int, std::uint64_t index) -> std::uint64_t {
    auto removed = store.remove(ids[order[first + index]]);
    if (!removed) bench::die("snapstore remove: " + removed.status().message());
    return 1;
  });
  report.add(make_row(delete_group(durable), durable ? "snapstore sync" : "snapstore none", Role::kReference,
                      ids.size(), m, "ops/s", true));
  return m.ops;
}

void loaded_rows(const Config& config, Report& report) {
  const std::uint64_t n = config.documents;
  const std::filesystem::path dir = fresh_dir(config, "snapstore-loaded");
  const std::vector<std::uint32_t> order = delete_order(n);
  std::vector<std::string> ids;
  {
    Store store = open_durable(dir, Durability::kNone);
    Measurement m;
    ids = load(store, n, m);
    if (config.wants("load")) {
      report.add(make_row(load_group(n), "snapstore none, insert one by one", Role::kReference, 0, m, "docs/s", true));
    }
    for (const auto& [name, field] : {std::pair{kCityIndex, "city"}, std::pair{kSeqIndex, "seq"}}) {
      const double cpu_start = process_cpu_seconds();
      const Clock::time_point start = Clock::now();
      bench::must(store.create_index(name, {field}), "create_index");
      const double seconds = seconds_since(start);
      if (config.wants("create_index")) {
        report.add(make_row(create_index_group(name), "snapstore", Role::kReference, n, one_shot(n, seconds), "docs/s",
                            false));
        if (config.cpu_time) {
          report.add(make_row(create_index_group(name), kCpuTimeSubject, Role::kSnapstore, n,
                              one_shot(n, process_cpu_seconds() - cpu_start), "docs/s", false));
        }
      }
    }
    read_rows(config, report, store, ids, order);
    store.close();
  }
  std::uint64_t deleted = 0;
  if (config.wants("open") || config.wants("delete")) {
    const double cpu_start = process_cpu_seconds();
    const Clock::time_point start = Clock::now();
    Store store = open_durable(dir, Durability::kNone);
    const double seconds = seconds_since(start);
    const double cpu_seconds = process_cpu_seconds() - cpu_start;
    if (store.size() != n || store.indexes().size() != 2) bench::die("snapstore reopened a different store");
    if (config.wants("open")) {
      report.add(make_row(open_group(n), "snapstore open", Role::kReference, n, one_shot(n, seconds), "docs/s", false));
      if (config.cpu_time) {
        report.add(
            make_row(open_group(n), kCpuTimeSubject, Role::kSnapstore, n, one_shot(n, cpu_seconds), "docs/s", false));
      }
    }
    if (config.wants("delete")) deleted = delete_rows(config, report, store, ids, order, 0, false);
    store.close();
  }
  if (config.wants("update") || config.wants("delete")) {
    Store store = open_durable(dir, Durability::kSync);
    if (config.wants("update")) {
      const Measurement m = run_timed(1, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
        const std::string& id = ids[order[n - 1 - pick(index, std::max<std::uint64_t>(1, n / 2))]];
        auto written = store.update(id, updated_pool()[index % updated_pool().size()]);
        if (!written) bench::die("snapstore update: " + written.status().message());
        return 1;
      });
      report.add(make_row(update_group(true), "snapstore sync", Role::kReference, n, m, "ops/s", true));
    }
    if (config.wants("delete")) delete_rows(config, report, store, ids, order, deleted, true);
    store.close();
  }
  remove_dir(dir);
}

}  // namespace

void run_snapstore(const Config& config, Report& report, Phase phase) {
  if (phase == Phase::kLoaded) {
    if (config.wants_loaded()) loaded_rows(config, report);
    return;
  }
  if (config.wants("insert")) insert_rows(config, report);
  if (config.wants("batch")) batch_rows(config, report);
}

}  // namespace compare
