//! Making panics and returned `Err`s visible to the runner.
//!
//! In evcxr 0.22 both are silent successes for a library user: the code evcxr generates prints
//! `EVCXR_PANIC_NOTIFICATION` or `EVCXR_ERROR_OCCURRED` on the child's stdout, and the engine
//! consumes those lines without reporting them (the message itself goes to stderr, where it is
//! indistinguishable from a progress bar). The child process evcxr starts is this very binary,
//! so when the runner asks for it ([`ENV`]), the child routes its stdout through a pipe and
//! announces each of those lines with a marker line of ours, which the engine forwards as normal
//! output before the cell completes.

use std::io::{BufRead, BufReader, Write};

/// Set (to anything) in the runner's environment; the evcxr child inherits it.
pub const ENV: &str = "TEXTLAB_KERNEL_MARKERS";
/// Announces that the cell panicked.
pub const PANIC: &str = "TEXTLAB_KERNEL_PANIC";
/// Announces that the cell returned an `Err` (via `?`).
pub const USER_ERROR: &str = "TEXTLAB_KERNEL_USER_ERROR";

const EVCXR_PANIC: &[u8] = b"EVCXR_PANIC_NOTIFICATION";
const EVCXR_USER_ERROR: &[u8] = b"EVCXR_ERROR_OCCURRED";

/// Call first in `main`, before `evcxr::runtime_hook()`. Does nothing unless this process is
/// evcxr's runtime child started by the runner.
pub fn install_in_runtime_child() {
    if std::env::var_os("EVCXR_IS_RUNTIME").is_none() || std::env::var_os(ENV).is_none() {
        return;
    }
    // If any step fails we leave stdout alone: the runner still sees panic text on stderr.
    let mut fds = [0; 2];
    // SAFETY: dup/pipe/dup2/close on descriptors this process owns; the new descriptors are
    // handed to `File`s below exactly once.
    let (reader, real_stdout) = unsafe {
        let real = libc::dup(1);
        if real < 0 {
            return;
        }
        if libc::pipe(fds.as_mut_ptr()) != 0 {
            libc::close(real);
            return;
        }
        if libc::dup2(fds[1], 1) < 0 {
            libc::close(real);
            libc::close(fds[0]);
            libc::close(fds[1]);
            return;
        }
        libc::close(fds[1]);
        libc::fcntl(real, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(fds[0], libc::F_SETFD, libc::FD_CLOEXEC);
        use std::os::fd::FromRawFd;
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(real),
        )
    };
    std::thread::spawn(move || forward(BufReader::new(reader), real_stdout));
}

/// Copies `input` to `out` line by line, announcing evcxr's silent notifications.
pub fn forward(input: impl BufRead, mut out: impl Write) {
    for line in input.split(b'\n') {
        let Ok(line) = line else { return };
        let marker = match line.as_slice() {
            EVCXR_PANIC => Some(PANIC),
            EVCXR_USER_ERROR => Some(USER_ERROR),
            _ => None,
        };
        let written = marker
            .map_or(Ok(()), |m| writeln!(out, "{m}"))
            .and_then(|()| out.write_all(&line))
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        if written.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announces_notifications() {
        let input = b"a\nEVCXR_ERROR_OCCURRED\nb\nEVCXR_PANIC_NOTIFICATION\n";
        let mut out = Vec::new();
        forward(&input[..], &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "a\n{USER_ERROR}\nEVCXR_ERROR_OCCURRED\nb\n{PANIC}\nEVCXR_PANIC_NOTIFICATION\n"
            )
        );
    }
}
