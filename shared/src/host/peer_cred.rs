//! Who listens on a unix socket, asked of the kernel: `SO_PEERCRED` of a
//! connection to it.
//!
//! `/proc/net/unix` lists a socket under the path it was *bound* at. Daemons
//! that create their socket the way the kubelet's `util.CreateListener` does
//! (cri-dockerd, k3s's embedded cri-dockerd) bind a temporary name in the same
//! directory and rename it over the real path, so their listening socket is
//! listed under the temporary name and the path match finds nothing. For a
//! listening socket, `SO_PEERCRED` carries the credentials of the process that
//! called `listen()`, with the pid translated into our pid namespace (0 when
//! that process is not visible there, as in a pod without `hostPID`).

use std::path::Path;

use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType, connect, socket_with};

/// The pid (in our pid namespace) of the process listening at `path`, or
/// None when nothing listens there or the pid is not visible. Never blocks:
/// the socket is non-blocking, and a full backlog is an answer too (None).
pub fn listening_pid(path: &Path) -> Option<u32> {
    let fd = socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    )
    .ok()?;
    let addr = SocketAddrUnix::new(path).ok()?;
    connect(&fd, &addr).ok()?;
    let cred = rustix::net::sockopt::socket_peercred(&fd).ok()?;
    match cred.pid.as_raw_nonzero().get() {
        pid if pid > 0 => u32::try_from(pid).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_this_process_as_the_listener_of_its_own_socket() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("l.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        assert_eq!(listening_pid(&sock), Some(std::process::id()));
    }

    #[test]
    fn nothing_listening_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("dead.sock");
        drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
        assert_eq!(listening_pid(&sock), None, "a socket file with no listener");
        assert_eq!(listening_pid(&dir.path().join("absent.sock")), None);
    }
}
