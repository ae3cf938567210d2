// The JSON line encoding of a Change (snapstore/change.h; docs/FORMATS.md,
// "Change events, JSON lines, version 1"). The envelope is written field by
// field so that its order is fixed and readable ("v" first); every value in
// it, the document included, goes through value.h's to_json, and the parser
// reads the whole line with from_json, so binary, NaN and non-UTF-8 strings
// take the one JSON shape the rest of snapstore uses.
#include "snapstore/change.h"

#include <string>
#include <utility>

namespace snapstore {

namespace {

// A Change's document nests one level below the line; index predicates two.
// Documents nest at most 1000 deep (Options::max_nesting_depth).
constexpr std::size_t kMaxLineDepth = 1002;

void append_field(std::string& out, std::string_view name, const std::string& json) {
  out += ",\"";
  out += name;
  out += "\":";
  out += json;
}

void append_uint(std::string& out, std::string_view name, std::uint64_t n) {
  append_field(out, name, std::to_string(n));
}

Status bad(std::string_view what) { return Status::invalid_argument("change line: " + std::string(what)); }

Result<std::uint64_t> uint_field(const Object& line, std::string_view name) {
  auto it = line.find(name);
  if (it == line.end()) return bad("missing field \"" + std::string(name) + "\"");
  const Value& v = it->second;
  if (!(v.is_uint() || (v.is_int() && v.as_int() >= 0))) {
    return bad("field \"" + std::string(name) + "\" must be a non-negative integer, not " + std::string(v.type_name()));
  }
  return v.as_uint();
}

Result<std::string> string_field(const Object& line, std::string_view name) {
  auto it = line.find(name);
  if (it == line.end()) return bad("missing field \"" + std::string(name) + "\"");
  if (!it->second.is_string()) {
    return bad("field \"" + std::string(name) + "\" must be a string, not " + std::string(it->second.type_name()));
  }
  return it->second.as_string();
}

Result<ChangeOp> op_from_name(std::string_view name) {
  for (ChangeOp op : {ChangeOp::kInsert, ChangeOp::kUpdate, ChangeOp::kRemove, ChangeOp::kCreateIndex,
                      ChangeOp::kDropIndex}) {
    if (change_op_name(op) == name) return op;
  }
  return bad("unknown op \"" + std::string(name) + "\"");
}

Status read_index_definition(const Object& line, Change& change) {
  auto fields = line.find("fields");
  if (fields == line.end()) return bad("missing field \"fields\"");
  if (!fields->second.is_array()) return bad("field \"fields\" must be an array of strings");
  for (const Value& f : fields->second.as_array()) {
    if (!f.is_string()) return bad("field \"fields\" must be an array of strings");
    change.fields.push_back(f.as_string());
  }
  if (auto unique = line.find("unique"); unique != line.end()) {
    if (!unique->second.is_bool()) return bad("field \"unique\" must be a bool");
    change.index_options.unique = unique->second.as_bool();
  }
  if (auto where = line.find("where"); where != line.end() && !where->second.is_null()) {
    if (!where->second.is_object()) return bad("field \"where\" must be an object or null");
    const Object& w = where->second.as_object();
    auto field = string_field(w, "field");
    if (!field) return bad("field \"where\": " + field.status().detail());
    IndexPredicate predicate{std::move(*field), std::nullopt};
    // {"field": f, "exists": true} or {"field": f, "equals": v}, as the
    // dump's index definitions write them.
    if (auto equals = w.find("equals"); equals != w.end()) {
      if (equals->second.is_null()) return bad("field \"where.equals\" must not be null");
      predicate.value = equals->second;
    }
    change.index_options.partial = std::move(predicate);
  }
  return Status::ok();
}

}  // namespace

std::string_view change_op_name(ChangeOp op) noexcept {
  switch (op) {
    case ChangeOp::kInsert: return "insert";
    case ChangeOp::kUpdate: return "update";
    case ChangeOp::kRemove: return "remove";
    case ChangeOp::kCreateIndex: return "create_index";
    case ChangeOp::kDropIndex: return "drop_index";
  }
  return "unknown";
}

std::string to_json_line(const Change& change) {
  std::string out = "{\"v\":" + std::to_string(kChangeFormatVersion);
  append_uint(out, "rev", change.revision);
  append_field(out, "op", "\"" + std::string(change_op_name(change.op)) + "\"");
  switch (change.op) {
    case ChangeOp::kInsert:
    case ChangeOp::kUpdate:
    case ChangeOp::kRemove:
      append_field(out, "id", to_json(Value(change.id)));
      append_uint(out, "version", change.version);
      if (change.op != ChangeOp::kRemove) append_field(out, "doc", to_json(Value(change.document)));
      break;
    case ChangeOp::kCreateIndex: {
      append_field(out, "index", to_json(Value(change.index)));
      Array fields(change.fields.begin(), change.fields.end());
      append_field(out, "fields", to_json(Value(std::move(fields))));
      append_field(out, "unique", change.index_options.unique ? "true" : "false");
      if (change.index_options.partial) {
        Object where{{"field", change.index_options.partial->field}};
        if (change.index_options.partial->value) {
          where.emplace("equals", *change.index_options.partial->value);
        } else {
          where.emplace("exists", true);
        }
        append_field(out, "where", to_json(Value(std::move(where))));
      } else {
        append_field(out, "where", "null");
      }
      break;
    }
    case ChangeOp::kDropIndex:
      append_field(out, "index", to_json(Value(change.index)));
      break;
  }
  append_field(out, "batch",
               "[" + std::to_string(change.batch_first_revision) + "," + std::to_string(change.batch_last_revision) + "]");
  out += '}';
  return out;
}

Result<Change> change_from_json_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  auto parsed = from_json(line, kMaxLineDepth);
  if (!parsed) return bad(parsed.status().detail());
  if (!parsed->is_object()) return bad("not a JSON object");
  const Object& obj = parsed->as_object();

