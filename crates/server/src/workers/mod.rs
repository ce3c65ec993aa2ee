//! The background work: reconciliation (`reconcile.rs`: queries and closes at the gateway what
//! notifications did not settle) and webhook delivery (`webhooks.rs`: the Standard Webhooks signer and
//! the delivery loop). Both call the service and read the store; neither writes a status itself.

pub mod reconcile;
pub mod webhooks;
