//! Python tools that tests run as real servers (`scim2-server`, `aiosmtpd`), found where `.ci/run`
//! puts them or made on first use, so that `cargo test --workspace` needs nothing set up by hand.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// A Python tool in a virtual environment under the repository's `.ci/` folder.
#[derive(Debug, Clone, Copy)]
pub struct PythonTool {
    /// The environment variable naming the executable (`.ci/run` sets it); used as it is.
    pub env: &'static str,
    /// The virtual environment, relative to the repository's root (`.ci/venv-scim`).
    pub venv: &'static str,
    /// The executable in it (`bin/scim2-server`, `bin/python`).
    pub executable: &'static str,
    /// What `pip install` is given; a `.txt` among them is a requirements file in the repository.
    pub install: &'static [&'static str],
    /// A Python module the tool needs, imported to tell whether the environment is ready.
    pub import: Option<&'static str>,
}

impl PythonTool {
    /// The executable: the one the environment variable names, else the virtual environment's,
    /// made once per process (`python3 -m venv`, then `pip install`).
    ///
    /// # Errors
    /// Why the tool could not be made, with the commands that make it by hand.
    pub fn locate(&self) -> Result<PathBuf, String> {
        self.locate_from(std::env::var_os(self.env))
    }

    fn locate_from(&self, named: Option<std::ffi::OsString>) -> Result<PathBuf, String> {
        if let Some(path) = named.filter(|v| !v.is_empty()) {
            return Ok(PathBuf::from(path));
        }
        static MADE: Mutex<Option<HashMap<&'static str, Result<PathBuf, String>>>> =
            Mutex::new(None);
        let mut made = MADE.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let made = made.get_or_insert_with(HashMap::new);
        made.entry(self.venv)
            .or_insert_with(|| self.make())
            .clone()
            .map_err(|why| self.advice(&why))
    }

    fn make(&self) -> Result<PathBuf, String> {
        let root = repository_root()?;
        let venv = root.join(self.venv);
        let executable = venv.join(self.executable);
        if self.ready(&venv, &executable) {
            return Ok(executable);
        }
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
        let mut pip = Command::new(venv.join("bin/pip"));
        pip.args(["install", "--quiet", "--disable-pip-version-check"]);
        for arg in self.install {
            match arg.ends_with(".txt") {
                true => pip.arg("-r").arg(root.join(arg)),
                false => pip.arg(arg),
            };
        }
        run(&mut pip)?;
        match self.ready(&venv, &executable) {
            true => Ok(executable),
            false => Err(format!("{} did not install", self.install.join(" "))),
        }
    }

    fn ready(&self, venv: &Path, executable: &Path) -> bool {
        match self.import {
            None => executable.exists(),
            Some(module) => Command::new(venv.join("bin/python"))
                .args(["-c", &format!("import {module}")])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
        }
    }

    fn advice(&self, why: &str) -> String {
        let install: Vec<String> = self
            .install
            .iter()
            .map(|arg| if arg.ends_with(".txt") { format!("-r {arg}") } else { (*arg).to_owned() })
            .collect();
        format!(
            "{why}. Set it up once from the repository's root:\n  python3 -m venv {venv} && \
             {venv}/bin/pip install {install}\n  export {env}=\"$PWD/{venv}/{exe}\"\n(.ci/run does \
             this itself)",
            venv = self.venv,
            install = install.join(" "),
            env = self.env,
            exe = self.executable,
        )
    }
}

/// The repository's root: the nearest folder above this crate with a `.ci` folder.
fn repository_root() -> Result<PathBuf, String> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join(".ci").is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| "the repository's .ci folder was not found".to_owned())
}

fn run(command: &mut Command) -> Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let status = command
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("{program} could not run ({e})"))?;
    match status.success() {
        true => Ok(()),
        false => Err(format!("{program} failed ({status})")),
    }
}

#[cfg(test)]
mod tests {
    use super::PythonTool;

    #[test]
    fn a_named_executable_is_used_as_it_is_and_advice_names_the_commands() {
        let tool = PythonTool {
            env: "DIRSYNC_TESTKIT_PYTHON_TOOL_TEST",
            venv: ".ci/venv-nothing",
            executable: "bin/nothing",
            install: &["nothing==1.0", ".ci/requirements.txt"],
            import: None,
        };
        let named = tool.locate_from(Some("/opt/tool".into()));
        assert_eq!(named.unwrap(), std::path::PathBuf::from("/opt/tool"));
        let advice = tool.advice("it is missing");
        assert!(advice.starts_with("it is missing. Set it up once"), "{advice}");
        assert!(advice.contains("pip install nothing==1.0 -r .ci/requirements.txt"), "{advice}");
        assert!(advice.contains(
            "export DIRSYNC_TESTKIT_PYTHON_TOOL_TEST=\"$PWD/.ci/venv-nothing/bin/nothing\""
        ));
    }
}
