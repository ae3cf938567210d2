// Kill points: named steps of every write path (WAL append, sync, segment
// roll, mirror apply, checkpoint, WAL retirement, recovery) at which a test
// can stop the process — or cut the power of a fault-injecting Env — to prove
// that a crash exactly there loses nothing acknowledged (FAULTS.md F9–F11).
//
// SNAPSTORE_KILL_POINT(name) compiles to nothing unless the build defines
// SNAPSTORE_KILL_POINTS (CMake option of the same name; the CI test builds
// turn it on, the default build leaves it off). When compiled in, an unarmed
// point costs one relaxed atomic load.
//
// Thread safety: the handler may be set from any thread and is called on the
// thread that reaches the point; at most one handler is installed.
#pragma once

#include <array>
#include <functional>
#include <string_view>

namespace snapstore::base {

// Every point, in the order a write meets them. Tests walk this list, and
// reach_kill_point() refuses names that are not in it.
inline constexpr std::array<std::string_view, 18> kKillPoints = {
    "wal.append.before_write",    // a group is framed, nothing written
    "wal.append.after_write",     // written, not yet synced
    "wal.append.after_sync",      // synced, not yet acknowledged
    "wal.roll.before_create",     // the old segment is synced and closed
    "wal.roll.after_create",      // the new file exists, its header is not written
    "wal.roll.after_header",      // header written and synced, directory not synced
    "mirror.apply.before_write",  // a RocksDB WriteBatch is built, not written
    "mirror.apply.after_write",   // written to the memtable (RocksDB WAL off)
    "checkpoint.before_flush",    // the applier is drained
    "checkpoint.after_flush",     // RocksDB flushed atomically, no segment removed
    "retire.before_remove",       // segments chosen for removal
    "retire.after_remove",        // one segment removed, directory not synced
    "retire.after_dir_sync",      // removals durable
    "recovery.after_load",        // RocksDB loaded, WAL not read
    "recovery.before_truncate",   // a torn tail found, not yet cut
    "recovery.after_truncate",    // torn tail cut and synced
    "recovery.before_writer",     // replay done, no new segment yet
    "recovery.after_open",        // the store is open
};

// Called with the point's name; it may terminate the process, throw nothing,
// or return (the write path then continues).
using KillPointHandler = std::function<void(std::string_view point)>;

// Installs `handler` (an empty function removes it).
void set_kill_point_handler(KillPointHandler handler);

// Runs the handler, if any. Aborts on a name missing from kKillPoints, so a
// misspelt point cannot silently never fire.
void reach_kill_point(std::string_view point);

}  // namespace snapstore::base

#ifdef SNAPSTORE_KILL_POINTS
#define SNAPSTORE_KILL_POINT(point) ::snapstore::base::reach_kill_point(point)
#else
#define SNAPSTORE_KILL_POINT(point) ((void)0)
#endif
