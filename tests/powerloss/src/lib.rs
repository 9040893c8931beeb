//! Power-loss testing for Handoff: a FUSE filesystem that behaves like a disk behind a
//! page cache, and cuts the power on request.
//!
//! A SIGKILL leaves the operating system's page cache intact, so a crash test that only
//! kills processes never checks that Handoff syncs what it acknowledges. [`Disk`] mounts
//! a filesystem over a backing folder (the "disk") that keeps every change in memory
//! until it is synced, and on [`Disk::power_cut`] drops everything that was not.
//!
//! **The model** (deliberately harsher than common filesystems in their default modes):
//! - A file's bytes and size (writes, truncations, extensions) become durable only with
//!   `fsync` or `fdatasync` of that file (through any descriptor: like Linux, a sync is of
//!   the inode). `sync_file_range(2)` is not a durability call and never reaches the
//!   filesystem (FUSE has no such operation), exactly as it persists neither the file's
//!   size nor its allocation on a real disk.
//! - A directory's entries (create, mkdir, unlink, rmdir, rename into or out of it) become
//!   durable only with `fsync` of that directory. Syncing a file does not make its name
//!   durable; syncing a directory makes its names durable, pointing at whatever content
//!   each file had at its own last sync (empty if never synced).
//! - Nothing is written back in the background, ever: no journal commit every few
//!   seconds, no write-back of old dirty pages. Only an explicit sync, or the test's own
//!   [`Disk::sync_everything`] (the `sync` command), makes anything durable.
//! - At a power cut every later operation fails with `EIO` (the machine is off); what
//!   survives is the tree of durable names from the root, each file with its durable
//!   content. It is written to the backing folder at unmount, so the next mount (or any
//!   plain file reader) sees exactly the disk after the power cut.
//!
//! Regular files and directories only (no links, symlinks or special files: Handoff
//! makes none). Ownership and permission bits are kept but not enforced (the tests run
//! as root). Inodes are never freed while mounted; a test filesystem holds at most tens
//! of megabytes.

use fuser::{
    BsdFileFlags, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation,
    INodeNo, LockOwner, MountOption, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData,
    ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow,
    WriteFlags,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// Dirty tracking granularity: a page, as in a kernel page cache.
const PAGE: u64 = 4096;
/// How long the kernel may cache names and attributes. Everything goes through the kernel,
/// so its cache never disagrees with ours while mounted.
const TTL: Duration = Duration::from_secs(1);

/// Why a disk could not be mounted or written back.
#[derive(Debug)]
pub enum Error {
    /// FUSE is not usable on this machine (no `/dev/fuse`, no permission to mount).
    FuseUnavailable(String),
    /// Reading or writing the backing folder failed.
    Io(std::io::Error, String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::FuseUnavailable(why) => write!(
                f,
                "FUSE is unavailable, so the power-loss tests cannot run: {why}. \
                 Install Debian's `fuse3` package (`cargo xtask setup` does) and run as a \
                 user allowed to mount FUSE filesystems (root, or with /dev/fuse access)"
            ),
            Error::Io(e, what) => write!(f, "{what}: {e}"),
        }
    }
}

impl std::error::Error for Error {}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |e| Error::Io(e, what)
}

/// What a power cut dropped (to prove a test really lost something).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Files whose bytes or size differed from their durable content.
    pub files: usize,
    /// Pages written but not synced.
    pub pages: usize,
    /// Directories whose entries differed from their durable entries.
    pub dirs: usize,
}

/// Counts of durability calls seen while mounted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Syncs {
    /// `fsync`/`fdatasync` of files.
    pub files: u64,
    /// `fsync` of directories.
    pub dirs: u64,
}

struct FileData {
    live: Vec<u8>,
    durable: Vec<u8>,
    /// Pages of `live` that may differ from `durable`.
    dirty: BTreeSet<u64>,
}

struct DirData {
    live: BTreeMap<OsString, u64>,
    durable: BTreeMap<OsString, u64>,
    parent: u64,
}

