// The crash-test workload and its pipe protocol (see crash_workload.h).
#include "fault/crash_workload.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <random>

namespace snapstore::fault {
namespace {

// Field lists the index writer picks from: a top-level field, a composite
// key with a dotted path (absent from a third of the documents), a string.
const std::vector<std::string> kIndexFieldSets[] = {{"g"}, {"nested.v", "g"}, {"pad"}};

std::string_view kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::kInsert:
      return "insert";
    case OpKind::kUpdate:
      return "update";
    case OpKind::kRemove:
      return "remove";
    case OpKind::kCreateIndex:
      return "create-index";
    case OpKind::kDropIndex:
      return "drop-index";
    case OpKind::kBatch:
      return "batch";
  }
  return "?";
}

// A batch's operations on the wire: [[kind, id, expected version, document], ...]
// (id "" for inserts, document null for removes).
Value batch_to_value(const std::vector<WorkloadOp>& parts) {
  Array out;
  for (const WorkloadOp& part : parts) {
    out.push_back(Array{std::string(kind_name(part.kind)), part.target, part.expected_version,
                        part.kind == OpKind::kRemove ? Value() : Value(part.document)});
  }
  return Value(std::move(out));
}

bool batch_from_value(const Value& value, std::vector<WorkloadOp>& parts) {
  if (!value.is_array() || value.as_array().empty()) return false;
  for (const Value& item : value.as_array()) {
    if (!item.is_array() || item.as_array().size() != 4) return false;
    const Array& fields = item.as_array();
    if (!fields[0].is_string() || !fields[1].is_string() || !fields[2].is_int() || fields[2].as_int() < 0) return false;
    WorkloadOp part;
    const std::string& kind = fields[0].as_string();
    if (kind == "insert") {
      part.kind = OpKind::kInsert;
    } else if (kind == "update") {
      part.kind = OpKind::kUpdate;
    } else if (kind == "remove") {
      part.kind = OpKind::kRemove;
    } else {
      return false;
    }
    part.target = fields[1].as_string();
    part.expected_version = static_cast<std::uint64_t>(fields[2].as_int());
    if (part.kind != OpKind::kRemove) {
      if (!fields[3].is_object()) return false;
      part.document = fields[3].as_object();
    }
    if ((part.kind == OpKind::kInsert) != part.target.empty() || part.target.find_first_of(" ,") != std::string::npos) {
      return false;
    }
    parts.push_back(std::move(part));
  }
  return true;
}

Document make_document(std::mt19937_64& random, std::uint64_t cycle, std::uint64_t op) {
  const auto n = static_cast<std::int64_t>(random() % 1000);
  Document doc{{"cycle", cycle},
               {"op", op},
               {"g", n % 7},
               {"n", n},
               {"pad", std::string(static_cast<std::size_t>(random() % 64), 'x')}};
  if (n % 3 != 0) doc.emplace("nested", Document{{"v", n % 5}});
  return doc;
}

// The next space-separated token of `rest`, removed from it.
std::string_view take_token(std::string_view& rest) {
  const std::size_t space = rest.find(' ');
  const std::string_view token = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  return token;
}

