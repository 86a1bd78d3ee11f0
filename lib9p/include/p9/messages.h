// One struct per 9P message: its type number and its fields in wire order. The same field
// list drives encoding and decoding (codec.h), so the two cannot disagree, and the compiler
// checks every field's type. Dialect differences are spelled out where they occur.
#pragma once
#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>
#include "p9/protocol.h"

namespace p9 {

// Payload bytes (Twrite, Rread, Rreaddir): a view. Encoding reads from it; decoding points it
// into the message buffer, so it is valid as long as that buffer is.
struct Data {
  std::span<const std::byte> bytes;
  bool operator==(const Data& o) const {
    return bytes.size() == o.bytes.size() && std::equal(bytes.begin(), bytes.end(), o.bytes.begin());
  }
};

// stat[n] in Rstat/Twstat: the stat record behind its own extra size[2].
struct WireStat {
  Stat stat;
  bool operator==(const WireStat&) const = default;
};

// Laid out by hand: a message a line or two, its fields in wire order.
// clang-format off
#define P9_MESSAGE(Name) \
  static constexpr Type kType = Type::Name; \
  static constexpr const char* kName = #Name; \
  bool operator==(const Name&) const = default


// ---- 9P2000 (and the common core of .u and .L) --------------------------------------------
struct Tversion { uint32_t msize = 0; std::string version;
  template <class F> void fields(F& f) { f(msize); f(version); } P9_MESSAGE(Tversion); };
struct Rversion { uint32_t msize = 0; std::string version;
  template <class F> void fields(F& f) { f(msize); f(version); } P9_MESSAGE(Rversion); };
struct Tauth { uint32_t afid = 0; std::string uname, aname; uint32_t n_uname = NONUNAME;
  template <class F> void fields(F& f) { f(afid); f(uname); f(aname); if (f.dialect() != Dialect::k9P2000) f(n_uname); }
  P9_MESSAGE(Tauth); };
struct Rauth { Qid aqid;
  template <class F> void fields(F& f) { f(aqid); } P9_MESSAGE(Rauth); };
struct Tattach { uint32_t fid = 0, afid = NOFID; std::string uname, aname; uint32_t n_uname = NONUNAME;
  template <class F> void fields(F& f) { f(fid); f(afid); f(uname); f(aname); if (f.dialect() != Dialect::k9P2000) f(n_uname); }
  P9_MESSAGE(Tattach); };
struct Rattach { Qid qid;
  template <class F> void fields(F& f) { f(qid); } P9_MESSAGE(Rattach); };
// Rerror: 9P2000 carries the message; .u adds errno[4]. (.L uses Rlerror.)
struct Rerror { std::string ename; uint32_t errnum = 0;
  template <class F> void fields(F& f) { f(ename); if (f.dialect() == Dialect::k9P2000u) f(errnum); }
  P9_MESSAGE(Rerror); };
struct Tflush { uint16_t oldtag = 0;
  template <class F> void fields(F& f) { f(oldtag); } P9_MESSAGE(Tflush); };
struct Rflush { template <class F> void fields(F&) {} P9_MESSAGE(Rflush); };
struct Twalk { uint32_t fid = 0, newfid = 0; std::vector<std::string> wnames;
  template <class F> void fields(F& f) { f(fid); f(newfid); f(wnames); } P9_MESSAGE(Twalk); };
struct Rwalk { std::vector<Qid> wqids;
  template <class F> void fields(F& f) { f(wqids); } P9_MESSAGE(Rwalk); };
struct Topen { uint32_t fid = 0; uint8_t mode = 0;
  template <class F> void fields(F& f) { f(fid); f(mode); } P9_MESSAGE(Topen); };
struct Ropen { Qid qid; uint32_t iounit = 0;
  template <class F> void fields(F& f) { f(qid); f(iounit); } P9_MESSAGE(Ropen); };
struct Tcreate { uint32_t fid = 0; std::string name; uint32_t perm = 0; uint8_t mode = 0; std::string extension;
  template <class F> void fields(F& f) { f(fid); f(name); f(perm); f(mode); if (f.dialect() == Dialect::k9P2000u) f(extension); }
  P9_MESSAGE(Tcreate); };
struct Rcreate { Qid qid; uint32_t iounit = 0;
  template <class F> void fields(F& f) { f(qid); f(iounit); } P9_MESSAGE(Rcreate); };
struct Tread { uint32_t fid = 0; uint64_t offset = 0; uint32_t count = 0;
  template <class F> void fields(F& f) { f(fid); f(offset); f(count); } P9_MESSAGE(Tread); };
struct Rread { Data data;
  template <class F> void fields(F& f) { f(data); } P9_MESSAGE(Rread); };
struct Twrite { uint32_t fid = 0; uint64_t offset = 0; Data data;
  template <class F> void fields(F& f) { f(fid); f(offset); f(data); } P9_MESSAGE(Twrite); };
struct Rwrite { uint32_t count = 0;
  template <class F> void fields(F& f) { f(count); } P9_MESSAGE(Rwrite); };
struct Tclunk { uint32_t fid = 0;
  template <class F> void fields(F& f) { f(fid); } P9_MESSAGE(Tclunk); };
struct Rclunk { template <class F> void fields(F&) {} P9_MESSAGE(Rclunk); };
struct Tremove { uint32_t fid = 0;
  template <class F> void fields(F& f) { f(fid); } P9_MESSAGE(Tremove); };
struct Rremove { template <class F> void fields(F&) {} P9_MESSAGE(Rremove); };
struct Tstat { uint32_t fid = 0;
  template <class F> void fields(F& f) { f(fid); } P9_MESSAGE(Tstat); };
struct Rstat { WireStat stat;
  template <class F> void fields(F& f) { f(stat); } P9_MESSAGE(Rstat); };
struct Twstat { uint32_t fid = 0; WireStat stat;
  template <class F> void fields(F& f) { f(fid); f(stat); } P9_MESSAGE(Twstat); };
struct Rwstat { template <class F> void fields(F&) {} P9_MESSAGE(Rwstat); };

// ---- 9P2000.L ---------------------------------------------------------------------------
struct Rlerror { uint32_t ecode = 0;
  template <class F> void fields(F& f) { f(ecode); } P9_MESSAGE(Rlerror); };
struct Tstatfs { uint32_t fid = 0;
  template <class F> void fields(F& f) { f(fid); } P9_MESSAGE(Tstatfs); };
struct Rstatfs { StatFs statfs;
  template <class F> void fields(F& f) { f(statfs.type); f(statfs.bsize); f(statfs.blocks); f(statfs.bfree);
    f(statfs.bavail); f(statfs.files); f(statfs.ffree); f(statfs.fsid); f(statfs.namelen); }
  P9_MESSAGE(Rstatfs); };
struct Tlopen { uint32_t fid = 0, flags = 0;
  template <class F> void fields(F& f) { f(fid); f(flags); } P9_MESSAGE(Tlopen); };
struct Rlopen { Qid qid; uint32_t iounit = 0;
  template <class F> void fields(F& f) { f(qid); f(iounit); } P9_MESSAGE(Rlopen); };
struct Tlcreate { uint32_t fid = 0; std::string name; uint32_t flags = 0, mode = 0, gid = 0;
  template <class F> void fields(F& f) { f(fid); f(name); f(flags); f(mode); f(gid); } P9_MESSAGE(Tlcreate); };
struct Rlcreate { Qid qid; uint32_t iounit = 0;
  template <class F> void fields(F& f) { f(qid); f(iounit); } P9_MESSAGE(Rlcreate); };
struct Tsymlink { uint32_t fid = 0; std::string name, symtgt; uint32_t gid = 0;
  template <class F> void fields(F& f) { f(fid); f(name); f(symtgt); f(gid); } P9_MESSAGE(Tsymlink); };
struct Rsymlink { Qid qid;
  template <class F> void fields(F& f) { f(qid); } P9_MESSAGE(Rsymlink); };
struct Tmknod { uint32_t dfid = 0; std::string name; uint32_t mode = 0, major = 0, minor = 0, gid = 0;
  template <class F> void fields(F& f) { f(dfid); f(name); f(mode); f(major); f(minor); f(gid); } P9_MESSAGE(Tmknod); };
struct Rmknod { Qid qid;
  template <class F> void fields(F& f) { f(qid); } P9_MESSAGE(Rmknod); };
struct Trename { uint32_t fid = 0, dfid = 0; std::string name;
  template <class F> void fields(F& f) { f(fid); f(dfid); f(name); } P9_MESSAGE(Trename); };
struct Rrename { template <class F> void fields(F&) {} P9_MESSAGE(Rrename); };
struct Treadlink { uint32_t fid = 0;
  template <class F> void fields(F& f) { f(fid); } P9_MESSAGE(Treadlink); };
struct Rreadlink { std::string target;
  template <class F> void fields(F& f) { f(target); } P9_MESSAGE(Rreadlink); };
struct Tgetattr { uint32_t fid = 0; uint64_t request_mask = P9_GETATTR_BASIC;
  template <class F> void fields(F& f) { f(fid); f(request_mask); } P9_MESSAGE(Tgetattr); };
struct Rgetattr { Attr attr;
  template <class F> void fields(F& f) { f(attr.valid); f(attr.qid); f(attr.mode); f(attr.uid); f(attr.gid);
    f(attr.nlink); f(attr.rdev); f(attr.size); f(attr.blksize); f(attr.blocks);
    f(attr.atime_sec); f(attr.atime_nsec); f(attr.mtime_sec); f(attr.mtime_nsec);
    f(attr.ctime_sec); f(attr.ctime_nsec); f(attr.btime_sec); f(attr.btime_nsec);
    f(attr.gen); f(attr.data_version); }
  P9_MESSAGE(Rgetattr); };
struct Tsetattr { uint32_t fid = 0; SetAttr attr;
  template <class F> void fields(F& f) { f(fid); f(attr.valid); f(attr.mode); f(attr.uid); f(attr.gid);
    f(attr.size); f(attr.atime_sec); f(attr.atime_nsec); f(attr.mtime_sec); f(attr.mtime_nsec); }
  P9_MESSAGE(Tsetattr); };
struct Rsetattr { template <class F> void fields(F&) {} P9_MESSAGE(Rsetattr); };
struct Txattrwalk { uint32_t fid = 0, newfid = 0; std::string name;
  template <class F> void fields(F& f) { f(fid); f(newfid); f(name); } P9_MESSAGE(Txattrwalk); };
struct Rxattrwalk { uint64_t size = 0;
  template <class F> void fields(F& f) { f(size); } P9_MESSAGE(Rxattrwalk); };
struct Txattrcreate { uint32_t fid = 0; std::string name; uint64_t attr_size = 0; uint32_t flags = 0;
  template <class F> void fields(F& f) { f(fid); f(name); f(attr_size); f(flags); } P9_MESSAGE(Txattrcreate); };
struct Rxattrcreate { template <class F> void fields(F&) {} P9_MESSAGE(Rxattrcreate); };
struct Treaddir { uint32_t fid = 0; uint64_t offset = 0; uint32_t count = 0;
  template <class F> void fields(F& f) { f(fid); f(offset); f(count); } P9_MESSAGE(Treaddir); };
// Rreaddir's data is a run of DirEntry records: decode them with decode_dir_entries().
struct Rreaddir { Data data;
  template <class F> void fields(F& f) { f(data); } P9_MESSAGE(Rreaddir); };
struct Tfsync { uint32_t fid = 0, datasync = 0;
  template <class F> void fields(F& f) { f(fid); f(datasync); } P9_MESSAGE(Tfsync); };
struct Rfsync { template <class F> void fields(F&) {} P9_MESSAGE(Rfsync); };
struct Tlock { uint32_t fid = 0; Lock lock;
  template <class F> void fields(F& f) { f(fid); f(lock.type); f(lock.flags); f(lock.start); f(lock.length);
    f(lock.proc_id); f(lock.client_id); }
  P9_MESSAGE(Tlock); };
struct Rlock { uint8_t status = 0;
  template <class F> void fields(F& f) { f(status); } P9_MESSAGE(Rlock); };
struct Tgetlock { uint32_t fid = 0; Lock lock;
  template <class F> void fields(F& f) { f(fid); f(lock.type); f(lock.start); f(lock.length);
    f(lock.proc_id); f(lock.client_id); }
  P9_MESSAGE(Tgetlock); };
struct Rgetlock { Lock lock;
  template <class F> void fields(F& f) { f(lock.type); f(lock.start); f(lock.length); f(lock.proc_id);
    f(lock.client_id); }
  P9_MESSAGE(Rgetlock); };
struct Tlink { uint32_t dfid = 0, fid = 0; std::string name;
  template <class F> void fields(F& f) { f(dfid); f(fid); f(name); } P9_MESSAGE(Tlink); };
struct Rlink { template <class F> void fields(F&) {} P9_MESSAGE(Rlink); };
struct Tmkdir { uint32_t dfid = 0; std::string name; uint32_t mode = 0, gid = 0;
  template <class F> void fields(F& f) { f(dfid); f(name); f(mode); f(gid); } P9_MESSAGE(Tmkdir); };
struct Rmkdir { Qid qid;
  template <class F> void fields(F& f) { f(qid); } P9_MESSAGE(Rmkdir); };
struct Trenameat { uint32_t olddirfid = 0; std::string oldname; uint32_t newdirfid = 0; std::string newname;
  template <class F> void fields(F& f) { f(olddirfid); f(oldname); f(newdirfid); f(newname); } P9_MESSAGE(Trenameat); };
struct Rrenameat { template <class F> void fields(F&) {} P9_MESSAGE(Rrenameat); };
struct Tunlinkat { uint32_t dirfd = 0; std::string name; uint32_t flags = 0;
  template <class F> void fields(F& f) { f(dirfd); f(name); f(flags); } P9_MESSAGE(Tunlinkat); };
struct Runlinkat { template <class F> void fields(F&) {} P9_MESSAGE(Runlinkat); };

#undef P9_MESSAGE

// Every message type, for code that must cover them all (tests, the fuzz target).
#define P9_FOR_EACH_MESSAGE(X) \
  X(Tversion) X(Rversion) X(Tauth) X(Rauth) X(Tattach) X(Rattach) X(Rerror) X(Tflush) X(Rflush) \
  X(Twalk) X(Rwalk) X(Topen) X(Ropen) X(Tcreate) X(Rcreate) X(Tread) X(Rread) X(Twrite) X(Rwrite) \
  X(Tclunk) X(Rclunk) X(Tremove) X(Rremove) X(Tstat) X(Rstat) X(Twstat) X(Rwstat) \
  X(Rlerror) X(Tstatfs) X(Rstatfs) X(Tlopen) X(Rlopen) X(Tlcreate) X(Rlcreate) X(Tsymlink) \
  X(Rsymlink) X(Tmknod) X(Rmknod) X(Trename) X(Rrename) X(Treadlink) X(Rreadlink) X(Tgetattr) \
  X(Rgetattr) X(Tsetattr) X(Rsetattr) X(Txattrwalk) X(Rxattrwalk) X(Txattrcreate) X(Rxattrcreate) \
  X(Treaddir) X(Rreaddir) X(Tfsync) X(Rfsync) X(Tlock) X(Rlock) X(Tgetlock) X(Rgetlock) X(Tlink) \
  X(Rlink) X(Tmkdir) X(Rmkdir) X(Trenameat) X(Rrenameat) X(Tunlinkat) X(Runlinkat)
// clang-format on

}  // namespace p9
