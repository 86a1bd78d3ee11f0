// iohost's export security models (none, passthrough, mapped) on the tree itself: who owns
// what a client makes, as whom permission is checked, what the mapped record holds, and
// chmod/chown/utimes of FIFOs and sockets. The tree is called directly, as the Session would,
// so each check names the exact uid and gid a client sent. Runs as root (CI does): the
// passthrough checks need other users' credentials; as another user they say they skipped.
#include "trees/export_tree.h"
#include "trees/mapped_attr.h"
#include "loopback_server.h"
#include "temp_dir.h"
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/fsuid.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

using iohost::ExportOptions;
using iohost::MappedAttr;
using iohost::SecurityModel;
using p9test::TempDir;

namespace {

constexpr uint32_t kNobody = 65534, kOther = 4242;
constexpr uint32_t kFileMode = 0100000, kTypeMask = 0170000;

// An export of a fresh folder (mode 0777, so that any user may make files in it).
struct Export {
  TempDir dir;
  std::shared_ptr<iohost::ExportTree> tree;
  explicit Export(ExportOptions options) {
    ::chmod(dir.path.c_str(), 0777);
    auto t = iohost::ExportTree::open(dir.path, options);
    EXPECT_TRUE(t) << t.error().message;
    if (t) tree = *t;
  }
  // The root as a client naming uid `uid` sees it (Linux's v9fs sends n_uname).
  std::shared_ptr<p9::Node> attach(uint32_t uid) {
    p9::Caller caller{"test", "", uid, std::make_shared<p9::Budget>(1024)};
    auto root = tree->attach(caller);
    EXPECT_TRUE(root) << root.error().message;
    return root ? *root : nullptr;
  }
  struct stat host(const std::string& rel) const {
    struct stat st {};
    EXPECT_EQ(::lstat((dir.path + "/" + rel).c_str(), &st), 0) << rel;
    return st;
  }
  std::string record(const std::string& rel) const {
    char buffer[128];
    ssize_t n = ::lgetxattr((dir.path + "/" + rel).c_str(), iohost::kMappedAttrName, buffer, sizeof buffer);
    return n < 0 ? "<none>" : std::string(buffer, size_t(n));
  }
};

ExportOptions model(SecurityModel m) {
  ExportOptions o;
  o.model = m;
  return o;
}

bool root() {
  if (::geteuid() == 0) return true;
  return false;
}

p9::SetAttr chmod_to(uint32_t mode) { return p9::SetAttr{.valid = p9::P9_SETATTR_MODE, .mode = mode}; }

}  // namespace

// ---- the --export option -----------------------------------------------------------------

TEST(ExportSpec, ModelsAndOptionsParse) {
  auto s = iohost::parse_export("ro:data=/srv/x,security_model=mapped");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->name, "data");
  EXPECT_EQ(s->dir, "/srv/x");
  EXPECT_TRUE(s->options.read_only);
  EXPECT_EQ(s->options.model, SecurityModel::mapped);
  s = iohost::parse_export("g=/srv/g,uid=1000,gid=100");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->options.model, SecurityModel::none);
  EXPECT_EQ(*s->options.uid, 1000u);
  EXPECT_EQ(*s->options.gid, 100u);
  s = iohost::parse_export("p=/srv/p,security_model=passthrough,device_nodes");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(s->options.device_nodes);
  EXPECT_EQ(iohost::parse_export("plain=/a/b")->options.model, SecurityModel::none);
}

TEST(ExportSpec, BadOptionsAreRefusedWithTheirName) {
  for (const char* bad : {"d=/x,security_model=squash", "d=/x,uid=-1", "d=/x,uid=1x", "d=/x,uid=4294967295",
                          "d=/x,security_model=mapped,uid=5", "d=/x,device_nodes", "d=/x,", "d=,uid=1", "=/x",
                          "d", "d,uid=1=/x"}) {
    auto s = iohost::parse_export(bad);
    EXPECT_FALSE(s) << bad;
    if (!s) {
      EXPECT_EQ(s.error().code, EINVAL) << bad;
    }
  }
  auto s = iohost::parse_export("d=/x,colour=blue");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("colour=blue"), std::string::npos) << s.error().message;
}

