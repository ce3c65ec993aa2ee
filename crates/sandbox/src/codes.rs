//! The shoppers' payment codes the sandbox issues (`POST /sandbox/payment_codes`): each valid for
//! its wallet by the contract's table, and each with the outcome a test or a person chose for it,
//! which the AlphaPay (`OFFLINE`) and Pass2Pay (`*_BAR`) simulators play when a cashier's server
//! sends it. A code the sandbox never issued is refused as a bad code.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Deserialize;

use crate::ledger::random_string;

/// What happens when a cashier's server sends the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Charged at once.
    Paid,
    /// In process until the shopper presses Pay on the order's wallet page.
    Confirm,
    /// Refused as the gateway refuses a bad code.
    Declined,
    /// In process until the order is closed.
    Never,
}

#[derive(Debug, Clone)]
struct Issued {
    outcome: Outcome,
    /// The gateway order made with it (the wallet page's payment), once a cashier sent it.
    payment: Option<String>,
}

/// At most this many codes are kept (the oldest are forgotten first).
const KEEP: usize = 10_000;

#[derive(Debug, Default)]
pub struct Codes {
    issued: Mutex<(HashMap<String, Issued>, std::collections::VecDeque<String>)>,
}

impl Codes {
    /// A new code for `wallet` (`alipay`, `wechat_pay`, `unionpay`) with `outcome`.
    pub fn issue(&self, wallet: &str, outcome: Outcome) -> Option<String> {
        let code = match wallet {
            "wechat_pay" => format!(
                "1{}{}",
                random_string(1, b"012345"),
                random_string(16, b"0123456789")
            ),
            "alipay" => format!("28{}", random_string(16, b"0123456789")),
            "unionpay" => format!("62{}", random_string(17, b"0123456789")),
            _ => return None,
        };
        let mut guard = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *guard;
        if order.len() >= KEEP {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
        map.insert(
            code.clone(),
            Issued {
                outcome,
                payment: None,
            },
        );
        order.push_back(code.clone());
        Some(code)
    }

    /// A cashier sent `code` and the gateway made order `payment` for it: the outcome to play
    /// (`None`: never issued here, or already used, refused as a bad code).
    pub fn spend(&self, code: &str, payment: &str) -> Option<Outcome> {
        let mut guard = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        let issued = guard.0.get_mut(code)?;
        if issued.payment.is_some() {
            return None;
        }
        issued.payment = Some(payment.to_string());
        Some(issued.outcome)
    }

    /// Whether the sandbox issued `code`, and the order made with it so far.
    pub fn payment_of(&self, code: &str) -> Option<Option<String>> {
        let guard = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.get(code).map(|i| i.payment.clone())
    }
}
