// YCSB's core workloads: their definitions, the records, and the client loop
// (YCSB's CoreWorkload.doTransaction: pick an operation by its proportion,
// pick a key number from the request distribution, time only the store's
// call) run on each subject's Database, and the rows it adds.
#include "bench/compare/ycsb.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <iostream>
#include <latch>
#include <optional>
#include <thread>

namespace compare::ycsb {

std::string shape_label(Shape shape) {
  return shape == Shape::kYcsb ? "10 x 100 B fields" : "~200 B documents";
}

const std::vector<std::string>& shape_names() {
  static const std::vector<std::string> kNames = {"ycsb", "bench"};
  return kNames;
}

Shape shape_of(const std::string& name) { return name == "bench" ? Shape::kBench : Shape::kYcsb; }

const char* op_name(Op op) {
  switch (op) {
    case Op::kRead:
      return "read";
    case Op::kUpdate:
      return "update";
    case Op::kInsert:
      return "insert";
    case Op::kScan:
      return "scan";
    case Op::kReadModifyWrite:
      return "read-modify-write";
  }
  return "?";
}

double Workload::proportion(Op op) const {
  switch (op) {
    case Op::kRead:
      return read;
    case Op::kUpdate:
      return update;
    case Op::kInsert:
      return insert;
    case Op::kScan:
      return scan;
    case Op::kReadModifyWrite:
      return read_modify_write;
  }
  return 0;
}

const std::vector<Workload>& workloads() {
  static const std::vector<Workload> kWorkloads = [] {
    std::vector<Workload> all(6);
    all[0] = {"A", "50% read, 50% update", 0.5, 0.5, 0, 0, 0, false};
    all[1] = {"B", "95% read, 5% update", 0.95, 0.05, 0, 0, 0, false};
    all[2] = {"C", "100% read", 1.0, 0, 0, 0, 0, false};
    all[3] = {"D", "95% read latest, 5% insert", 0.95, 0, 0.05, 0, 0, true};
    all[4] = {"E", "95% scan of 1-100, 5% insert", 0, 0, 0.05, 0.95, 0, false};
    all[5] = {"F", "50% read, 50% read-modify-write", 0.5, 0, 0, 0, 0.5, false};
    return all;
  }();
  return kWorkloads;
}

const std::vector<std::string>& workload_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const Workload& w : workloads()) names.push_back(w.name);
    return names;
  }();
  return kNames;
}

namespace {

constexpr int kFields = 10;
constexpr std::size_t kFieldLength = 100;

// Field values: YCSB's RandomByteIterator draws printable characters per
// value; a pool of them, generated once, keeps generation out of the timing.
const std::vector<std::string>& field_pool() {
  static const std::vector<std::string> kPool = [] {
    Random random(bench::kSeed ^ 0x7c5b);
    std::vector<std::string> pool(4096);
    for (std::string& value : pool) {
      value.resize(kFieldLength);
      for (char& c : value) c = static_cast<char>(' ' + random.next() % 95);
    }
    return pool;
  }();
  return kPool;
}

const std::array<std::string, kFields>& field_names() {
  static const std::array<std::string, kFields> kNames = [] {
    std::array<std::string, kFields> names;
    for (int i = 0; i < kFields; ++i) names[static_cast<std::size_t>(i)] = "field" + std::to_string(i);
    return names;
  }();
  return kNames;
}

}  // namespace

snapstore::Document record(Shape shape, std::uint64_t keynum, bool with_key) {
  snapstore::Document doc;
  if (shape == Shape::kBench) {
    doc = bench::document_from_pool(keynum);
  } else {
    const std::vector<std::string>& pool = field_pool();
    for (int i = 0; i < kFields; ++i) {
      std::uint64_t state = keynum * kFields + static_cast<std::uint64_t>(i);
      doc.emplace(field_names()[static_cast<std::size_t>(i)], pool[bench::splitmix64(state) % pool.size()]);
    }
  }
  if (with_key) doc["key"] = key_name(keynum);
  return doc;
}

FieldUpdate field_update(Shape shape, Random& random) {
  if (shape == Shape::kBench) return {"score", random.unit() * 100};
  const std::vector<std::string>& pool = field_pool();
  return {field_names()[random.next() % kFields], pool[random.next() % pool.size()]};
}

