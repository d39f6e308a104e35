"""The filesystem a submission sees: a new root holding only what the run needs, built by the sandbox's pid 1.

    /usr, /bin, /lib, /lib64, /sbin      the host's, read-only (or the same symlinks into /usr)
    /etc                                 a few files: the loader's cache and config, localtime; our own hosts,
                                         passwd, group and hostname
    the interpreter, its venv, quiz/     the host's, read-only, at their own paths (nothing else of a checkout)
    /proc                                this pid namespace's; /dev: null, zero, full, random, urandom, tty
    /tmp, /var/tmp, /run, /home, /dev/shm, the box
                                         folders of one tmpfs of the sandbox's own, `size=` and `nr_inodes=`
                                         bounded: every byte the submission can write is in it, and it is gone
                                         when the sandbox is

Nothing else of the host is there: no other checkout, no other user's files, no host socket, no /sys. The old root
is detached after `pivot_root`, so it cannot be reached again (chroot would leave a way out to a root user inside
a user namespace). Runs inside the new mount namespace, as root there, before the privileges are dropped; only the
standard library is used.
"""

from __future__ import annotations

import ctypes
import os
import platform
import shutil

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 8, 32, 4096, 16384
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "ppc64le": 203, "s390x": 217}
SYSTEM_DIRS = ["/usr", "/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin"]
ETC_COPIED = ["ld.so.cache", "ld.so.conf", "localtime"]
ETC_FOLDERS_COPIED = ["ld.so.conf.d"]
DEVICES = ["null", "zero", "full", "random", "urandom", "tty"]
SCRATCH_FOLDERS = {"tmp": "/tmp", "var-tmp": "/var/tmp", "run": "/run", "home": "/home", "shm": "/dev/shm"}

_libc = ctypes.CDLL(None, use_errno=True)


class RootError(Exception):
    """A step of building the root failed: the sandbox must not run with less than it promises."""


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda s: s.encode() if s is not None else None  # noqa: E731
    if _libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        errno = ctypes.get_errno()
        raise RootError(f"mount {target}: {os.strerror(errno)}")


def bind_readonly(source: str, target: str) -> None:
    mount(source, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def bind_writable(source: str, target: str) -> None:
    mount(source, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV)


def place(root: str, path: str, like: str) -> str:
    """Make `root + path` (its parents too) as a folder or an empty file, like the host's `like`; return it."""
    target = root + path
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    if os.path.isdir(like):
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.exists(target):
        open(target, "w").close()
    return target


def build(spec: dict) -> None:
    """Build the new root described by `spec["root"]` and pivot into it. Raises RootError."""
    plan = spec["root"]
    staging = plan["staging"]  # a folder of ours on the host: mount points for the new root and the scratch disk
    root, scratch = os.path.join(staging, "root"), os.path.join(staging, "scratch")
    try:
        for folder in (root, scratch):
            os.makedirs(folder, mode=0o700, exist_ok=True)
        mount(None, "/", None, MS_REC | (1 << 18))  # MS_PRIVATE: nothing we mount leaks back to the host
        mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,nr_inodes=4096,mode=0755")
        mount(
            "tmpfs",
            scratch,
            "tmpfs",
            MS_NOSUID | MS_NODEV,
            f"size={plan['disk_mb']}m,nr_inodes={plan['inodes']},mode=0755",
        )
        system(root)
        etc(root, plan)
        devices(root)
        mount("proc", place(root, "/proc", "/proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        scratch_folders(root, scratch)
        for path in plan["binds"]:  # after the scratch folders: a venv may live under /tmp or /home
            if any(os.path.commonpath([path, folder]) == path for folder in SCRATCH_FOLDERS.values()):
                raise RootError(f"{path} holds the interpreter but would cover the sandbox's own scratch folders")
            bind_readonly(path, place(root, path, path))
        box_folder(root, scratch, plan)
        pivot(root)
        for path in plan.get("hide", []):
            if os.path.isdir(path):
                mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=0555")
        mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)  # only the scratch disk is writable
    except OSError as exc:
        raise RootError(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None


def system(root: str) -> None:
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            os.symlink(os.readlink(path), root + path)
        elif os.path.isdir(path):
            bind_readonly(path, place(root, path, path))


def etc(root: str, plan: dict) -> None:
    os.mkdir(root + "/etc", 0o755)
    for name in ETC_COPIED:
        source = "/etc/" + name
        if os.path.islink(source):
            os.symlink(os.readlink(source), f"{root}/etc/{name}")
        elif os.path.isfile(source):
            shutil.copyfile(source, f"{root}/etc/{name}")
    for name in ETC_FOLDERS_COPIED:
        if os.path.isdir("/etc/" + name):
            shutil.copytree("/etc/" + name, f"{root}/etc/{name}", symlinks=True)
    uid = plan.get("uid") if plan.get("uid") is not None else 0
    home = plan["box"]
    files = {
        "hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
        "hostname": "sandbox\n",
        "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
        "passwd": f"root:x:0:0:root:/root:/bin/sh\nsandbox:x:{uid}:{uid}:sandbox:{home}:/bin/sh\n",
        "group": f"root:x:0:\nsandbox:x:{uid}:\n",
    }
    for name, text in files.items():
        with open(f"{root}/etc/{name}", "w") as handle:
            handle.write(text)


def devices(root: str) -> None:
    dev = place(root, "/dev", "/dev")
    mount("tmpfs", dev, "tmpfs", MS_NOSUID, "size=64k,nr_inodes=64,mode=0755")
    for name in DEVICES:
        if os.path.exists("/dev/" + name):
            open(f"{dev}/{name}", "w").close()
            mount("/dev/" + name, f"{dev}/{name}", None, MS_BIND)
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{dev}/{name}")


def scratch_folders(root: str, scratch: str) -> None:
    """The sandbox's only writable places besides the box, all on its one bounded tmpfs."""
    for name, path in SCRATCH_FOLDERS.items():
        folder = os.path.join(scratch, name)
        os.mkdir(folder)
        os.chmod(folder, 0o1777)
        bind_writable(folder, place(root, path, "/tmp"))


def box_folder(root: str, scratch: str, plan: dict) -> None:
    """The box's files copied onto the scratch disk, owned by the sandbox's user, at the box's own path."""
    owner = plan.get("uid")
    copy = os.path.join(scratch, "box")
    try:
        shutil.copytree(plan["box"], copy, symlinks=False)
    except shutil.Error as exc:  # a list of (source, target, why), one per file that failed
        if any("No space left" in str(why) for *_, why in exc.args[0]):
            raise RootError(
                f"the submission and the exercise's files do not fit the sandbox's disk of "
                f"{plan['disk_mb']} MB (--disk)"
            ) from None
        raise RootError(f"could not copy the box: {exc.args[0][0][-1]}") from None
    if owner is not None:
        for folder, _, names in os.walk(copy):
            os.chown(folder, owner, owner)
            for name in names:
                os.chown(os.path.join(folder, name), owner, owner)
    os.chmod(copy, 0o700)
    bind_writable(copy, place(root, plan["box"], "/tmp"))


def pivot(root: str) -> None:
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise RootError(f"pivot_root: no syscall number known for {platform.machine()}")
    os.chdir(root)
    if _libc.syscall(number, b".", b".") != 0:
        raise RootError(f"pivot_root: {os.strerror(ctypes.get_errno())}")
    if _libc.umount2(b".", MNT_DETACH) != 0:  # the old root, stacked under the new one: gone for good
        raise RootError(f"detach the old root: {os.strerror(ctypes.get_errno())}")
    os.chdir("/")