  auto version = uint_field(obj, "v");
  if (!version) return version.status();
  if (*version == 0 || *version > kChangeFormatVersion) {
    return bad("format version " + std::to_string(*version) + " is not supported (this reader knows up to " +
               std::to_string(kChangeFormatVersion) + ")");
  }
  Change change;
  auto rev = uint_field(obj, "rev");
  if (!rev) return rev.status();
  if (*rev == 0) return bad("field \"rev\" must be at least 1");
  change.revision = *rev;
  auto op_name = string_field(obj, "op");
  if (!op_name) return op_name.status();
  auto op = op_from_name(*op_name);
  if (!op) return op.status();
  change.op = *op;

  switch (change.op) {
    case ChangeOp::kInsert:
    case ChangeOp::kUpdate:
    case ChangeOp::kRemove: {
      auto id = string_field(obj, "id");
      if (!id) return id.status();
      change.id = std::move(*id);
      auto doc_version = uint_field(obj, "version");
      if (!doc_version) return doc_version.status();
      change.version = *doc_version;
      if (change.op != ChangeOp::kRemove) {
        auto doc = obj.find("doc");
        if (doc == obj.end()) return bad("missing field \"doc\"");
        if (!doc->second.is_object()) return bad("field \"doc\" must be an object");
        change.document = doc->second.as_object();
      }
      break;
    }
    case ChangeOp::kCreateIndex:
    case ChangeOp::kDropIndex: {
      auto index = string_field(obj, "index");
      if (!index) return index.status();
      change.index = std::move(*index);
      if (change.op == ChangeOp::kCreateIndex) {
        if (Status s = read_index_definition(obj, change); !s.is_ok()) return s;
      }
      break;
    }
  }

  auto batch = obj.find("batch");
  if (batch == obj.end()) return bad("missing field \"batch\"");
  const Value& b = batch->second;
  auto is_count = [](const Value& v) { return v.is_uint() || (v.is_int() && v.as_int() >= 0); };
  if (!b.is_array() || b.size() != 2 || !is_count(b.at(0)) || !is_count(b.at(1))) {
    return bad("field \"batch\" must be [first revision, last revision]");
  }
  change.batch_first_revision = b.at(0).as_uint();
  change.batch_last_revision = b.at(1).as_uint();
  if (change.batch_first_revision > change.revision || change.revision > change.batch_last_revision) {
    return bad("field \"batch\" [" + std::to_string(change.batch_first_revision) + "," +
               std::to_string(change.batch_last_revision) + "] does not contain rev " + std::to_string(change.revision));
  }
  return change;
}

}  // namespace snapstore