// ---- none ----------------------------------------------------------------------------------

TEST(ExportNone, FilesBelongToIohostAndSetUidBitsAreStripped) {
  Export e(model(SecurityModel::none));
  auto r = e.attach(kNobody);
  auto made = r->create("f", O_RDWR, 04755, kOther);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(e.host("f").st_uid, ::geteuid());
  EXPECT_EQ(e.host("f").st_mode & 07777, 0755u);
  ASSERT_TRUE(made->node->setattr(chmod_to(06711)));
  EXPECT_EQ(e.host("f").st_mode & 07777, 0711u);
  auto dev = r->mknod("tty", 0020666, 4, 1, 0);
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error().code, EPERM);
}

TEST(ExportNone, AFifoAndASocketTakeChmodChownAndTimesWithoutBeingOpened) {
  Export e(model(SecurityModel::none));
  auto r = e.attach(0);
  for (uint32_t type : {0010000u, 0140000u}) {
    std::string name = type == 0010000u ? "fifo" : "sock";
    auto node = r->mknod(name, type | 0644, 0, 0, 0);
    ASSERT_TRUE(node) << node.error().message;
    auto changed = (*node)->setattr(chmod_to(0600));
    ASSERT_TRUE(changed) << name << ": " << changed.error().message;
    EXPECT_EQ(e.host(name).st_mode & 07777, 0600u) << name;
    if (root()) {
      ASSERT_TRUE((*node)->setattr(
          p9::SetAttr{.valid = p9::P9_SETATTR_UID | p9::P9_SETATTR_GID, .uid = kOther, .gid = kOther}));
      EXPECT_EQ(e.host(name).st_uid, kOther);
      EXPECT_EQ(e.host(name).st_gid, kOther);
    }
    p9::SetAttr times{.valid = p9::P9_SETATTR_MTIME | p9::P9_SETATTR_MTIME_SET, .mtime_sec = 1'000'000'000};
    ASSERT_TRUE((*node)->setattr(times));
    EXPECT_EQ(e.host(name).st_mtim.tv_sec, 1'000'000'000);
  }
}

TEST(ExportNone, ASquashedExportActsAsItsUser) {
  if (!root()) GTEST_SKIP() << "needs root";
  ExportOptions o;
  o.uid = kNobody;
  o.gid = kOther;
  Export e(o);
  e.dir.write("secret", "root only");
  ::chmod((e.dir.path + "/secret").c_str(), 0600);
  auto r = e.attach(0);  // whoever the client says it is
  ASSERT_TRUE(r->create("made", O_RDWR, 0644, 0));
  EXPECT_EQ(e.host("made").st_uid, kNobody);
  EXPECT_EQ(e.host("made").st_gid, kOther);
  auto secret = r->walk("secret");
  ASSERT_TRUE(secret);
  auto opened = (*secret)->open(O_RDONLY);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, EACCES);
}

// ---- passthrough ---------------------------------------------------------------------------

TEST(ExportPassthrough, WhatAClientMakesIsItsOwnWithTheGroupItNames) {
  if (!root()) GTEST_SKIP() << "needs root";
  Export e(model(SecurityModel::passthrough));
  auto r = e.attach(kNobody);
  ASSERT_TRUE(r->create("f", O_RDWR, 0640, kOther));  // the group a client's kernel chose
  EXPECT_EQ(e.host("f").st_uid, kNobody);
  EXPECT_EQ(e.host("f").st_gid, kOther);
  EXPECT_EQ(e.host("f").st_mode & 07777, 0640u);
  ASSERT_TRUE(r->mkdir("d", 0750, kOther));
  EXPECT_EQ(e.host("d").st_uid, kNobody);
  ASSERT_TRUE(r->symlink("l", "f", kOther));
  EXPECT_EQ(e.host("l").st_uid, kNobody);
  ASSERT_TRUE(r->mknod("p", 0010600, 0, 0, kOther));
  EXPECT_EQ(e.host("p").st_uid, kNobody);
  // Its own set-uid bit is real here (a trusted client), and iohost's thread is root again.
  auto f = r->walk("f");
  ASSERT_TRUE((*f)->setattr(chmod_to(04750)));
  EXPECT_EQ(e.host("f").st_mode & 07777, 04750u);
  EXPECT_EQ(::setfsuid(uid_t(-1)), 0);
}

TEST(ExportPassthrough, PermissionIsCheckedAsTheClientsUser) {
  if (!root()) GTEST_SKIP() << "needs root";
  Export e(model(SecurityModel::passthrough));
  e.dir.write("secret", "root only");
  ::chmod((e.dir.path + "/secret").c_str(), 0600);
  ::mkdir((e.dir.path + "/closed").c_str(), 0755);
  auto nobody = e.attach(kNobody);
  auto secret = nobody->walk("secret");
  ASSERT_TRUE(secret);
  auto opened = (*secret)->open(O_RDONLY);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, EACCES);
  auto closed = nobody->walk("closed");
  auto inside = (*closed)->create("x", O_RDWR, 0644, kNobody);
  ASSERT_FALSE(inside);
  EXPECT_EQ(inside.error().code, EACCES);
  auto chown = (*secret)->setattr(p9::SetAttr{.valid = p9::P9_SETATTR_UID, .uid = kNobody});
  ASSERT_FALSE(chown);
  EXPECT_EQ(chown.error().code, EPERM);
  auto removed = nobody->unlink("secret", false);
  EXPECT_TRUE(removed) << "the folder is 0777: nobody may remove a name in it";
  // Root, through the same tree, may do what nobody may not.
  auto r = e.attach(0);
  auto in_closed = (*r->walk("closed"))->create("x", O_RDWR, 0644, 0);
  EXPECT_TRUE(in_closed) << in_closed.error().message;
}

