// SQLite's rows: documents as JSON text in a WITHOUT ROWID table keyed by the
// same kind of UUIDv7 id, expression indexes on json_extract() of the same
// fields snapstore indexes, WAL journal, synchronous=FULL for the durable rows
// and NORMAL for the others, a 1 GiB page cache.
//
// SQLite lets one writer in at a time, so threads share one connection behind
// a mutex (separate connections would only add busy-wait sleeps). Writes do
// not pay for producing JSON (pregenerated); reads that return documents are
// measured twice where it matters: rows as text, and parsed into a Document.
#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "bench/compare/harness.h"

namespace compare {

namespace {

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail("prepare " + sql);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  void bind(int index, std::string_view text) {
    if (sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC) != SQLITE_OK) {
      fail("bind");
    }
  }
  void bind(int index, std::int64_t number) {
    if (sqlite3_bind_int64(stmt_, index, number) != SQLITE_OK) fail("bind");
  }
  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("step");
    return false;
  }
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string_view text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { bench::die("sqlite " + what + ": " + sqlite3_errmsg(db_)); }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Connection {
 public:
  explicit Connection(const std::filesystem::path& file) {
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      bench::die("sqlite open " + file.string());
    }
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA cache_size=-1048576");
    exec("CREATE TABLE IF NOT EXISTS docs(id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID");
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { sqlite3_close_v2(db_); }

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      bench::die("sqlite " + sql + ": " + message);
    }
  }
  void synchronous(bool full) { exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); }
  void create_index(const std::string& name) { exec("CREATE INDEX " + name + " ON docs(" + expression(name) + ")"); }
  // Stops the run unless SQLite's plan for `sql` uses index `name`: numbers
  // from a full table scan would compare nothing.
  void require_index(const std::string& sql, const std::string& name) {
    Statement plan(db_, "EXPLAIN QUERY PLAN " + sql);
    std::string details;
    while (plan.step()) details += std::string(plan.text(3)) + "; ";
    if (details.find("INDEX " + name) == std::string::npos) bench::die("sqlite does not use " + name + ": " + details);
  }
  static std::string expression(const std::string& index) {
    return index == kCityIndex ? "json_extract(doc, '$.city')" : "json_extract(doc, '$.seq')";
  }
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

const char* synchronous_label(bool full) { return full ? "synchronous=FULL" : "synchronous=NORMAL"; }

void insert_rows(const Config& config, Report& report) {
  const std::vector<std::string>& pool = json_pool();
  for (const int threads : config.threads) {
    for (const bool full : {true, false}) {
      const std::filesystem::path dir = fresh_dir(config, "sqlite-insert");
      Measurement m;
      {
        Connection db(dir / "docs.sqlite");
        db.synchronous(full);
        db.create_index(kCityIndex);
        db.create_index(kSeqIndex);
        Statement insert(db.handle(), "INSERT INTO docs(id, doc) VALUES(?1, ?2)");
        std::mutex writer;
        m = run_timed(threads, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
          const std::string id = new_id();
          const std::lock_guard<std::mutex> lock(writer);
          insert.bind(1, id);
          insert.bind(2, pool[index % pool.size()]);
          insert.run();
          return 1;
        });
      }
      remove_dir(dir);
      report.add(make_row(insert_group(threads, full), std::string("SQLite ") + synchronous_label(full) + ", 2 indexes",
                          Role::kAlternative, 0, m, "ops/s", true));
    }
  }
}

void batch_rows(const Config& config, Report& report) {
  constexpr std::uint64_t kBatch = 100;
  const std::vector<std::string>& pool = json_pool();
  for (const bool full : {true, false}) {
    const std::filesystem::path dir = fresh_dir(config, "sqlite-batch");
    {
      Connection db(dir / "docs.sqlite");
      db.synchronous(full);
      db.create_index(kCityIndex);
      db.create_index(kSeqIndex);
      Statement insert(db.handle(), "INSERT INTO docs(id, doc) VALUES(?1, ?2)");
      Budget budget = config.budget;
      budget.max_ops = std::max<std::uint64_t>(1, budget.max_ops / kBatch);
      const Measurement m = run_timed(1, budget, [&](int, std::uint64_t index) -> std::uint64_t {
        db.exec("BEGIN");
        for (std::uint64_t i = 0; i < kBatch; ++i) {
          const std::string id = new_id();
          insert.bind(1, id);
          insert.bind(2, pool[(index * kBatch + i) % pool.size()]);
          insert.run();
        }
        db.exec("COMMIT");
        return kBatch;
      });
      report.add(make_row(batch_group(full),
                          std::string("SQLite transaction of 100, ") + synchronous_label(full) + ", 2 indexes",
                          Role::kAlternative, 0, m, "docs/s", true));
    }
    remove_dir(dir);
  }
}