bool parse_number(std::string_view text, std::uint64_t& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

void PipeSink::send(std::string line) {
  line += '\n';
  std::lock_guard lock(mutex_);
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    // The parent is gone: nobody is left to report to.
    if (n <= 0) ::_exit(2);
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

void PipeSink::opened(std::uint64_t revision) { send("O " + std::to_string(revision)); }

void PipeSink::issued(std::uint64_t op, const WorkloadOp& what) {
  std::string line = "I " + std::to_string(op) + " " + std::string(kind_name(what.kind));
  if (what.expected_version != 0) line += "-if";
  switch (what.kind) {
    case OpKind::kInsert:
      line += " " + to_json(Value(what.document));
      break;
    case OpKind::kUpdate:
      line += " " + what.target;
      if (what.expected_version != 0) line += " " + std::to_string(what.expected_version);
      line += " " + to_json(Value(what.document));
      break;
    case OpKind::kRemove:
    case OpKind::kDropIndex:
      line += " " + what.target;
      if (what.expected_version != 0) line += " " + std::to_string(what.expected_version);
      break;
    case OpKind::kCreateIndex: {
      Array fields(what.fields.begin(), what.fields.end());
      line += " " + what.target + " " + to_json(Value(std::move(fields)));
      break;
    }
    case OpKind::kBatch:
      line += " " + to_json(batch_to_value(what.batch));
      break;
  }
  send(std::move(line));
}

void PipeSink::acknowledged(std::uint64_t op, const std::string& id, std::uint64_t revision) {
  send("A " + std::to_string(op) + " " + (id.empty() ? "-" : id) + " " + std::to_string(revision));
}

void PipeSink::rejected(std::uint64_t op) { send("R " + std::to_string(op)); }

void PipeSink::unknown(std::uint64_t op, const std::string& reason) {
  std::string flat = reason;
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  send("U " + std::to_string(op) + " " + flat);
}

void PipeSink::flush_begun(std::uint64_t flush) { send("B " + std::to_string(flush)); }

void PipeSink::flushed(std::uint64_t flush, std::uint64_t durable_revision) {
  send("F " + std::to_string(flush) + " " + std::to_string(durable_revision));
}

void PipeSink::anomaly(const std::string& what) {
  std::string flat = what;
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  send("X " + flat);
}

void PipeSink::kill_point(const std::string& point) { send("K " + point); }

Status decode_event(std::string_view line, WorkloadSink& sink) {
  const std::string_view whole = line;
  auto bad = [&](std::string_view why) {
    return Status::invalid_argument("crash test protocol: " + std::string(why) + " in line '" +
                                    std::string(whole.substr(0, 200)) + "'");
  };
  const std::string_view type = take_token(line);
  std::uint64_t number = 0;
  std::uint64_t second = 0;
  if (type == "O") {
    if (!parse_number(line, number)) return bad("a bad revision");
    sink.opened(number);
  } else if (type == "I") {
    if (!parse_number(take_token(line), number)) return bad("a bad operation number");
    const std::string_view kind = take_token(line);
    WorkloadOp op;
    auto parse_document = [&](std::string_view json) -> Status {
      auto value = from_json(json);
      if (!value || !value->is_object()) return bad("a bad document");
      op.document = value->as_object();
      return Status::ok();
    };
    if (kind == "insert") {
      op.kind = OpKind::kInsert;
      if (Status s = parse_document(line); !s) return s;
    } else if (kind == "update") {
      op.kind = OpKind::kUpdate;
      op.target = std::string(take_token(line));
      if (Status s = parse_document(line); !s) return s;
    } else if (kind == "update-if" || kind == "remove-if") {
      op.kind = kind == "update-if" ? OpKind::kUpdate : OpKind::kRemove;
      op.target = std::string(take_token(line));
      const std::string_view version = op.kind == OpKind::kUpdate ? take_token(line) : line;
      if (!parse_number(version, op.expected_version) || op.expected_version == 0) return bad("a bad expected version");
      if (op.kind == OpKind::kUpdate) {
        if (Status s = parse_document(line); !s) return s;
      }
    } else if (kind == "remove" || kind == "drop-index") {
      op.kind = kind == "remove" ? OpKind::kRemove : OpKind::kDropIndex;
      op.target = std::string(line);
    } else if (kind == "batch") {
      op.kind = OpKind::kBatch;
      auto parts = from_json(line);
      if (!parts || !batch_from_value(*parts, op.batch)) return bad("a bad batch");
    } else if (kind == "create-index") {
      op.kind = OpKind::kCreateIndex;
      op.target = std::string(take_token(line));
      auto fields = from_json(line);
      if (!fields || !fields->is_array()) return bad("bad index fields");
      for (const Value& field : fields->as_array()) {
        if (!field.is_string()) return bad("bad index fields");
        op.fields.push_back(field.as_string());
      }
    } else {
      return bad("an unknown operation");
    }
    if (op.target.find(' ') != std::string::npos ||
        (op.kind != OpKind::kInsert && op.kind != OpKind::kBatch && op.target.empty())) {
      return bad("a bad target");
    }
    sink.issued(number, op);
  } else if (type == "A") {
    if (!parse_number(take_token(line), number)) return bad("a bad operation number");
    const std::string_view id = take_token(line);
    if (id.empty() || !parse_number(line, second)) return bad("a bad acknowledgement");
    sink.acknowledged(number, id == "-" ? std::string() : std::string(id), second);
  } else if (type == "R") {
    if (!parse_number(line, number)) return bad("a bad operation number");
    sink.rejected(number);
  } else if (type == "U") {
    if (!parse_number(take_token(line), number)) return bad("a bad operation number");
    sink.unknown(number, std::string(line));
  } else if (type == "B") {
    if (!parse_number(line, number)) return bad("a bad flush number");
    sink.flush_begun(number);
  } else if (type == "F") {
    if (!parse_number(take_token(line), number) || !parse_number(line, second)) return bad("a bad flush");
    sink.flushed(number, second);
  } else if (type == "X") {
    sink.anomaly(std::string(line));
  } else if (type == "K") {
    sink.kill_point(std::string(line));
  } else {
    return bad("an unknown event");
  }
  return Status::ok();
}

CrashWorkload::CrashWorkload(Store& store, const WorkloadConfig& config, std::vector<std::vector<std::string>> owned,
                             WorkloadSink& sink)
    : store_(store), config_(config), owned_(std::move(owned)), sink_(sink) {
  owned_.resize(config_.threads);
  for (const IndexInfo& info : store_.indexes()) {
    existing_indexes_.push_back(info.name);
    if (info.name == kUniqueIndexName) unique_ready_.store(true);
  }
}

CrashWorkload::~CrashWorkload() { stop(); }

void CrashWorkload::start() {
  for (unsigned t = 0; t < config_.threads; ++t) threads_.emplace_back([this, t] { run_thread(t); });
}

void CrashWorkload::stop() {
  stopping_.store(true);
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void CrashWorkload::run_thread(unsigned thread) {
  std::seed_seq seeds{config_.seed, config_.cycle, static_cast<std::uint64_t>(thread)};
  std::mt19937_64 random(seeds);
  std::vector<std::string>& owned = owned_[thread];
  // The version of each owned document, 0 until known (documents handed
  // over from an earlier cycle are read once, when first written conditionally).
  std::vector<std::uint64_t> versions(owned.size(), 0);
  auto forget = [&](std::size_t i) {
    owned[i] = owned.back();
    owned.pop_back();
    versions[i] = versions.back();
    versions.pop_back();
  };
  bool stale = false;  // the current operation's expected version is deliberately wrong
  std::vector<std::string> indexes = existing_indexes_;  // thread 0 is their only writer
  bool ack_unwritten = config_.ack_unwritten_insert && thread == 0;
  std::uint64_t last_revision = 0;
  const std::string who = "thread " + std::to_string(thread) + ": ";

  while (!stopping_.load(std::memory_order_relaxed)) {
    if (ack_unwritten && last_revision != 0) {
      // The self-test's bug: an acknowledgement for a write that never happened.
      const std::uint64_t op = next_op_++;
      WorkloadOp phantom{OpKind::kInsert, {}, make_document(random, config_.cycle, op), {}};
      sink_.issued(op, phantom);
      sink_.acknowledged(op, "unwritten-" + std::to_string(config_.cycle) + "-" + std::to_string(op), last_revision);
      ack_unwritten = false;
      continue;
    }
    const auto pick = random() % 100;
    if (config_.durability != Durability::kSync && pick < 4) {
      const std::uint64_t flush = next_flush_++;
      sink_.flush_begun(flush);
      if (Status s = store_.flush(); !s) {
        if (s.code() != StatusCode::kIOError) sink_.anomaly(who + "flush failed: " + s.message());
        return;  // fail-stop: nothing more is acknowledged on this store
      }
      sink_.flushed(flush, store_.durable_revision());
      continue;
    }

    // One operation in twelve: a batch guarded by a precondition.
    if (pick >= 4 && pick < 12 && owned.size() >= 2) {
      if (!run_batch(random, owned, versions, last_revision)) return;
      continue;
    }

    WorkloadOp op;
    std::size_t owned_index = 0;
    stale = false;
    const std::uint64_t number = next_op_++;
    if (thread == 0 && !unique_ready_.load()) {
      op.kind = OpKind::kCreateIndex;
      op.target = std::string(kUniqueIndexName);
      op.fields = {std::string(kUniqueField)};
    } else if (thread == 0 && pick >= 96) {
      op.target = std::string(kWorkloadIndexNames[random() % std::size(kWorkloadIndexNames)]);
      if (std::find(indexes.begin(), indexes.end(), op.target) != indexes.end()) {
        op.kind = OpKind::kDropIndex;
      } else {
        op.kind = OpKind::kCreateIndex;
        op.fields = kIndexFieldSets[random() % std::size(kIndexFieldSets)];
      }
    } else {
      // Keep each thread's documents around a few dozen: enough to update,
      // few enough that every check stays fast.
      const std::size_t n = owned.size();
      const std::uint64_t insert_percent = n < 16 ? 70 : n > 64 ? 10 : 35;
      const std::uint64_t remove_percent = n > 64 ? 45 : 20;
      const auto choice = random() % 100;
      if (n == 0 || choice < insert_percent) {
        op.kind = OpKind::kInsert;
      } else {
        owned_index = static_cast<std::size_t>(random() % n);
        op.target = owned[owned_index];
        op.kind = choice < insert_percent + remove_percent ? OpKind::kRemove : OpKind::kUpdate;
      }
      if (op.kind != OpKind::kRemove) {
        op.document = make_document(random, config_.cycle, number);
        // Pooled values only once the index exists: a recovered prefix
        // that holds such a document holds the index's creation too.
        const bool pooled = unique_ready_.load() && random() % 10 == 0;
        op.document[std::string(kUniqueField)] =
            pooled ? "p" + std::to_string(random() % 8)
                   : "c" + std::to_string(config_.cycle) + "-" + std::to_string(number);
      }
      // A third of updates and removes are conditional; a quarter of those
      // expect a version the document does not have.
      if (op.kind != OpKind::kInsert && random() % 3 == 0) {
        if (versions[owned_index] == 0) {
          if (auto current = store_.get(op.target)) versions[owned_index] = current->version;
        }
        if (versions[owned_index] != 0) {
          stale = random() % 4 == 0;
          op.expected_version = versions[owned_index];
          if (stale) op.expected_version += op.expected_version > 1 && random() % 2 == 0 ? -1 : 1;
        }
      }
    }

    sink_.issued(number, op);
    Status status;
    std::string id;
    std::uint64_t revision = 0;
    switch (op.kind) {
      case OpKind::kInsert: {
        auto written = store_.insert(op.document);
        status = written.status();
        if (written) {
          id = written->id;
          revision = written->revision;
        }
        break;
      }
      case OpKind::kUpdate:
      case OpKind::kRemove: {
        Result<WriteResult> written = Status::invalid_argument("not issued");
        if (op.expected_version == 0) {
          written = op.kind == OpKind::kUpdate ? store_.update(op.target, op.document) : store_.remove(op.target);
        } else {
          written = op.kind == OpKind::kUpdate ? store_.update_if(op.target, op.document, op.expected_version)
                                               : store_.remove_if(op.target, op.expected_version);
        }
        status = written.status();
        if (written) {
          id = op.target;
          revision = written->revision;
          if (op.kind == OpKind::kUpdate) versions[owned_index] = written->version;
        }
        break;
      }
      case OpKind::kCreateIndex:
        status = store_.create_index(op.target, op.fields, IndexOptions{.unique = op.target == kUniqueIndexName});
        break;
      case OpKind::kDropIndex:
        status = store_.drop_index(op.target);
        break;
      case OpKind::kBatch:
        break;  // run_batch's
    }

    if (status.is_ok()) {
      sink_.acknowledged(number, id, revision);
      if (stale) sink_.anomaly(who + "a conditional write at stale version " + std::to_string(op.expected_version) +
                               " of " + op.target + " succeeded");
      if (revision != 0) last_revision = revision;
      switch (op.kind) {
        case OpKind::kInsert:
          owned.push_back(id);
          versions.push_back(1);
          break;
        case OpKind::kRemove:
          forget(owned_index);
          break;
        case OpKind::kUpdate:
          break;
        case OpKind::kCreateIndex:
          indexes.push_back(op.target);
          if (op.target == kUniqueIndexName) unique_ready_.store(true);
          break;
        case OpKind::kDropIndex:
          std::erase(indexes, op.target);
          break;
        case OpKind::kBatch:
          break;
      }
      continue;
    }
    switch (status.code()) {
      case StatusCode::kDocumentNotFound:
        // Only this thread writes the document, and it was there.
        sink_.anomaly(who + std::string(kind_name(op.kind)) + " of " + op.target +
                      ", which it wrote and never removed: " + status.message());
        sink_.rejected(number);
        forget(owned_index);
        break;
      case StatusCode::kVersionConflict: {
        // Only this thread writes the document: a conflict must come from the
        // stale version it chose, and name the version it knows.
        const Conflict* conflict = status.conflict();
        const std::uint64_t known = versions[owned_index];
        if (!stale || conflict == nullptr || conflict->current_version != known) {
          sink_.anomaly(who + "conditional " + std::string(kind_name(op.kind)) + " of " + op.target +
                        " at version " + std::to_string(op.expected_version) + " (known: " + std::to_string(known) +
                        "): " + status.message());
        }
        sink_.rejected(number);
        break;
      }
      case StatusCode::kIndexExists:
      case StatusCode::kIndexNotFound:
        sink_.anomaly(who + std::string(kind_name(op.kind)) + " " + op.target +
                      " contradicts the index writer's own record: " + status.message());
        sink_.rejected(number);
        if (status.code() == StatusCode::kIndexExists) indexes.push_back(op.target);
        if (status.code() == StatusCode::kIndexNotFound) std::erase(indexes, op.target);
        break;
      case StatusCode::kUniqueViolation:
        // A pooled key another document holds: refused, nothing applied.
        if (op.kind != OpKind::kInsert && op.kind != OpKind::kUpdate) {
          sink_.anomaly(who + std::string(kind_name(op.kind)) + " " + op.target + ": " + status.message());
        }
        sink_.rejected(number);
        break;
      case StatusCode::kIOError:
      case StatusCode::kStoreClosed:
        sink_.unknown(number, status.message());
        return;
      default:
        sink_.anomaly(who + std::string(kind_name(op.kind)) + " failed unexpectedly: " + status.message());
        sink_.unknown(number, status.message());
        return;
    }
  }
}

bool CrashWorkload::run_batch(std::mt19937_64& random, std::vector<std::string>& owned,
                              std::vector<std::uint64_t>& versions, std::uint64_t& last_revision) {
  const std::size_t a = static_cast<std::size_t>(random() % owned.size());
  std::size_t b = static_cast<std::size_t>(random() % (owned.size() - 1));
  if (b >= a) ++b;
  if (versions[a] == 0) {
    if (auto current = store_.get(owned[a])) versions[a] = current->version;
    if (versions[a] == 0) return true;  // not readable now: skip the batch
  }
  const std::string who = "batch: ";
  const std::uint64_t number = next_op_++;
  // update_if(a) at its version (a quarter of the time one too high, so the
  // batch must fail whole), then an update or remove of b and an insert.
  // "part" keeps the three documents distinct for the oracle.
  const bool stale = random() % 4 == 0;
  auto part_document = [&](std::int64_t part) {
    Document doc = make_document(random, config_.cycle, number);
    doc["part"] = part;
    return doc;
  };
  WorkloadOp op;
  op.kind = OpKind::kBatch;
  op.batch.push_back(WorkloadOp{OpKind::kUpdate, owned[a], part_document(0), {}, versions[a] + (stale ? 1 : 0), {}});
  const bool remove_b = random() % 2 == 0;
  op.batch.push_back(
      WorkloadOp{remove_b ? OpKind::kRemove : OpKind::kUpdate, owned[b], remove_b ? Document{} : part_document(1), {}, 0, {}});
  op.batch.push_back(WorkloadOp{OpKind::kInsert, {}, part_document(2), {}, 0, {}});

  WriteBatch batch;
  batch.update_if(op.batch[0].target, op.batch[0].document, op.batch[0].expected_version);
  if (remove_b) {
    batch.remove(op.batch[1].target);
  } else {
    batch.update(op.batch[1].target, op.batch[1].document);
  }
  batch.insert(op.batch[2].document);
  sink_.issued(number, op);
  auto written = store_.write(batch);
  if (written) {
    const std::vector<WriteResult>& results = *written;
    sink_.acknowledged(number, results[0].id + "," + results[1].id + "," + results[2].id, results[0].revision);
    if (stale) sink_.anomaly(who + "a batch whose precondition was stale succeeded");
    last_revision = results[2].revision;
    versions[a] = results[0].version;
    if (!remove_b) versions[b] = results[1].version;
    owned.push_back(results[2].id);
    versions.push_back(1);
    if (remove_b) {
      owned[b] = owned.back();
      owned.pop_back();
      versions[b] = versions.back();
      versions.pop_back();
    }
    return true;
  }
  const Status status = written.status();
  if (status.code() == StatusCode::kVersionConflict) {
    const Conflict* conflict = status.conflict();
    if (!stale || conflict == nullptr || conflict->document_id != owned[a] ||
        conflict->current_version != versions[a] || !status.detail().starts_with("precondition 0 of the batch")) {
      sink_.anomaly(who + "a conflict the thread's own versions do not explain: " + status.message());
    }
    sink_.rejected(number);
    return true;
  }
  if (status.code() != StatusCode::kIOError && status.code() != StatusCode::kStoreClosed) {
    sink_.anomaly(who + "failed unexpectedly: " + status.message());
  }
  sink_.unknown(number, status.message());
  return false;  // fail-stop
}

}  // namespace snapstore::fault