TEST(ExportPassthrough, DeviceNodesOnlyWhereAllowedAndOnlyForRoot) {
  if (!root()) GTEST_SKIP() << "needs root";
  Export refused(model(SecurityModel::passthrough));
  auto node = refused.attach(0)->mknod("null", 0020666, 1, 3, 0);
  ASSERT_FALSE(node);
  EXPECT_EQ(node.error().code, EPERM);
  ExportOptions allow = model(SecurityModel::passthrough);
  allow.device_nodes = true;
  Export allowed(allow);
  ASSERT_TRUE(allowed.attach(0)->mknod("null", 0020666, 1, 3, 0));
  EXPECT_TRUE(S_ISCHR(allowed.host("null").st_mode));
  EXPECT_EQ(allowed.host("null").st_rdev, makedev(1, 3));
  auto by_nobody = allowed.attach(kNobody)->mknod("null2", 0020666, 1, 3, kNobody);
  ASSERT_FALSE(by_nobody);
  EXPECT_EQ(by_nobody.error().code, EPERM);
}

// ---- mapped --------------------------------------------------------------------------------

TEST(ExportMapped, TheClientsOwnerModeAndTypeLiveInTheRecord) {
  Export e(model(SecurityModel::mapped));
  auto r = e.attach(kOther);
  auto made = r->create("f", O_RDWR, 04755, 99);
  ASSERT_TRUE(made) << made.error().message;
  // On the host: iohost's file, 0600; the client's view in the record.
  EXPECT_EQ(e.host("f").st_uid, ::geteuid());
  EXPECT_EQ(e.host("f").st_mode & 07777, 0600u);
  EXPECT_EQ(e.record("f"), "1 4242 99 " + std::to_string(kFileMode | 04755) + " 0");
  auto a = made->node->getattr();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->uid, kOther);
  EXPECT_EQ(a->gid, 99u);
  EXPECT_EQ(a->mode, kFileMode | 04755);
  // chmod and chown change the record only; uid 0 is root inside the record, nowhere else.
  ASSERT_TRUE(made->node->setattr(chmod_to(0640)));
  ASSERT_TRUE(made->node->setattr(p9::SetAttr{.valid = p9::P9_SETATTR_UID | p9::P9_SETATTR_GID}));
  EXPECT_EQ(e.record("f"), "1 0 0 " + std::to_string(kFileMode | 0640) + " 0");
  EXPECT_EQ(e.host("f").st_mode & 07777, 0600u);
  EXPECT_EQ(e.host("f").st_uid, ::geteuid());
  // A directory: 0700 on the host.
  auto d = r->mkdir("d", 0755, 99);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(e.host("d").st_mode & 07777, 0700u);
  EXPECT_EQ((*d)->getattr()->mode, 0040755u);
  EXPECT_EQ((*d)->qid().type, p9::QTDIR);
}