// Inserts N documents in transactions of kLoadChunk; JSON text is generated
// outside the timing. Returns the ids in load order.
std::vector<std::string> load(Connection& db, std::uint64_t documents, Measurement& m) {
  std::vector<std::string> ids;
  ids.reserve(documents);
  Statement insert(db.handle(), "INSERT INTO docs(id, doc) VALUES(?1, ?2)");
  std::vector<std::string> chunk;
  for (std::uint64_t first = 0; first < documents; first += kLoadChunk) {
    chunk.clear();
    const std::uint64_t end = std::min(documents, first + kLoadChunk);
    for (std::uint64_t seq = first; seq < end; ++seq) {
      chunk.push_back(snapstore::to_json(snapstore::Value(bench::make_document(seq))));
      ids.push_back(new_id());
    }
    const Clock::time_point start = Clock::now();
    db.exec("BEGIN");
    for (std::uint64_t seq = first; seq < end; ++seq) {
      insert.bind(1, ids[seq]);
      insert.bind(2, chunk[seq - first]);
      insert.run();
    }
    db.exec("COMMIT");
    m.seconds += seconds_since(start);
  }
  m.ops = m.items = documents;
  return ids;
}

// Runs a query that returns (id, doc) rows and collects them as snapstore's
// lookup returns its documents: one vector holding every row (id and JSON
// text, or id and the parsed Document), freed when the query's timed
// operation ends. Returns the number of rows. A loop that parsed each row
// and dropped it before the next never held more than one document, so it
// never paid for a result of ~10k documents being allocated and freed,
// which snapstore's rows pay (D116).
std::uint64_t collect(Statement& query, bool parse) {
  std::vector<snapstore::DocumentResult> parsed;
  std::vector<std::pair<std::string, std::string>> texts;
  while (query.step()) {
    std::string id(query.text(0));
    if (parse) {
      parsed.push_back(snapstore::DocumentResult{std::move(id), parse_json(query.text(1)), 0, 0});
    } else {
      texts.emplace_back(std::move(id), std::string(query.text(1)));
    }
  }
  query.reset();
  std::uint64_t rows = 0;
  for (const auto& row : parsed) rows += row.id.empty() || row.data.empty() ? 0 : 1;
  for (const auto& row : texts) rows += row.first.empty() || row.second.empty() ? 0 : 1;
  return rows;
}

void lookup_rows(const Config& config, Report& report, Connection& db, std::uint64_t n) {
  const std::string by_city = "SELECT id, doc FROM docs WHERE " + Connection::expression(kCityIndex) + " = ?1";
  const std::string by_seq = "SELECT id, doc FROM docs WHERE " + Connection::expression(kSeqIndex) +
                             " BETWEEN ?1 AND ?2 ORDER BY " + Connection::expression(kSeqIndex);
  db.require_index(by_city, kCityIndex);
  db.require_index(by_seq, kSeqIndex);
  // Each row once per heap state (harness.h), as snapstore's deep copies.
  for (const HeapState state : kHeapStates) {
    for (const bool parse : {false, true}) {
      const std::string subject = std::string("SQLite expression index") +
                                  (parse ? ", parsed into Document, " : ", rows as JSON text, ") +
                                  heap_state_label(state);
      if (config.wants("lookup")) {
        Statement query(db.handle(), by_city);
        const Measurement m =
            run_lookups(config, lookup_group(state), state, subject, [&](std::uint64_t index) -> std::uint64_t {
              const std::string city = bench::city_name(pick(index, bench::kCities));
              query.bind(1, city);
              return collect(query, parse);
            });
        report.add(make_row(lookup_group(state), subject, Role::kAlternative, n, m, "docs/s", true));
      }
      if (config.wants("range")) {
        const std::uint64_t width = std::max<std::uint64_t>(1, n / 100);
        Statement query(db.handle(), by_seq);
        const Measurement m =
            run_lookups(config, range_group(state), state, subject, [&](std::uint64_t index) -> std::uint64_t {
              const std::uint64_t first = pick(index, n - width + 1);
              query.bind(1, static_cast<std::int64_t>(first));
              query.bind(2, static_cast<std::int64_t>(first + width - 1));
              const std::uint64_t rows = collect(query, parse);
              if (rows != width) bench::die("sqlite range returned the wrong number of rows");
              return rows;
            });
        report.add(make_row(range_group(state), subject, Role::kAlternative, n, m, "docs/s", true));
      }
    }
  }
}

