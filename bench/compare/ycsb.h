// YCSB's core workloads (Cooper et al., "Benchmarking Cloud Serving Systems
// with YCSB", SoCC 2010, and YCSB's workloads/workload[a-f] files) on every
// subject of the comparison: the operation mix, the request distribution
// (scrambled zipfian 0.99, or "latest" for D), YCSB's key names, and the
// records — YCSB's default shape (10 fields of 100 bytes) or the harness's
// ~200-byte documents. A subject supplies a Database (load, and one Client
// per client thread); ycsb.cc runs the workloads and adds the rows: per
// workload, shape and thread count, one group for all operations and one per
// operation type, each with throughput and p50/p99.
//
//   compare --ycsb A,B,C,D,E,F --records 1000000 --operations 1000000
//   compare --ycsb A --ycsb-shape bench --ycsb-threads 2 --subjects snapstore,lmdb
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/compare/harness.h"
#include "bench/compare/ycsb_generators.h"

namespace compare::ycsb {

// The records: YCSB's default (fieldcount 10, fieldlength 100, constant) or
// the harness's documents (bench/documents.h).
enum class Shape { kYcsb, kBench };
std::string shape_label(Shape shape);
const std::vector<std::string>& shape_names();  // "ycsb", "bench"
Shape shape_of(const std::string& name);

enum class Op { kRead, kUpdate, kInsert, kScan, kReadModifyWrite };
inline constexpr int kOps = 5;
const char* op_name(Op op);

struct Workload {
  std::string name;  // "A" .. "F"
  std::string title;
  double read = 0, update = 0, insert = 0, scan = 0, read_modify_write = 0;
  bool latest = false;  // requestdistribution=latest (D); zipfian otherwise
  double proportion(Op op) const;
};
// A..F as YCSB's workload files define them.
const std::vector<Workload>& workloads();
const std::vector<std::string>& workload_names();

// The longest scan (maxscanlength); lengths are uniform in 1..kMaxScan.
inline constexpr std::uint64_t kMaxScan = 100;

// Record `keynum` of `shape` (the same for every subject). For snapstore it
// also carries its YCSB key in the field "key": snapstore chooses its own
// ids, and workload E scans in key order through an index on that field.
snapstore::Document record(Shape shape, std::uint64_t keynum, bool with_key);

// An update writes one field (YCSB's writeallfields=false): a random
// fieldN of 100 new bytes, or a new "score" for the harness's documents.
struct FieldUpdate {
  std::string field;
  snapstore::Value value;
};
FieldUpdate field_update(Shape shape, Random& random);
// Applies `update` to a record read back.
inline void apply(snapstore::Document& doc, const FieldUpdate& update) { doc[update.field] = update.value; }

// One client thread's connection. Every call either does its work or ends
// the program (bench::die): a benchmark that lost an operation means nothing.
// Reads and scans return records decoded into snapstore::Document (YCSB's
// readallfields=true hands the client every field's value).
class Client {
 public:
  virtual ~Client() = default;
  virtual void insert(std::uint64_t keynum, const std::string& key, const snapstore::Document& doc) = 0;
  virtual void read(std::uint64_t keynum, const std::string& key) = 0;
  virtual void update(std::uint64_t keynum, const std::string& key, const FieldUpdate& update) = 0;
  // Reads `length` records in key order from `key` on (fewer at the end);
  // returns how many it read.
  virtual std::uint64_t scan(std::uint64_t keynum, const std::string& key, std::uint64_t length) = 0;
  virtual void read_modify_write(std::uint64_t keynum, const std::string& key, const FieldUpdate& update) = 0;
};

class Database {
 public:
  virtual ~Database() = default;
  // Inserts records 0..records-1 (not timed; batched where the store allows).
  virtual void load(Shape shape, std::uint64_t records) = 0;
  // Called once before workloads that scan run (snapstore creates its key index).
  virtual void prepare_scans() {}
  // Whether inserted records carry their key in the field "key" (snapstore).
  virtual bool wants_key_field() const { return false; }
  // A client for thread `thread` of `threads`.
  virtual std::unique_ptr<Client> client(int thread, int threads) = 0;
};

// A subject's YCSB side: its name in the rows, its role, and how to open a
// fresh Database in `dir` (an empty directory).
struct Binding {
  std::string subject;
  Role role;
  std::function<std::unique_ptr<Database>(const std::filesystem::path& dir)> open;
};

// The bindings of subject `name` (snapstore has two: `none` and in memory).
std::vector<Binding> snapstore_bindings();
std::vector<Binding> rocksdb_bindings();
std::vector<Binding> sqlite_bindings();
std::vector<Binding> lmdb_bindings();
std::vector<Binding> wiredtiger_bindings();

// Runs the selected workloads on every selected subject and adds the rows.
void run(const Config& config, Report& report);

}  // namespace compare::ycsb