TEST(ExportMapped, SpecialFilesAndLinksArePlainHostFiles) {
  Export e(model(SecurityModel::mapped));
  auto r = e.attach(0);
  auto dev = r->mknod("sda", 0060660, 8, 0, 6);
  ASSERT_TRUE(dev) << dev.error().message;
  EXPECT_TRUE(S_ISREG(e.host("sda").st_mode));
  auto a = (*dev)->getattr();
  EXPECT_EQ(a->mode & kTypeMask, 0060000u);
  EXPECT_EQ(a->rdev, makedev(8, 0));
  auto opened = (*dev)->open(O_RDONLY);  // a device is the client's business, never the host's
  ASSERT_FALSE(opened);
  auto fifo = r->mknod("fifo", 0010644, 0, 0, 0);
  ASSERT_TRUE(fifo);
  EXPECT_EQ((*fifo)->getattr()->mode, 0010644u);
  ASSERT_TRUE((*fifo)->setattr(chmod_to(0600)));
  EXPECT_EQ((*fifo)->getattr()->mode, 0010600u);
  auto link = r->symlink("l", "../../etc/passwd", 0);
  ASSERT_TRUE(link) << link.error().message;
  EXPECT_TRUE(S_ISREG(e.host("l").st_mode));
  EXPECT_EQ((*link)->qid().type, p9::QTSYMLINK);
  EXPECT_EQ((*link)->getattr()->mode & kTypeMask, 0120000u);
  EXPECT_EQ(*(*link)->readlink(), "../../etc/passwd");
  EXPECT_EQ(e.dir.slurp("l"), "../../etc/passwd");
  // An existing name of another type is not opened as a file by a create without O_EXCL.
  auto again = r->create("fifo", O_RDWR, 0644, 0);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, EPERM);
}

TEST(ExportMapped, ARecordNotMadeHereIsNotBelieved) {
  Export e(model(SecurityModel::mapped));
  auto r = e.attach(0);
  auto believed = [&](const std::string& name) { return (*r->walk(name))->getattr()->uid == 77; };
  auto forge = [&](const std::string& name, const std::string& text, mode_t mode) {
    e.dir.write(name, "x");
    std::string path = e.dir.path + "/" + name;
    ::chmod(path.c_str(), mode);
    ASSERT_EQ(::setxattr(path.c_str(), iohost::kMappedAttrName, text.data(), text.size(), 0), 0);
  };
  std::string file = std::to_string(kFileMode | 0644);
  forge("good", "1 77 0 " + file + " 0", 0600);
  EXPECT_TRUE(believed("good"));
  forge("writable-by-others", "1 77 0 " + file + " 0", 0666);
  EXPECT_FALSE(believed("writable-by-others"));
  forge("says-directory", "1 77 0 16877 0", 0600);
  EXPECT_FALSE(believed("says-directory"));
  forge("junk", "1 77 0 " + file + " 0 extra", 0600);
  EXPECT_FALSE(believed("junk"));
  forge("version-2", "2 77 0 " + file + " 0", 0600);
  EXPECT_FALSE(believed("version-2"));
  if (root()) {
    forge("foreign", "1 77 0 " + file + " 0", 0600);
    ASSERT_EQ(::chown((e.dir.path + "/foreign").c_str(), kOther, kOther), 0);
    EXPECT_FALSE(believed("foreign"));  // a host user's own file: its record says nothing
  }
}

