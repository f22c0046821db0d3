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

/// The CPU time this process has spent so far, in user and system mode (Linux; `None`
/// elsewhere): every thread, from `/proc/self/stat`.
pub fn cpu_time() -> Option<(std::time::Duration, std::time::Duration)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces; the fields after it are plain numbers.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    let (user, system) = (ticks(11)?, ticks(12)?);
    let per_second = clock_ticks_per_second();
    let time = |t: u64| std::time::Duration::from_secs_f64(t as f64 / per_second as f64);
    Some((time(user), time(system)))
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on Linux unless told otherwise).
fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
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
            let spin = (0..2_000_000u64).fold(0u64, |a, b| a.wrapping_add(b * b));
            assert!(spin > 0);
            assert!(super::cpu_time().is_some_and(|(user, _)| user.as_nanos() > 0));
        }
    }
}