enum Kind {
    File(FileData),
    Dir(DirData),
}

struct Node {
    kind: Kind,
    perm: u16,
    uid: u32,
    gid: u32,
    mtime: SystemTime,
}

struct State {
    nodes: HashMap<u64, Node>,
    next_ino: u64,
    powered: bool,
    syncs: Syncs,
}

struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in a handler must not take the whole disk down with a poisoned lock.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn node(&self, ino: u64) -> Result<&Node, Errno> {
        self.nodes.get(&ino).ok_or(Errno::ENOENT)
    }

    fn node_mut(&mut self, ino: u64) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    fn dir(&self, ino: u64) -> Result<&DirData, Errno> {
        match &self.node(ino)?.kind {
            Kind::Dir(d) => Ok(d),
            Kind::File(_) => Err(Errno::ENOTDIR),
        }
    }

    fn dir_mut(&mut self, ino: u64) -> Result<&mut DirData, Errno> {
        match &mut self.node_mut(ino)?.kind {
            Kind::Dir(d) => Ok(d),
            Kind::File(_) => Err(Errno::ENOTDIR),
        }
    }

    fn file_mut(&mut self, ino: u64) -> Result<&mut FileData, Errno> {
        match &mut self.node_mut(ino)?.kind {
            Kind::File(f) => Ok(f),
            Kind::Dir(_) => Err(Errno::EISDIR),
        }
    }

    fn attr(&self, ino: u64) -> Result<FileAttr, Errno> {
        let n = self.node(ino)?;
        let (kind, size, nlink) = match &n.kind {
            Kind::File(f) => (FileType::RegularFile, f.live.len() as u64, 1),
            Kind::Dir(_) => (FileType::Directory, 4096, 2),
        };
        Ok(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: n.mtime,
            mtime: n.mtime,
            ctime: n.mtime,
            crtime: n.mtime,
            kind,
            perm: n.perm,
            nlink,
            uid: n.uid,
            gid: n.gid,
            rdev: 0,
            blksize: PAGE as u32,
            flags: 0,
        })
    }

    fn add(&mut self, node: Node) -> u64 {
        let ino = self.next_ino;
        self.next_ino += 1;
        self.nodes.insert(ino, node);
        ino
    }

    fn lookup(&self, parent: u64, name: &OsStr) -> Result<u64, Errno> {
        self.dir(parent)?
            .live
            .get(name)
            .copied()
            .ok_or(Errno::ENOENT)
    }

    /// Creates a file or directory named `name` in `parent`.
    fn create(
        &mut self,
        req: &Request,
        parent: u64,
        name: &OsStr,
        mode: u32,
        dir: bool,
    ) -> Result<u64, Errno> {
        if self.dir(parent)?.live.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let kind = if dir {
            Kind::Dir(DirData {
                live: BTreeMap::new(),
                durable: BTreeMap::new(),
                parent,
            })
        } else {
            Kind::File(FileData {
                live: Vec::new(),
                durable: Vec::new(),
                dirty: BTreeSet::new(),
            })
        };
        let ino = self.add(Node {
            kind,
            perm: (mode & 0o7777) as u16,
            uid: req.uid(),
            gid: req.gid(),
            mtime: SystemTime::now(),
        });
        self.dir_mut(parent)?.live.insert(name.to_os_string(), ino);
        Ok(ino)
    }

    fn write(&mut self, ino: u64, offset: u64, data: &[u8]) -> Result<(), Errno> {
        let f = self.file_mut(ino)?;
        let end = offset.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        let old = f.live.len() as u64;
        if end > old {
            f.live.resize(end as usize, 0);
        }
        f.live[offset as usize..end as usize].copy_from_slice(data);
        // Pages touched, and the zero-filled gap of a write past the end.
        let first = offset.min(old) / PAGE;
        let last = end.saturating_sub(1).max(first * PAGE) / PAGE;
        f.dirty.extend(first..=last);
        self.node_mut(ino)?.mtime = SystemTime::now();
        Ok(())
    }

    fn truncate(&mut self, ino: u64, size: u64) -> Result<(), Errno> {
        let f = self.file_mut(ino)?;
        let old = f.live.len() as u64;
        if size != old {
            f.live.resize(size as usize, 0);
            let (lo, hi) = (old.min(size), old.max(size));
            f.dirty
                .extend(lo / PAGE..=hi.saturating_sub(1).max(lo) / PAGE);
        }
        self.node_mut(ino)?.mtime = SystemTime::now();
        Ok(())
    }

    fn sync_file(&mut self, ino: u64) -> Result<(), Errno> {
        let f = self.file_mut(ino)?;
        f.durable.resize(f.live.len(), 0);
        let len = f.live.len() as u64;
        for p in std::mem::take(&mut f.dirty) {
            let lo = p * PAGE;
            if lo >= len {
                continue;
            }
            let hi = (lo + PAGE).min(len);
            f.durable[lo as usize..hi as usize].copy_from_slice(&f.live[lo as usize..hi as usize]);
        }
        self.syncs.files += 1;
        Ok(())
    }

    fn sync_dir(&mut self, ino: u64) -> Result<(), Errno> {
        let d = self.dir_mut(ino)?;
        d.durable = d.live.clone();
        self.syncs.dirs += 1;
        Ok(())
    }

    fn sync_everything(&mut self) {
        let inos: Vec<(u64, bool)> = self
            .nodes
            .iter()
            .map(|(i, n)| (*i, matches!(n.kind, Kind::Dir(_))))
            .collect();
        for (ino, dir) in inos {
            let _ = if dir {
                self.sync_dir(ino)
            } else {
                self.sync_file(ino)
            };
        }
    }

    /// What is not durable right now.
    fn unsynced(&self) -> Dropped {
        let mut d = Dropped::default();
        for n in self.nodes.values() {
            match &n.kind {
                Kind::File(f) => {
                    if !f.dirty.is_empty() || f.live.len() != f.durable.len() {
                        d.files += 1;
                        d.pages += f.dirty.len();
                    }
                }
                Kind::Dir(dir) => {
                    if dir.live != dir.durable {
                        d.dirs += 1;
                    }
                }
            }
        }
        d
    }

    fn rename(
        &mut self,
        parent: u64,
        name: &OsStr,
        newparent: u64,
        newname: &OsStr,
        flags: RenameFlags,
    ) -> Result<(), Errno> {
        if flags.contains(RenameFlags::RENAME_EXCHANGE)
            || flags.contains(RenameFlags::RENAME_WHITEOUT)
        {
            return Err(Errno::EINVAL);
        }
        let ino = self.lookup(parent, name)?;
        self.dir(newparent)?;
        let moving_dir = matches!(self.node(ino)?.kind, Kind::Dir(_));
        if moving_dir {
            // A directory cannot move into itself or below itself.
            let mut p = newparent;
            loop {
                if p == ino {
                    return Err(Errno::EINVAL);
                }
                let up = self.dir(p)?.parent;
                if up == p {
                    break;
                }
                p = up;
            }
        }
        if let Ok(target) = self.lookup(newparent, newname) {
            if target == ino {
                return Ok(());
            }
            if flags.contains(RenameFlags::RENAME_NOREPLACE) {
                return Err(Errno::EEXIST);
            }
            match (&self.node(target)?.kind, moving_dir) {
                (Kind::Dir(d), true) if d.live.is_empty() => {}
                (Kind::Dir(_), true) => return Err(Errno::ENOTEMPTY),
                (Kind::Dir(_), false) => return Err(Errno::EISDIR),
                (Kind::File(_), true) => return Err(Errno::ENOTDIR),
                (Kind::File(_), false) => {}
            }
        }
        self.dir_mut(parent)?.live.remove(name);
        self.dir_mut(newparent)?
            .live
            .insert(newname.to_os_string(), ino);
        if moving_dir {
            self.dir_mut(ino)?.parent = newparent;
        }
        Ok(())
    }

    fn remove(&mut self, parent: u64, name: &OsStr, dir: bool) -> Result<(), Errno> {
        let ino = self.lookup(parent, name)?;
        match (&self.node(ino)?.kind, dir) {
            (Kind::Dir(d), true) if !d.live.is_empty() => return Err(Errno::ENOTEMPTY),
            (Kind::Dir(_), true) | (Kind::File(_), false) => {}
            (Kind::Dir(_), false) => return Err(Errno::EISDIR),
            (Kind::File(_), true) => return Err(Errno::ENOTDIR),
        }
        self.dir_mut(parent)?.live.remove(name);
        Ok(())
    }
}

