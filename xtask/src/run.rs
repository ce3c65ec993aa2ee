//! Running commands: echo them, fail with their name, optionally scan their output for test counts.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(Path::to_path_buf).unwrap_or(here)
}

pub fn say(msg: &str) {
    eprintln!("xtask: {msg}");
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `cmd` to completion; an error names the command.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    say(&format!("$ {}", describe(cmd)));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Runs `cmd`, copying its stdout through, and returns the stdout lines too.
pub fn run_capture(cmd: &mut Command) -> Result<Vec<String>, String> {
    say(&format!("$ {}", describe(cmd)));
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", describe(cmd)))?;
    let mut lines = Vec::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            println!("{line}");
            lines.push(line);
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(lines)
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

/// Output of a quick query command, or `None` if it cannot run.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Sums `N passed` / `N failed` from cargo's `test result:` lines and node's `# pass` / `# fail` lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
    }

    pub fn scan(lines: &[String]) -> Counts {
        let mut c = Counts::default();
        for line in lines {
            let l = line.trim();
            if let Some(rest) = l.strip_prefix("test result:") {
                c.passed += number_before(rest, " passed");
                c.failed += number_before(rest, " failed");
            } else if let Some(n) = l.strip_prefix("# pass ") {
                c.passed += n.trim().parse::<u64>().unwrap_or(0);
            } else if let Some(n) = l.strip_prefix("# fail ") {
                c.failed += n.trim().parse::<u64>().unwrap_or(0);
            }
        }
        c
    }
}

fn number_before(text: &str, label: &str) -> u64 {
    text.find(label)
        .and_then(|i| text[..i].rsplit(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_cargo_and_node_summaries() {
        let lines: Vec<String> = [
            "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s",
            "test result: FAILED. 3 passed; 2 failed; 0 ignored",
            "# pass 4",
            "# fail 1",
            "unrelated 9 passed",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            Counts::scan(&lines),
            Counts {
                passed: 19,
                failed: 3
            }
        );
    }
}
