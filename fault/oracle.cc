// The crash oracle (see oracle.h).
#include "fault/oracle.h"

#include <algorithm>
#include <deque>
#include <set>

#include "fault/crash_workload.h"
#include "index/key.h"

namespace snapstore::fault {
namespace {

struct DocState {
  Document data;
  std::uint64_t version = 0;
  std::uint64_t revision = 0;
};

std::string describe(const std::optional<DocState>& state) {
  if (!state) return "absent";
  return "version " + std::to_string(state->version) + " revision " + std::to_string(state->revision) + " " +
         to_json(Value(state->data));
}

// The recovered documents, by id.
Result<std::map<std::string, DocState>> read_all(const Store& store) {
  std::map<std::string, DocState> docs;
  auto cursor = store.read();
  if (!cursor) return cursor.status();
  for (;;) {
    auto step = cursor->next();
    if (!step) return step.status();
    if (!step->document) break;
    DocumentResult& doc = *step->document;
    docs.emplace(doc.id, DocState{std::move(doc.data), doc.version, doc.revision});
    if (!step->has_more) break;
  }
  return docs;
}

}  // namespace

History::Ticket History::issue(WorkloadOp op) {
  std::lock_guard lock(mutex_);
  entries_.push_back(Entry{std::move(op), Outcome::kUnknown, {}, 0});
  return entries_.size() - 1;
}

void History::acknowledged(Ticket ticket, std::string id, std::uint64_t revision) {
  std::lock_guard lock(mutex_);
  Entry& entry = entries_.at(ticket);
  entry.outcome = Outcome::kAcknowledged;
  entry.id = std::move(id);
  entry.revision = revision;
}

void History::rejected(Ticket ticket) {
  std::lock_guard lock(mutex_);
  entries_.at(ticket).outcome = Outcome::kRejected;
}

void History::durable_through(std::uint64_t revision) {
  std::lock_guard lock(mutex_);
  durable_revision_ = std::max(durable_revision_, revision);
}

OracleReport History::check(const Store& store) const {
  std::lock_guard lock(mutex_);
  OracleReport report;
  const std::uint64_t recovered = store.revision();
  report.recovered_revision = recovered;
  auto fail = [&](std::string what) { report.violations.push_back(std::move(what)); };

  auto docs = read_all(store);
  if (!docs) {
    fail("cannot read the recovered store: " + docs.status().message());
    return report;
  }
  report.documents = docs->size();

  std::uint64_t durable = durable_revision_;
  for (const Entry& e : entries_) {
    if (e.outcome == Outcome::kAcknowledged) ++report.acknowledged;
    if (e.outcome == Outcome::kUnknown) ++report.unknown;
  }
  if (recovered < durable) {
    fail("the store recovered to revision " + std::to_string(recovered) + " but revision " + std::to_string(durable) +
         " was acknowledged as durable");
  }

  // Each document's operations, in the order its one writer issued them.
  std::map<std::string, std::vector<const Entry*>> by_document;
  std::vector<const Entry*> unknown_inserts;
  std::map<std::string, std::vector<const Entry*>> by_index;
  // A batch's operations become entries of their own: acknowledged ones with
  // the batch's ids and consecutive revisions, the rest as unknown as it is.
  std::deque<Entry> batch_parts;
  std::vector<std::pair<const Entry*, std::vector<const Entry*>>> batches;
  auto classify = [&](const Entry* e) {
    switch (e->op.kind) {
      case OpKind::kInsert:
        if (e->outcome == Outcome::kAcknowledged) {
          by_document[e->id].push_back(e);
        } else {
          unknown_inserts.push_back(e);
        }
        break;
      case OpKind::kUpdate:
      case OpKind::kRemove:
        by_document[e->op.target].push_back(e);
        break;
      case OpKind::kCreateIndex:
      case OpKind::kDropIndex:
        by_index[e->op.target].push_back(e);
        break;
      case OpKind::kBatch:
        break;
    }
  };
  for (const Entry& e : entries_) {
    if (e.outcome == Outcome::kRejected) continue;
    if (e.op.kind != OpKind::kBatch) {
      classify(&e);
      continue;
    }
    std::vector<std::string> ids;
    for (std::size_t start = 0; e.outcome == Outcome::kAcknowledged;) {
      const std::size_t comma = e.id.find(',', start);
      ids.push_back(e.id.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (e.outcome == Outcome::kAcknowledged && ids.size() != e.op.batch.size()) {
      fail("a batch of " + std::to_string(e.op.batch.size()) + " operations was acknowledged with ids " + e.id);
      continue;
    }
    std::vector<const Entry*> parts;
    for (std::size_t i = 0; i < e.op.batch.size(); ++i) {
      Entry part{e.op.batch[i], e.outcome, {}, 0};
      if (e.outcome == Outcome::kAcknowledged) {
        part.id = ids[i];
        part.revision = e.revision + i;
      }
      batch_parts.push_back(std::move(part));
      parts.push_back(&batch_parts.back());
      classify(parts.back());
    }
    batches.emplace_back(&e, std::move(parts));
  }

  auto same = [](const std::optional<DocState>& a, const std::optional<DocState>& b) {
    return a.has_value() == b.has_value() &&
           (!a || (a->data == b->data && a->version == b->version && a->revision == b->revision));
  };
  for (const auto& [id, ops] : by_document) {
    // The state after every acknowledged operation at or below the recovered
    // revision; an unknown operation right after it may also be applied.
    std::optional<DocState> expected;
    std::optional<std::optional<DocState>> candidate;  // revision unknown: checked by range
    for (const Entry* e : ops) {
      const bool applies_to_expected = e->op.kind == OpKind::kInsert || expected.has_value();
      if (e->outcome == Outcome::kAcknowledged && e->revision <= recovered) {
        // Compare-and-set: acknowledged only at the version the document had.
        if (e->op.expected_version != 0 && (!expected || expected->version != e->op.expected_version)) {
          fail("document " + id + ": a conditional " + (e->op.kind == OpKind::kRemove ? "remove" : "update") +
               " expecting version " + std::to_string(e->op.expected_version) + " was acknowledged at revision " +
               std::to_string(e->revision) + " when the document was " + describe(expected));
        }
        if (e->op.kind == OpKind::kRemove) {
          expected.reset();
        } else {
          expected = DocState{e->op.document, e->op.kind == OpKind::kInsert ? 1 : expected->version + 1, e->revision};
        }
        continue;
      }
      if (e->outcome == Outcome::kUnknown && applies_to_expected) {
        if (e->op.kind == OpKind::kRemove) {
          candidate = std::optional<DocState>();
        } else {
          candidate = DocState{e->op.document, e->op.kind == OpKind::kInsert ? 1 : expected->version + 1, 0};
        }
      }
      break;  // later operations have higher revisions, or follow an unknown one
    }
    auto found = docs->find(id);
    const std::optional<DocState> actual = found == docs->end() ? std::nullopt : std::optional<DocState>(found->second);
    bool ok = same(actual, expected);
    if (!ok && candidate) {
      const std::uint64_t after = expected ? expected->revision : 0;
      ok = candidate->has_value() == actual.has_value() &&
           (!actual || (actual->data == (*candidate)->data && actual->version == (*candidate)->version &&
                        actual->revision > after && actual->revision <= recovered));
    }
    if (!ok) {
      fail("document " + id + ": expected " + describe(expected) + " at revision " + std::to_string(recovered) +
           (candidate ? " (or the unacknowledged " + describe(*candidate) + ")" : std::string()) + ", found " +
           describe(actual));
    }
    if (found != docs->end()) docs->erase(found);
  }

  // What is left was written by no acknowledged insert: it must be one of
  // the inserts whose outcome is unknown, never invented.
  std::vector<bool> used(unknown_inserts.size(), false);
  for (const auto& [id, state] : *docs) {
    bool explained = false;
    for (std::size_t i = 0; i < unknown_inserts.size() && !explained; ++i) {
      if (used[i] || unknown_inserts[i]->op.document != state.data) continue;
      explained = state.version == 1 && state.revision <= recovered;
      used[i] = explained;
    }
    if (!explained) fail("document " + id + " (" + describe(state) + ") was never written");
  }

  // Index definitions: each recovered index was created by the workload with
  // these fields; each acknowledged definition still standing is there.
  const std::vector<IndexInfo> indexes = store.indexes();
  std::set<std::string> recovered_names;
  for (const IndexInfo& info : indexes) recovered_names.insert(info.name);
  for (const auto& [name, ops] : by_index) {
    // Decided by the last operation, when it was acknowledged as durable.
    bool decided = false;
    bool must_exist = false;
    std::vector<std::vector<std::string>> allowed_fields;
    for (const Entry* e : ops) {
      const bool create = e->op.kind == OpKind::kCreateIndex;
      if (create) allowed_fields.push_back(e->op.fields);
      decided = e->outcome == Outcome::kAcknowledged && e->revision != 0 && e->revision <= durable;
      must_exist = create;
    }
    const bool exists = recovered_names.count(name) > 0;
    if (decided && must_exist != exists) {
      fail("index " + name + (exists ? " exists but its drop" : " is missing but its creation") +
           " was acknowledged as durable");
    }
    if (exists) {
      const auto info =
          std::find_if(indexes.begin(), indexes.end(), [&](const IndexInfo& i) { return i.name == name; });
      if (std::find(allowed_fields.begin(), allowed_fields.end(), info->fields) == allowed_fields.end()) {
        fail("index " + name + " has fields the workload never gave it");
      }
    }
  }
  for (const IndexInfo& info : indexes) {
    if (by_index.count(info.name) == 0) fail("index " + info.name + " was never created");
  }

  // Every index equals one rebuilt from the recovered documents, in order.
  auto all = read_all(store);
  if (!all) return report;

  // No batch is visible in part. An acknowledged one has consecutive
  // revisions: the store cannot have recovered to one inside it. One of
  // unknown outcome shows its inserts and updates (their data is unique)
  // all or none, and its removes with them (a remove alone cannot be told
  // from a document an earlier lost write never created).
  for (const auto& [batch, parts] : batches) {
    const std::uint64_t last = batch->revision + parts.size() - 1;
    if (batch->outcome == Outcome::kAcknowledged) {
      if (batch->revision <= recovered && recovered < last) {
        fail("the store recovered to revision " + std::to_string(recovered) + ", inside the batch of revisions " +
             std::to_string(batch->revision) + ".." + std::to_string(last));
      }
      continue;
    }
    std::size_t written = 0;
    std::size_t seen = 0;
    bool removes_applied = true;
    for (const Entry* part : parts) {
      if (part->op.kind == OpKind::kRemove) {
        removes_applied = removes_applied && all->count(part->op.target) == 0;
        continue;
      }
      ++written;
      if (part->op.kind == OpKind::kUpdate) {
        const auto found = all->find(part->op.target);
        seen += found != all->end() && found->second.data == part->op.document ? 1 : 0;
      } else {
        seen += std::any_of(all->begin(), all->end(),
                            [&](const auto& doc) { return doc.second.data == part->op.document; })
                    ? 1
                    : 0;
      }
    }
    if (seen != 0 && (seen != written || !removes_applied)) {
      fail("a batch of unknown outcome is visible in part: " + std::to_string(seen) + " of its " +
           std::to_string(written) + " inserts and updates" + (removes_applied ? "" : ", and not its removes"));
    }
  }
  for (const IndexInfo& info : indexes) {
    const auto paths = index::parse_field_paths(info.fields);
    std::vector<std::pair<index::Key, std::string>> rebuilt;
    for (const auto& [id, state] : *all) {
      if (auto key = index::extract_key(state.data, paths)) rebuilt.emplace_back(std::move(*key), id);
    }
    std::sort(rebuilt.begin(), rebuilt.end(), [](const auto& a, const auto& b) {
      const int c = index::compare_keys(a.first, b.first);
      return c != 0 ? c < 0 : a.second < b.second;
    });
    std::vector<std::string> listed;
    auto cursor = store.read_index(info.name);
    if (!cursor) {
      fail("index " + info.name + ": " + cursor.status().message());
      continue;
    }
    for (;;) {
      auto step = cursor->next();
      if (!step) {
        fail("index " + info.name + ": " + step.status().message());
        break;
      }
      if (!step->document) break;
      listed.push_back(step->document->id);
      if (!step->has_more) break;
    }
    if (info.name == kUniqueIndexName) {
      if (!info.options.unique) fail("index " + info.name + " came back without its unique option");
      for (std::size_t i = 1; i < rebuilt.size(); ++i) {
        if (index::compare_keys(rebuilt[i - 1].first, rebuilt[i].first) == 0) {
          fail("unique index " + info.name + ": documents " + rebuilt[i - 1].second + " and " + rebuilt[i].second +
               " share the key " + to_json(Value(Array(rebuilt[i].first.begin(), rebuilt[i].first.end()))));
          break;
        }
      }
    }
    std::vector<std::string> expected_ids;
    for (const auto& entry : rebuilt) expected_ids.push_back(entry.second);
    if (listed != expected_ids || info.entries != expected_ids.size()) {
      fail("index " + info.name + " lists " + std::to_string(listed.size()) + " documents (" +
           std::to_string(info.entries) + " entries) but a rebuild from the documents gives " +
           std::to_string(expected_ids.size()) + (listed.size() == expected_ids.size() ? " in another order" : ""));
    }
  }
  return report;
}

}  // namespace snapstore::fault