/// The FUSE side: every operation takes the one lock, and fails with `EIO` once the power
/// is off.
struct PowerLossFs {
    shared: Arc<Shared>,
}

impl PowerLossFs {
    fn on<T>(&self, f: impl FnOnce(&mut State) -> Result<T, Errno>) -> Result<T, Errno> {
        let mut s = self.shared.lock();
        if !s.powered {
            return Err(Errno::EIO);
        }
        f(&mut s)
    }
}

impl Filesystem for PowerLossFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        match self.on(|s| s.lookup(parent.0, name).and_then(|i| s.attr(i))) {
            Ok(a) => reply.entry(&TTL, &a, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.on(|s| s.attr(ino.0)) {
            Ok(a) => reply.attr(&TTL, &a),
            Err(e) => reply.error(e),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let r = self.on(|s| {
            if let Some(size) = size {
                s.truncate(ino.0, size)?;
            }
            let n = s.node_mut(ino.0)?;
            if let Some(m) = mode {
                n.perm = (m & 0o7777) as u16;
            }
            if let Some(u) = uid {
                n.uid = u;
            }
            if let Some(g) = gid {
                n.gid = g;
            }
            s.attr(ino.0)
        });
        match r {
            Ok(a) => reply.attr(&TTL, &a),
            Err(e) => reply.error(e),
        }
    }

    fn mknod(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        if mode & libc_s_ifmt() != libc_s_ifreg() {
            reply.error(Errno::EPERM);
            return;
        }
        match self.on(|s| {
            let i = s.create(req, parent.0, name, mode & !umask, false)?;
            s.attr(i)
        }) {
            Ok(a) => reply.entry(&TTL, &a, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn mkdir(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        match self.on(|s| {
            let i = s.create(req, parent.0, name, mode & !umask, true)?;
            s.attr(i)
        }) {
            Ok(a) => reply.entry(&TTL, &a, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match self.on(|s| s.remove(parent.0, name, false)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match self.on(|s| s.remove(parent.0, name, true)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        match self.on(|s| s.rename(parent.0, name, newparent.0, newname, flags)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let r = self.on(|s| {
            s.node(ino.0)?;
            if flags.0 & o_trunc() != 0 {
                s.truncate(ino.0, 0)?;
            }
            Ok(())
        });
        match r {
            Ok(()) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let r = self.on(|s| match &s.node(ino.0)?.kind {
            Kind::File(f) => {
                let len = f.live.len() as u64;
                let lo = offset.min(len);
                let hi = offset.saturating_add(size as u64).min(len);
                Ok(f.live[lo as usize..hi as usize].to_vec())
            }
            Kind::Dir(_) => Err(Errno::EISDIR),
        });
        match r {
            Ok(d) => reply.data(&d),
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        match self.on(|s| s.write(ino.0, offset, data)) {
            Ok(()) => reply.written(data.len() as u32),
            Err(e) => reply.error(e),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // close(2) is not a sync.
        match self.on(|_| Ok(())) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn fsync(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        match self.on(|s| s.sync_file(ino.0)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.on(|s| s.dir(ino.0).map(|_| ())) {
            Ok(()) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let r = self.on(|s| {
            let d = s.dir(ino.0)?;
            let mut out = vec![
                (ino.0, FileType::Directory, OsString::from(".")),
                (d.parent, FileType::Directory, OsString::from("..")),
            ];
            for (name, i) in &d.live {
                let kind = match s.node(*i)?.kind {
                    Kind::Dir(_) => FileType::Directory,
                    Kind::File(_) => FileType::RegularFile,
                };
                out.push((*i, kind, name.clone()));
            }
            Ok(out)
        });
        match r {
            Ok(entries) => {
                for (i, (ino, kind, name)) in entries.into_iter().enumerate().skip(offset as usize)
                {
                    if reply.add(INodeNo(ino), (i + 1) as u64, kind, &name) {
                        break;
                    }
                }
                reply.ok();
            }
            Err(e) => reply.error(e),
        }
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        match self.on(|s| s.sync_dir(ino.0)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        // A roomy disk: 64 GiB in 4 KiB blocks, a million inodes.
        reply.statfs(
            1 << 24,
            1 << 24,
            1 << 24,
            1 << 20,
            1 << 20,
            PAGE as u32,
            255,
            PAGE as u32,
        );
    }

    fn access(&self, _req: &Request, ino: INodeNo, _mask: fuser::AccessFlags, reply: ReplyEmpty) {
        match self.on(|s| s.node(ino.0).map(|_| ())) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        let r = self.on(|s| {
            let ino = match s.lookup(parent.0, name) {
                Ok(_) if flags & o_excl() != 0 => return Err(Errno::EEXIST),
                Ok(i) => {
                    if flags & o_trunc() != 0 {
                        s.truncate(i, 0)?;
                    }
                    i
                }
                Err(_) => s.create(req, parent.0, name, mode & !umask, false)?,
            };
            s.attr(ino)
        });
        match r {
            Ok(a) => reply.created(&TTL, &a, Generation(0), FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }
}

// The libc constants we need, without a libc dependency (Linux values).
const fn o_trunc() -> i32 {
    0o1000
}
const fn o_excl() -> i32 {
    0o200
}
const fn libc_s_ifmt() -> u32 {
    0o170000
}
const fn libc_s_ifreg() -> u32 {
    0o100000
}

/// A mounted power-loss disk.
pub struct Disk {
    backing: PathBuf,
    mountpoint: PathBuf,
    shared: Arc<Shared>,
    session: Option<fuser::BackgroundSession>,
}

/// Checks that FUSE can be used here, with a reason when it cannot.
pub fn fuse_available() -> Result<(), Error> {
    if !Path::new("/dev/fuse").exists() {
        return Err(Error::FuseUnavailable("/dev/fuse does not exist".into()));
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/fuse")
        .map_err(|e| Error::FuseUnavailable(format!("cannot open /dev/fuse: {e}")))?;
    Ok(())
}

impl Disk {
    /// Mounts a power-loss filesystem at `mountpoint` whose durable content is the backing
    /// folder's (an empty folder is an empty disk). Everything in it starts durable.
    pub fn mount(backing: &Path, mountpoint: &Path) -> Result<Disk, Error> {
        fuse_available()?;
        std::fs::create_dir_all(backing).map_err(io(format!("creating {}", backing.display())))?;
        std::fs::create_dir_all(mountpoint)
            .map_err(io(format!("creating {}", mountpoint.display())))?;
        let mut state = State {
            nodes: HashMap::new(),
            next_ino: 2,
            powered: true,
            syncs: Syncs::default(),
        };
        let meta = std::fs::metadata(backing).map_err(io(format!("{}", backing.display())))?;
        state.nodes.insert(
            1,
            Node {
                kind: Kind::Dir(DirData {
                    live: BTreeMap::new(),
                    durable: BTreeMap::new(),
                    parent: 1,
                }),
                perm: (meta.permissions().mode() & 0o7777) as u16,
                uid: meta.uid(),
                gid: meta.gid(),
                mtime: SystemTime::now(),
            },
        );
        load(&mut state, 1, backing)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
        });
        let mut config = fuser::Config::default();
        config.mount_options = vec![
            MountOption::FSName("handoff-powerloss".into()),
            MountOption::Subtype("powerloss".into()),
        ];
        let session = fuser::spawn_mount(
            PowerLossFs {
                shared: shared.clone(),
            },
            mountpoint,
            &config,
        )
        .map_err(|e| {
            Error::FuseUnavailable(format!("mounting at {}: {e}", mountpoint.display()))
        })?;
        Ok(Disk {
            backing: backing.to_path_buf(),
            mountpoint: mountpoint.to_path_buf(),
            shared,
            session: Some(session),
        })
    }

    /// Where the filesystem is mounted.
    pub fn path(&self) -> &Path {
        &self.mountpoint
    }

    /// Makes everything durable now, like the `sync` command (for a test's setup, which is
    /// not under test).
    pub fn sync_everything(&self) {
        self.shared.lock().sync_everything();
    }

    /// Durability calls seen so far.
    pub fn syncs(&self) -> Syncs {
        self.shared.lock().syncs
    }

    /// What a power cut now would drop.
    pub fn unsynced(&self) -> Dropped {
        self.shared.lock().unsynced()
    }

    /// Cuts the power: from now on every operation fails with `EIO` and nothing more
    /// becomes durable. Returns what was written but not synced (lost). Stop the processes
    /// using the disk, then call [`Disk::unmount`].
    pub fn power_cut(&self) -> Dropped {
        let mut s = self.shared.lock();
        s.powered = false;
        s.unsynced()
    }

    /// Unmounts and writes the durable state (all of it when the power is on: a clean
    /// shutdown syncs everything) to the backing folder.
    pub fn unmount(mut self) -> Result<(), Error> {
        {
            let mut s = self.shared.lock();
            if s.powered {
                s.sync_everything();
            }
            s.powered = false;
        }
        if let Some(session) = self.session.take()
            && let Err(e) = session.umount_and_join()
        {
            // Busy: a file is still open. The power is off, so the old mount can change
            // nothing durable any more: detach it lazily. The session may also end with
            // an error after the kernel already dropped the mount (an aborted FUSE
            // connection): then there is nothing left to detach.
            let gone = !is_mounted(&self.mountpoint);
            let detached = gone
                || std::process::Command::new("umount")
                    .arg("-l")
                    .arg(&self.mountpoint)
                    .status()
                    .is_ok_and(|s| s.success());
            if !detached {
                return Err(Error::Io(
                    e,
                    format!("unmounting {}", self.mountpoint.display()),
                ));
            }
        }
        let s = self.shared.lock();
        write_back(&s, &self.backing)
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            self.shared.lock().powered = false;
            let _ = session.umount_and_join();
        }
    }
}

/// Whether `mountpoint` is still a mount point of this process's mount namespace (read
/// from `/proc/self/mountinfo`; when that cannot be read, assumed mounted).
fn is_mounted(mountpoint: &Path) -> bool {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return true;
    };
    let target = mountpoint
        .canonicalize()
        .unwrap_or_else(|_| mountpoint.to_path_buf());
    // Field 5 is the mount point, with spaces and the like escaped as octal.
    info.lines().any(|line| {
        line.split(' ')
            .nth(4)
            .is_some_and(|m| Path::new(&m.replace("\\040", " ")) == target)
    })
}

/// Loads the backing folder `dir` as the durable (and live) content of directory `ino`.
fn load(state: &mut State, ino: u64, dir: &Path) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(io(format!("reading {}", dir.display())))?;
    for e in entries {
        let e = e.map_err(io(format!("reading {}", dir.display())))?;
        let path = e.path();
        let meta = std::fs::symlink_metadata(&path).map_err(io(format!("{}", path.display())))?;
        let kind = if meta.is_dir() {
            Kind::Dir(DirData {
                live: BTreeMap::new(),
                durable: BTreeMap::new(),
                parent: ino,
            })
        } else if meta.is_file() {
            let bytes = std::fs::read(&path).map_err(io(format!("reading {}", path.display())))?;
            Kind::File(FileData {
                live: bytes.clone(),
                durable: bytes,
                dirty: BTreeSet::new(),
            })
        } else {
            return Err(Error::Io(
                std::io::Error::other("only regular files and directories are supported"),
                path.display().to_string(),
            ));
        };
        let is_dir = meta.is_dir();
        let child = state.add(Node {
            kind,
            perm: (meta.permissions().mode() & 0o7777) as u16,
            uid: meta.uid(),
            gid: meta.gid(),
            mtime: meta.modified().unwrap_or_else(|_| SystemTime::now()),
        });
        if let Some(Node {
            kind: Kind::Dir(d), ..
        }) = state.nodes.get_mut(&ino)
        {
            d.live.insert(e.file_name(), child);
            d.durable.insert(e.file_name(), child);
        }
        if is_dir {
            load(state, child, &path)?;
        }
    }
    Ok(())
}

/// Replaces the backing folder's content with the durable tree.
fn write_back(state: &State, backing: &Path) -> Result<(), Error> {
    let entries =
        std::fs::read_dir(backing).map_err(io(format!("reading {}", backing.display())))?;
    for e in entries {
        let e = e.map_err(io(format!("reading {}", backing.display())))?;
        let p = e.path();
        let r = if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        r.map_err(io(format!("clearing {}", p.display())))?;
    }
    write_dir(state, 1, backing)
}

fn write_dir(state: &State, ino: u64, path: &Path) -> Result<(), Error> {
    let Ok(d) = state.dir(ino) else {
        return Ok(());
    };
    for (name, child) in &d.durable {
        let Some(node) = state.nodes.get(child) else {
            continue;
        };
        let p = path.join(name);
        match &node.kind {
            Kind::Dir(_) => {
                std::fs::create_dir(&p).map_err(io(format!("creating {}", p.display())))?;
                write_dir(state, *child, &p)?;
            }
            Kind::File(f) => {
                std::fs::write(&p, &f.durable).map_err(io(format!("writing {}", p.display())))?;
            }
        }
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(node.perm as u32))
            .map_err(io(format!("chmod {}", p.display())))?;
    }
    Ok(())
}

/// What the driver writes, shared with the tests that check it after a power cut.
pub mod workload {
    use handoff_core::block::Genesis;
    use handoff_core::crypto::Keypair;

    /// The outbox's signer (a fixed key: the test checks its nonces).
    pub const OUTBOX_SIGNER_SEED: [u8; 32] = [7; 32];

    /// The genesis the outbox trusts (never executed: the outbox only signs against it).
    pub fn outbox_genesis() -> Genesis {
        Genesis {
            name: "power-loss outbox".into(),
            time_ms: 1_700_000_000_000,
            validators: vec![Keypair::from_secret([3; 32]).public()],
            orgs: vec![],
        }
    }

    /// The record the WAL driver writes at (height, index): its own name, then filler of
    /// a length that varies with both, so frames straddle pages differently.
    pub fn wal_record(height: u64, index: u64) -> Vec<u8> {
        let mut r = format!("h{height}-i{index}-").into_bytes();
        let filler = ((height * 7919 + index * 104_729) % 6000) as usize;
        r.extend((0..filler).map(|k| (k as u64 ^ height ^ index) as u8));
        r
    }

    /// The (height, index) a WAL record names, if it is exactly one the driver wrote.
    pub fn parse_wal_record(r: &[u8]) -> Option<(u64, u64)> {
        let head = &r[..r.len().min(48)];
        let s = String::from_utf8_lossy(head);
        let rest = s.strip_prefix('h')?;
        let (h, rest) = rest.split_once("-i")?;
        let (i, _) = rest.split_once('-')?;
        let (h, i) = (h.parse().ok()?, i.parse().ok()?);
        (wal_record(h, i) == r).then_some((h, i))
    }
}