namespace {

// What one run of a workload measured: all operations, and each type's.
struct Outcome {
  Measurement all;
  std::array<Measurement, kOps> per_op;
};

// The store's state across the runs on it: how many records it holds (the
// inserts' key numbers continue from there, as YCSB's insertstart).
struct Keys {
  explicit Keys(std::uint64_t records) : inserts(records) {}
  AcknowledgedCounter inserts;
};

Outcome run_workload(Database& db, Shape shape, const Workload& workload, int threads, const Budget& budget,
                     Keys& keys) {
  const std::uint64_t records_now = keys.inserts.last() + 1;
  // CoreWorkload: the zipfian key chooser spans the records plus twice the
  // inserts expected (its "fudge factor"); key numbers not yet acknowledged
  // are drawn again.
  const auto expected_new = static_cast<std::uint64_t>(static_cast<double>(budget.max_ops) * workload.insert * 2.0);
  std::vector<std::unique_ptr<Client>> clients;
  // Each thread's generators, made before the clock starts ("latest" sums
  // zeta over every record, O(N)).
  std::vector<ScrambledZipfian> zipfians;
  std::vector<std::optional<SkewedLatest>> latests(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    clients.push_back(db.client(t, threads));
    zipfians.emplace_back(0, records_now + expected_new);
    if (workload.latest) latests[static_cast<std::size_t>(t)].emplace(records_now - 1);
  }
  std::vector<Outcome> outcomes(static_cast<std::size_t>(threads));
  std::atomic<std::uint64_t> next{0};
  std::latch ready(threads + 1);
  Clock::time_point deadline;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Client& client = *clients[static_cast<std::size_t>(t)];
      Outcome& mine = outcomes[static_cast<std::size_t>(t)];
      Random random(bench::kSeed ^ (static_cast<std::uint64_t>(t + 1) * 0x51ed27) ^
                    std::hash<std::string>{}(workload.name));
      ScrambledZipfian& zipfian = zipfians[static_cast<std::size_t>(t)];
      std::optional<SkewedLatest>& latest = latests[static_cast<std::size_t>(t)];
      auto next_keynum = [&] {
        const std::uint64_t last = keys.inserts.last();
        if (latest) return latest->next(random, last);
        for (;;) {
          const std::uint64_t keynum = zipfian.next(random);
          if (keynum <= last) return keynum;
        }
      };
      ready.arrive_and_wait();
      while (Clock::now() < deadline) {
        if (next.fetch_add(1, std::memory_order_relaxed) >= budget.max_ops) break;
        // DiscreteGenerator: the first operation whose share covers the draw
        // (the last one present when rounding leaves the draw uncovered).
        double choice = random.unit();
        Op op = Op::kRead;
        for (const Op candidate : {Op::kRead, Op::kUpdate, Op::kInsert, Op::kScan, Op::kReadModifyWrite}) {
          if (workload.proportion(candidate) == 0) continue;
          op = candidate;
          if (choice < workload.proportion(candidate)) break;
          choice -= workload.proportion(candidate);
        }
        // The operation's inputs are made before its clock starts: YCSB
        // times the store's call only.
        Clock::time_point start;
        std::uint64_t items = 1;
        if (op == Op::kInsert) {
          const std::uint64_t keynum = keys.inserts.next();
          const std::string key = key_name(keynum);
          const snapstore::Document doc = record(shape, keynum, db.wants_key_field());
          start = Clock::now();
          client.insert(keynum, key, doc);
          const Clock::time_point end = Clock::now();
          keys.inserts.acknowledge(keynum);
          mine.per_op[static_cast<std::size_t>(op)].latency.record(
              static_cast<std::uint64_t>(std::chrono::nanoseconds(end - start).count()));
          mine.all.latency.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(end - start).count()));
          ++mine.per_op[static_cast<std::size_t>(op)].ops;
          ++mine.all.ops;
          continue;
        }
        const std::uint64_t keynum = next_keynum();
        const std::string key = key_name(keynum);
        if (op == Op::kRead) {
          start = Clock::now();
          client.read(keynum, key);
        } else if (op == Op::kScan) {
          const std::uint64_t length = random.between(1, kMaxScan);
          start = Clock::now();
          items = client.scan(keynum, key, length);
          if (items > length) bench::die("ycsb: a scan of " + std::to_string(length) + " returned " + std::to_string(items));
        } else {
          const FieldUpdate update = field_update(shape, random);
          start = Clock::now();
          if (op == Op::kUpdate) {
            client.update(keynum, key, update);
          } else {
            client.read_modify_write(keynum, key, update);
          }
        }
        const auto nanos = static_cast<std::uint64_t>(std::chrono::nanoseconds(Clock::now() - start).count());
        Measurement& of_op = mine.per_op[static_cast<std::size_t>(op)];
        of_op.latency.record(nanos);
        ++of_op.ops;
        of_op.items += items;
        mine.all.latency.record(nanos);
        ++mine.all.ops;
      }
    });
  }
  const Clock::time_point start = Clock::now();
  deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(budget.seconds));
  ready.arrive_and_wait();
  for (std::thread& worker : workers) worker.join();
  Outcome total;
  total.all.seconds = seconds_since(start);
  for (const Outcome& outcome : outcomes) {
    total.all.ops += outcome.all.ops;
    total.all.latency.merge(outcome.all.latency);
    for (int op = 0; op < kOps; ++op) {
      Measurement& sum = total.per_op[static_cast<std::size_t>(op)];
      sum.ops += outcome.per_op[static_cast<std::size_t>(op)].ops;
      sum.items += outcome.per_op[static_cast<std::size_t>(op)].items;
      sum.latency.merge(outcome.per_op[static_cast<std::size_t>(op)].latency);
    }
  }
  total.all.items = total.all.ops;
  for (Measurement& m : total.per_op) m.seconds = total.all.seconds;
  return total;
}

