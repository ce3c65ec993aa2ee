//! Where secrets come from (`Secrets`: the process environment, or names held in memory for the
//! demo's made-up keys), and the error a config or a secret can be. Below the config and the
//! sections that name secrets (gateways, webhooks), so neither imports the other.

use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("environment variable {0} is not set (it should hold a secret named in the config)")]
    MissingEnv(String),
    #[error("{0}")]
    Invalid(String),
}

/// Where secrets come from: the names a config gives, resolved.
pub trait Secrets {
    fn secret(&self, name: &str) -> Result<String, ConfigError>;
}

/// The process environment (the production server's only source).
#[derive(Debug, Default, Clone, Copy)]
pub struct Env;

impl Secrets for Env {
    fn secret(&self, name: &str) -> Result<String, ConfigError> {
        secret_from_env(name)
    }
}

/// Named secrets held in memory, the environment for any other name (the demo's made-up keys).
#[derive(Default, Clone)]
pub struct SecretMap(pub BTreeMap<String, String>);

impl std::fmt::Debug for SecretMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: a secret's value never reaches a log.
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Secrets for SecretMap {
    fn secret(&self, name: &str) -> Result<String, ConfigError> {
        match self.0.get(name) {
            Some(v) => Ok(v.clone()),
            None => secret_from_env(name),
        }
    }
}

/// Reads a secret from the environment variable the config names.
pub fn secret_from_env(var: &str) -> Result<String, ConfigError> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::MissingEnv(var.to_string())),
    }
}
