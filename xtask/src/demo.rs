//! `cargo xtask demo`: install, build the widget, and serve shop + merchant server + sandbox on one port.

use std::process::Command;

use crate::run::{root, say};
use crate::tools;

pub fn run(extra: &[String]) -> Result<(), String> {
    let extra: Vec<&String> = extra.iter().filter(|a| a.as_str() != "--").collect();
    tools::ensure_build_tools()?;
    crate::dist::build()?;
    let server = tools::build_demo()?;
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    say(&format!(
        "starting the demo on http://127.0.0.1:{port}/ (Ctrl-C stops it); the till (a shop's counter) is \
         http://127.0.0.1:{port}/cashier.html, the customer's phone http://127.0.0.1:{port}/sandbox/phone, and the \
         staff's console http://127.0.0.1:{port}/console/ (its token is printed below, new at each start)"
    ));
    let status = Command::new(server)
        .arg("--site")
        .arg(root().join("dist"))
        .args(extra)
        .env("PORT", port)
        .status()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the server stopped: {status}"))
    }
}