// YCSB's recommended order: A, B, C, F, D, then E (D and E insert; YCSB
// reloads before E, here E runs on the store D grew).
std::vector<const Workload*> run_order(const Config& config) {
  std::vector<const Workload*> order;
  for (const char* name : {"A", "B", "C", "F", "D", "E"}) {
    for (const Workload& w : workloads()) {
      if (w.name == name && config.ycsb.count(w.name) != 0) order.push_back(&w);
    }
  }
  return order;
}

Group group_of(Shape shape, const Workload& workload, int threads, std::optional<Op> op) {
  const int workload_index = static_cast<int>(&workload - workloads().data());
  std::string label = "YCSB " + workload.name + " (" + workload.title + "), " + shape_label(shape) + ", " +
                      threads_label(threads) + (op ? std::string(": ") + op_name(*op) : std::string(": all operations"));
  const int order = 2000 + (shape == Shape::kBench ? 100'000 : 0) + workload_index * 10'000 + threads * 10 +
                    (op ? 1 + static_cast<int>(*op) : 0);
  return {std::move(label), order};
}

void run_binding(const Config& config, Report& report, const Binding& binding, Shape shape) {
  const std::uint64_t records = config.ycsb_records;
  const std::filesystem::path dir = fresh_dir(config, "ycsb");
  {
    std::unique_ptr<Database> db = binding.open(dir);
    std::cerr << "compare: YCSB, " << binding.subject << ", " << shape_label(shape) << ": loading " << records
              << " records..." << std::flush;
    const Clock::time_point load_start = Clock::now();
    db->load(shape, records);
    std::cerr << " " << seconds_since(load_start) << " s" << std::endl;
    const std::vector<const Workload*> order = run_order(config);
    if (std::any_of(order.begin(), order.end(), [](const Workload* w) { return w->scan > 0; })) db->prepare_scans();
    Keys keys(records);
    Budget budget = config.budget;
    budget.max_ops = config.ycsb_operations;
    for (const int threads : config.ycsb_threads) {
      for (const Workload* workload : order) {
        const std::uint64_t store_records = keys.inserts.last() + 1;
        const Outcome outcome = run_workload(*db, shape, *workload, threads, budget, keys);
        report.add(make_row(group_of(shape, *workload, threads, std::nullopt), binding.subject, binding.role,
                            store_records, outcome.all, "ops/s", true));
        for (const Op op : {Op::kRead, Op::kUpdate, Op::kInsert, Op::kScan, Op::kReadModifyWrite}) {
          if (workload->proportion(op) == 0) continue;
          report.add(make_row(group_of(shape, *workload, threads, op), binding.subject, binding.role, store_records,
                              outcome.per_op[static_cast<std::size_t>(op)], "ops/s", true));
        }
      }
    }
  }
  remove_dir(dir);
}

}  // namespace

void run(const Config& config, Report& report) {
  for (const std::string& shape_name : config.ycsb_shapes) {
    const Shape shape = shape_of(shape_name);
    for (const Subject& subject : subjects()) {
      if (!config.wants_subject(subject.name) || subject.run == nullptr) continue;
      const std::string name = subject.name;
      std::vector<Binding> bindings;
      if (name == "snapstore") bindings = snapstore_bindings();
      if (name == "rocksdb") bindings = rocksdb_bindings();
      if (name == "sqlite") bindings = sqlite_bindings();
#ifdef SNAPSTORE_COMPARE_LMDB
      if (name == "lmdb") bindings = lmdb_bindings();
#endif
#ifdef SNAPSTORE_COMPARE_WIREDTIGER
      if (name == "wiredtiger") bindings = wiredtiger_bindings();
#endif
      for (const Binding& binding : bindings) run_binding(config, report, binding, shape);
    }
  }
}

}  // namespace compare::ycsb