TEST(MappedAttr, OnlyAStrictRecordParses) {
  auto ok = MappedAttr::parse("1 0 0 33188 0", S_IFREG);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->mode, 0100644u);
  EXPECT_TRUE(MappedAttr::parse("1 4294967295 4294967295 8630 2049", S_IFREG));  // a block device
  for (const char* bad :
       {"", "1", "1 0 0 33188", "1 0 0 33188 0 ", " 1 0 0 33188 0", "1  0 0 33188 0", "1 -1 0 33188 0",
        "1 4294967296 0 33188 0", "1 0 0 65536 0", "1 0 0 420 0", "1 0 0 33188 5", "1 0 0 0x81a4 0",
        "1 0 0 33188 18446744073709551616", "1 0 0 16877 0"}) {
    EXPECT_FALSE(MappedAttr::parse(bad, S_IFREG)) << '"' << bad << '"';
  }
  EXPECT_FALSE(MappedAttr::parse("1 0 0 33188 0", S_IFDIR));  // a directory is only a directory
  EXPECT_TRUE(MappedAttr::parse("1 0 0 16877 0", S_IFDIR));
  EXPECT_FALSE(MappedAttr::parse("1 0 0 33188 0", S_IFLNK));  // a host link cannot hold one
  MappedAttr a{1, 2, 0020600, 0x0501};
  EXPECT_EQ(MappedAttr::parse(a.text(), S_IFREG)->rdev, 0x0501u);
}

// pjdfstest chmod/12.t through Linux's v9fs: a write by someone other than root clears set-uid
// (and set-gid with group execute), as a local write does.
TEST(ExportPassthrough, AWriteByAnotherUserClearsSetUid) {
  if (!root()) GTEST_SKIP() << "needs root";
  Export e(model(SecurityModel::passthrough));
  auto made = e.attach(0)->create("f", O_RDWR, 0777, 0);
  ASSERT_TRUE(made);
  ASSERT_TRUE(made->node->setattr(chmod_to(06777)));  // not at create: this process's umask applies
  ASSERT_EQ(e.host("f").st_mode & 07777, 06777u);
  auto f = e.attach(kNobody)->walk("f");
  auto opened = (*f)->open(O_WRONLY);
  ASSERT_TRUE(opened) << opened.error().message;
  std::byte x{'x'};
  ASSERT_TRUE((*opened)->write(0, std::span(&x, 1)));
  EXPECT_EQ(e.host("f").st_mode & 07777, 0777u);
}

TEST(ExportMapped, AWriteByAnotherUserClearsSetUidInTheRecord) {
  Export e(model(SecurityModel::mapped));
  ASSERT_TRUE(e.attach(0)->create("f", O_RDWR, 06777, 0));
  ASSERT_TRUE(e.attach(0)->create("g", O_RDWR, 06777, 0));
  std::byte x{'x'};
  auto by_nobody = std::move(*(*e.attach(kNobody)->walk("f"))->open(O_WRONLY));
  ASSERT_TRUE(by_nobody->write(0, std::span(&x, 1)));
  EXPECT_EQ(e.record("f"), "1 0 0 " + std::to_string(kFileMode | 0777) + " 0");
  auto by_root = std::move(*(*e.attach(0)->walk("g"))->open(O_WRONLY));
  ASSERT_TRUE(by_root->write(0, std::span(&x, 1)));
  EXPECT_EQ(e.record("g"), "1 0 0 " + std::to_string(kFileMode | 06777) + " 0");  // root keeps them
}

