//! The process's resident memory, from `/proc/self/status` (Linux; `None` elsewhere).

/// The resident set size now, in bytes (`VmRSS`).
pub fn resident_bytes() -> Option<u64> {
    status_kib("VmRSS:").map(|kib| kib * 1024)
}

/// The peak resident set size, in bytes (`VmHWM`): since the process started, or since the last
/// [`reset_peak`].
pub fn peak_resident_bytes() -> Option<u64> {
    status_kib("VmHWM:").map(|kib| kib * 1024)
}

/// Sets the peak back to the current resident size (writes `5` to `/proc/self/clear_refs`, Linux
/// 4.0 and later). Returns whether it worked.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_resident_size_on_linux() {
        if cfg!(target_os = "linux") {
            let now = super::resident_bytes().unwrap_or(0);
            assert!(now > 0);
            assert!(super::peak_resident_bytes().unwrap_or(0) >= now);
        }
    }
}
