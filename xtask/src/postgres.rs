//! A throwaway PostgreSQL for the tests: Debian's `postgresql` installed when missing, a cluster
//! made by `initdb` in a temporary folder, started on a free loopback port, and stopped and removed
//! when the `Cluster` is dropped. Tests get its address in `WALLET_CHECKOUT_TEST_POSTGRES` and make
//! a database each.
//!
//! As root, the cluster is made and run by the `postgres` user (PostgreSQL refuses to run as root).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::run::{output, run, say};
use crate::tools;

/// The environment variable the tests read: `postgres://postgres@127.0.0.1:PORT` (no database).
pub const ENV: &str = "WALLET_CHECKOUT_TEST_POSTGRES";
/// A second cluster that speaks TLS only with a certificate from a CA made here:
/// `postgres://postgres@127.0.0.1:PORT`, the CA's PEM file, and an unrelated CA's.
pub const TLS_ENV: &str = "WALLET_CHECKOUT_TEST_POSTGRES_TLS";
pub const CA_ENV: &str = "WALLET_CHECKOUT_TEST_POSTGRES_CA";
pub const OTHER_CA_ENV: &str = "WALLET_CHECKOUT_TEST_POSTGRES_OTHER_CA";

pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    server: Child,
    pub url: String,
}

fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists() && b.join("postgres").exists())
        .collect();
    versions.sort();
    versions.pop()
}

/// Debian's PostgreSQL server binaries, installed with apt-get if missing.
pub fn ensure_installed() -> Result<PathBuf, String> {
    if let Some(bin) = bin_dir() {
        return Ok(bin);
    }
    say("installing Debian's postgresql with apt-get");
    tools::apt_install_quiet_services(&["postgresql"])?;
    bin_dir().ok_or_else(|| "apt-get finished but no /usr/lib/postgresql/*/bin/initdb".into())
}

fn is_root() -> bool {
    output("id", &["-u"]).is_some_and(|u| u.trim() == "0")
}

/// `program args…`, as the `postgres` user when we are root.
fn as_owner(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn free_port() -> Result<u16, String> {
    let probe = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(probe.local_addr().map_err(|e| e.to_string())?.port())
}

/// `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    run(Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null()))
}

/// A CA (`{name}.pem`, `{name}.key`) in `dir`: an ECDSA P-256 root good for two days.
fn make_ca(dir: &Path, name: &str) -> Result<(), String> {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN=wallet-checkout test {name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ],
    )
}

/// The CA and the other CA, and a server certificate for `localhost` and 127.0.0.1 signed by the CA.
fn make_certificates(dir: &Path) -> Result<(), String> {
    if output("openssl", &["version"]).is_none() {
        say("installing Debian's openssl with apt-get");
        tools::apt_install_quiet_services(&["openssl"])?;
    }
    make_ca(dir, "ca")?;
    make_ca(dir, "other-ca")?;
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    )?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1
basicConstraints=CA:FALSE
keyUsage=digitalSignature
extendedKeyUsage=serverAuth
",
    )
    .map_err(|e| e.to_string())?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    )?;
    if is_root() {
        run(Command::new("chown")
            .args(["postgres:postgres", "server.key", "server.crt"])
            .current_dir(dir))?;
    }
    run(Command::new("chmod")
        .args(["0600", "server.key"])
        .current_dir(dir))
}

impl Cluster {
    /// Makes and starts a cluster; fails (never skips) when PostgreSQL cannot start.
    pub fn start() -> Result<Cluster, String> {
        Cluster::start_as("pg", false)
    }

    /// A cluster that also speaks TLS (`ssl = on`) with a certificate from a CA made here; the CA's
    /// and another CA's PEM files are `ca_file` and `other_ca_file`.
    pub fn start_tls() -> Result<Cluster, String> {
        Cluster::start_as("pg-tls", true)
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    pub fn other_ca_file(&self) -> PathBuf {
        self.dir.join("other-ca.pem")
    }

    fn start_as(name: &str, tls: bool) -> Result<Cluster, String> {
        let bin = ensure_installed()?;
        let dir =
            std::env::temp_dir().join(format!("wallet-checkout-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if is_root() {
            run(Command::new("chown").args(["postgres:postgres"]).arg(&dir))?;
        }
        let data = dir.join("data");
        say(&format!(
            "starting a throwaway PostgreSQL cluster in {}",
            dir.display()
        ));
        run(as_owner(&bin.join("initdb"))
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--no-sync",
            ])
            .arg("-D")
            .arg(&data)
            .stdout(Stdio::null()))?;
        let port = free_port()?;
        let mut tls_args = Vec::new();
        if tls {
            make_certificates(&dir)?;
            tls_args = vec![
                "-c".to_string(),
                "ssl=on".to_string(),
                "-c".to_string(),
                format!("ssl_cert_file={}", dir.join("server.crt").display()),
                "-c".to_string(),
                format!("ssl_key_file={}", dir.join("server.key").display()),
            ];
        }
        let server = as_owner(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(&dir)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=400",
                "-c",
                if tls {
                    "shared_buffers=16MB"
                } else {
                    "shared_buffers=64MB"
                },
            ])
            .args(&tls_args)
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(dir.join("server.log"))
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            )
            .spawn()
            .map_err(|e| format!("cannot start postgres: {e}"))?;
        let mut cluster = Cluster {
            bin: bin.clone(),
            dir,
            server,
            url: format!("postgres://postgres@127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                break;
            }
            if let Ok(Some(status)) = cluster.server.try_wait() {
                let log =
                    std::fs::read_to_string(cluster.dir.join("server.log")).unwrap_or_default();
                return Err(format!("postgres exited ({status}):\n{log}"));
            }
            if Instant::now() > deadline {
                return Err("postgres did not accept connections within 60 s".into());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        say(&format!("PostgreSQL is up at {}", cluster.url));
        Ok(cluster)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // "fast": ends the clients' sessions instead of waiting for them.
        let _ = as_owner(&self.bin.join("pg_ctl"))
            .args(["stop", "-m", "fast", "-w", "-D"])
            .arg(self.dir.join("data"))
            .stdout(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.server.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        say("the throwaway PostgreSQL cluster is stopped and removed");
    }
}