// pjdfstest chown/00.t through v9fs: a client user in groups the host does not know gives its
// own file to one of them (Linux checked membership with the real groups before sending).
TEST(ExportPassthrough, AnOwnerGivesItsFileToAGroupTheClientSaysItIsIn) {
  if (!root()) GTEST_SKIP() << "needs root";
  Export e(model(SecurityModel::passthrough));
  ASSERT_TRUE(e.attach(kNobody)->create("mine", O_RDWR, 0644, kNobody));
  e.dir.write("roots", "x");
  auto nobody = e.attach(kNobody);
  ASSERT_TRUE((*nobody->walk("mine"))->setattr(p9::SetAttr{.valid = p9::P9_SETATTR_GID, .gid = kOther}));
  EXPECT_EQ(e.host("mine").st_gid, kOther);
  // Still refused: the owner to another user, and anything of a file it does not own.
  auto give = (*nobody->walk("mine"))
                  ->setattr(p9::SetAttr{
                      .valid = p9::P9_SETATTR_UID | p9::P9_SETATTR_GID, .uid = kOther, .gid = kOther});
  ASSERT_FALSE(give);
  EXPECT_EQ(give.error().code, EPERM);
  auto take = (*nobody->walk("roots"))->setattr(p9::SetAttr{.valid = p9::P9_SETATTR_GID, .gid = kOther});
  ASSERT_FALSE(take);
  EXPECT_EQ(take.error().code, EPERM);
  // And the thread is nobody's again for the rest of that call, root's after it.
  EXPECT_EQ(::setfsuid(uid_t(-1)), 0);
}

// A client may name any uid at attach: thousands of them work, and iohost's cache of them stays
// bounded (each attach past the cache holds its own identity, freed with its nodes).
TEST(ExportPassthrough, ManyNamedUsersEachGetTheirOwnCredentials) {
  if (!root()) GTEST_SKIP() << "needs root";
  Export e(model(SecurityModel::passthrough));
  for (uint32_t uid = 100000; uid < 102000; ++uid) ASSERT_TRUE(e.attach(uid)) << uid;
  ASSERT_TRUE(e.attach(101999)->create("last", O_RDWR, 0644, 101999));
  EXPECT_EQ(e.host("last").st_uid, 101999u);
}

// ftruncate(2) through the descriptor that made a mode-0 file works for its maker; truncate(2)
// by name is refused: the open file decides, not the mode (pjdfstest ftruncate/00.t 24).
// Through a Session and lib9p's client, as Linux's v9fs sends it: Tsetattr on the open fid.
TEST(ExportPassthrough, AFileOpenForWritingTruncatesWhateverItsModeSays) {
  if (!root()) GTEST_SKIP() << "needs root";
  Export e(model(SecurityModel::passthrough));
  p9::Server server;
  server.add("data", e.tree);
  p9test::LoopbackServer loop(server);
  p9::ThreadSync sync;
  p9::Client client(loop, sync);
  p9::MountOptions o;
  o.aname = "data";
  o.uname = "nobody";
  o.n_uname = kNobody;
  auto mounted = client.mount(o);
  ASSERT_TRUE(mounted) << mounted.error().message;

  auto file = client.open("zero", p9::kRead | p9::kWrite | p9::kCreate | p9::kExclusive, 0);
  ASSERT_TRUE(file) << file.error().message;
  std::string text = "written through the open file";
  ASSERT_TRUE(file->pwrite(std::as_bytes(std::span(text.data(), text.size())), 0));
  EXPECT_EQ(e.host("zero").st_mode & 07777, 0u);
  EXPECT_EQ(e.host("zero").st_uid, kNobody);
  auto through_file = file->truncate(7);
  EXPECT_TRUE(through_file) << through_file.error().message;
  EXPECT_EQ(e.host("zero").st_size, 7);
  auto by_name = client.truncate("zero", 0);
  ASSERT_FALSE(by_name) << "mode 0: nobody may not truncate it by name";
  EXPECT_EQ(by_name.error().code, EACCES);
  EXPECT_EQ(e.host("zero").st_size, 7);
}