Measurement update(Connection& db, const Config& config, const std::vector<std::string>& ids,
                   const std::vector<std::uint32_t>& order) {
  const std::uint64_t n = ids.size();
  const std::vector<std::string>& pool = updated_json_pool();
  Statement statement(db.handle(), "UPDATE docs SET doc = ?2 WHERE id = ?1");
  return run_timed(1, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
    statement.bind(1, ids[order[n - 1 - pick(index, std::max<std::uint64_t>(1, n / 2))]]);
    statement.bind(2, pool[index % pool.size()]);
    statement.run();
    return 1;
  });
}

Measurement remove(Connection& db, const Config& config, const std::vector<std::string>& ids,
                   const std::vector<std::uint32_t>& order, std::uint64_t first) {
  Budget budget = config.budget;
  budget.max_ops = std::min<std::uint64_t>(budget.max_ops, std::max<std::uint64_t>(1, ids.size() / 4));
  Statement statement(db.handle(), "DELETE FROM docs WHERE id = ?1");
  return run_timed(1, budget, [&](int, std::uint64_t index) -> std::uint64_t {
    statement.bind(1, ids[order[first + index]]);
    statement.run();
    return 1;
  });
}

void loaded_rows(const Config& config, Report& report) {
  const std::uint64_t n = config.documents;
  const std::filesystem::path dir = fresh_dir(config, "sqlite-loaded");
  const std::vector<std::uint32_t> order = delete_order(n);
  {
    Connection db(dir / "docs.sqlite");
    db.synchronous(false);
    Measurement loaded;
    const std::vector<std::string> ids = load(db, n, loaded);
    if (config.wants("load")) {
      report.add(make_row(load_group(n), "SQLite transactions of 10000, synchronous=NORMAL", Role::kAlternative, 0,
                          loaded, "docs/s", false));
    }
    for (const char* index : {kCityIndex, kSeqIndex}) {
      const Clock::time_point start = Clock::now();
      db.create_index(index);
      const double seconds = seconds_since(start);
      if (config.wants("create_index")) {
        report.add(make_row(create_index_group(index), "SQLite CREATE INDEX on json_extract()", Role::kAlternative, n,
                            one_shot(n, seconds), "docs/s", false));
      }
    }
    if (config.wants("get")) {
      Statement query(db.handle(), "SELECT doc FROM docs WHERE id = ?1");
      const Measurement m = run_timed(1, config.budget, [&](int, std::uint64_t index) -> std::uint64_t {
        query.bind(1, ids[pick(index, n)]);
        if (!query.step()) bench::die("sqlite get found nothing");
        const snapstore::Document doc = parse_json(query.text(0));
        query.reset();
        return doc.empty() ? 0 : 1;
      });
      report.add(
          make_row(get_group(), "SQLite SELECT by id + parse into Document", Role::kAlternative, n, m, "ops/s", true));
    }
    if (config.lookup_child) lookup_rows(config, report, db, n);
    if (config.wants("stream")) {
      Statement query(db.handle(), "SELECT id, doc FROM docs");
      const Clock::time_point start = Clock::now();
      const std::uint64_t rows = collect(query, true);
      report.add(make_row(stream_group(), "SQLite SELECT all + parse into Document", Role::kAlternative, n,
                          one_shot(rows, seconds_since(start)), "docs/s", false));
    }
    std::uint64_t deleted = 0;
    for (const bool full : {false, true}) {
      db.synchronous(full);
      const std::string label = std::string("SQLite ") + synchronous_label(full);
      if (config.wants("update")) {
        report.add(
            make_row(update_group(full), label, Role::kAlternative, n, update(db, config, ids, order), "ops/s", true));
      }
      if (config.wants("delete")) {
        const Measurement m = remove(db, config, ids, order, deleted);
        deleted += m.ops;
        report.add(make_row(delete_group(full), label, Role::kAlternative, n, m, "ops/s", true));
      }
    }
  }
  remove_dir(dir);
}

}  // namespace

void run_sqlite(const Config& config, Report& report, Phase phase) {
  if (phase == Phase::kLoaded) {
    // With only the lookup workloads, every SQLite row is the lookup child's.
    const bool only_lookups = std::all_of(config.workloads.begin(), config.workloads.end(),
                                          [](const std::string& w) { return w == "lookup" || w == "range"; });
    if (config.wants_loaded() && (config.lookup_child || !only_lookups)) loaded_rows(config, report);
    return;
  }
  if (config.wants("insert")) insert_rows(config, report);
  if (config.wants("batch")) batch_rows(config, report);
}

}  // namespace compare
