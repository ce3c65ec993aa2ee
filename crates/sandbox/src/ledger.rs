//! The sandbox's book of gateway orders, shared by the three simulators and the wallet page.
//!
//! Each simulator keeps its wire format and signing to itself; the ledger only knows the
//! gateway-neutral facts: amount in minor units, state, expiry, refunds, where to notify.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gateway {
    AlphaPay,
    Pass2Pay,
    YabandPay,
}

impl Gateway {
    pub const ALL: [Gateway; 3] = [Gateway::AlphaPay, Gateway::Pass2Pay, Gateway::YabandPay];

    pub fn as_str(self) -> &'static str {
        match self {
            Gateway::AlphaPay => "alphapay",
            Gateway::Pass2Pay => "pass2pay",
            Gateway::YabandPay => "yabandpay",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Gateway::AlphaPay => "AlphaPay",
            Gateway::Pass2Pay => "Pass2Pay",
            Gateway::YabandPay => "YabandPay",
        }
    }

    pub fn parse(s: &str) -> Option<Gateway> {
        Gateway::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Gateway-neutral order state; each simulator maps it to its own wire values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayState {
    Pending,
    Paid,
    Failed,
    /// Expired unpaid (the gateway's own timeout).
    Expired,
    /// Closed or cancelled by the merchant.
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundState {
    Processing,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone)]
pub struct Refund {
    /// The gateway's refund id.
    pub id: String,
    /// The merchant's refund id.
    pub merchant_ref: String,
    pub amount_minor: u64,
    pub state: RefundState,
    pub created: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Payment {
    /// The gateway's own payment id (AlphaPay `paymentId`, Pass2Pay `payOrderId`, YabandPay `trade_id`);
    /// also the id in the wallet page's URL.
    pub id: String,
    pub gateway: Gateway,
    /// The merchant's order id (`paymentRequestId`, `mchOrderNo`, `order_id`).
    pub merchant_ref: String,
    pub amount_minor: u64,
    pub currency: String,
    pub description: String,
    /// What the shopper pays with, as the gateway names it (`Alipay`, `WeChat Pay`, `UnionPay`).
    pub wallet: String,
    /// The gateway's method for this order (`ONLINE_QRCODE`, `ALI_WAP`, `v3.CreateWechatNativePay`, …).
    pub method: String,
    /// Whether the shopper reaches the wallet page by redirect (and should be sent back after paying).
    pub redirect: bool,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
    pub paid_at: Option<OffsetDateTime>,
    pub state: PayState,
    pub refunds: Vec<Refund>,
    /// Wire fields a simulator echoes back (Pass2Pay `appId`, `clientIp`, …).
    pub extra: BTreeMap<String, String>,
    /// Set once the sweeper has announced this order's expiry (a lazy read may expire it first).
    pub expiry_announced: bool,
}

impl Payment {
    pub fn refunded_minor(&self) -> u64 {
        self.refunds
            .iter()
            .filter(|r| r.state != RefundState::Failed)
            .map(|r| r.amount_minor)
            .sum()
    }
}

/// What a settle or close did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Moved,
    /// The order was already in a state that cannot take this (paid, closed, expired).
    NotAllowed(PayState),
}

#[derive(Debug, Default)]
pub struct Ledger {
    payments: Mutex<HashMap<String, Payment>>,
}

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Payment>> {
        self.payments.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an order unless the gateway already has this merchant order id; returns false on a duplicate.
    pub fn insert(&self, payment: Payment) -> bool {
        let mut map = self.lock();
        let duplicate = map
            .values()
            .any(|p| p.gateway == payment.gateway && p.merchant_ref == payment.merchant_ref);
        if duplicate || map.contains_key(&payment.id) {
            return false;
        }
        map.insert(payment.id.clone(), payment);
        true
    }

    /// The order as of `now` (an unpaid order past its expiry is expired).
    pub fn get(&self, id: &str, now: OffsetDateTime) -> Option<Payment> {
        let mut map = self.lock();
        let p = map.get_mut(id)?;
        expire(p, now);
        Some(p.clone())
    }

    /// The order's id for `handle`: its own id, or the trade number a wallet's bridge was given
    /// (`extra["trade_no"]`, YabandPay's mini-program pay).
    pub fn resolve(&self, handle: &str) -> Option<String> {
        let map = self.lock();
        if map.contains_key(handle) {
            return Some(handle.to_string());
        }
        map.values()
            .find(|p| p.extra.get("trade_no").is_some_and(|t| t == handle))
            .map(|p| p.id.clone())
    }

    pub fn find(
        &self,
        gateway: Gateway,
        merchant_ref: &str,
        now: OffsetDateTime,
    ) -> Option<Payment> {
        let id = self
            .lock()
            .values()
            .find(|p| p.gateway == gateway && p.merchant_ref == merchant_ref)
            .map(|p| p.id.clone())?;
        self.get(&id, now)
    }

    /// Applies `f` to the order (after expiry) and returns it.
    pub fn update<T>(
        &self,
        id: &str,
        now: OffsetDateTime,
        f: impl FnOnce(&mut Payment) -> T,
    ) -> Option<(T, Payment)> {
        let mut map = self.lock();
        let p = map.get_mut(id)?;
        expire(p, now);
        let out = f(p);
        Some((out, p.clone()))
    }

    /// The shopper's Pay or Decline on the wallet page.
    pub fn settle(&self, id: &str, pay: bool, now: OffsetDateTime) -> Option<(Change, Payment)> {
        self.update(id, now, |p| {
            if p.state != PayState::Pending {
                return Change::NotAllowed(p.state);
            }
            if pay {
                p.state = PayState::Paid;
                p.paid_at = Some(now);
            } else {
                p.state = PayState::Failed;
            }
            Change::Moved
        })
    }

    /// The merchant closes an unpaid order.
    pub fn close(&self, id: &str, now: OffsetDateTime) -> Option<(Change, Payment)> {
        self.update(id, now, |p| {
            if p.state != PayState::Pending {
                return Change::NotAllowed(p.state);
            }
            p.state = PayState::Cancelled;
            Change::Moved
        })
    }

    /// Unpaid orders that passed their expiry since the last sweep, now marked expired.
    pub fn sweep(&self, now: OffsetDateTime) -> Vec<Payment> {
        let mut out = Vec::new();
        for p in self.lock().values_mut() {
            expire(p, now);
            if p.state == PayState::Expired && !p.expiry_announced {
                p.expiry_announced = true;
                out.push(p.clone());
            }
        }
        out
    }

    /// The first refund of `gateway` matching `wanted`, with its payment (as of `now`).
    pub fn find_refund(
        &self,
        gateway: Gateway,
        wanted: impl Fn(&Refund) -> bool,
    ) -> Option<(Payment, Refund)> {
        let map = self.lock();
        map.values().filter(|p| p.gateway == gateway).find_map(|p| {
            let r = p.refunds.iter().find(|r| wanted(r))?;
            Some((p.clone(), r.clone()))
        })
    }

    pub fn all(&self) -> Vec<Payment> {
        self.lock().values().cloned().collect()
    }
}

fn expire(p: &mut Payment, now: OffsetDateTime) -> bool {
    if p.state == PayState::Pending && now >= p.expires {
        p.state = PayState::Expired;
        return true;
    }
    false
}

/// A random string over `alphabet`.
pub fn random_string(len: usize, alphabet: &[u8]) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

/// A random lowercase UUID v4 string (YabandPay `trade_id`).
pub fn uuid() -> String {
    let h = random_string(32, b"0123456789abcdef");
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Formats minor units as a decimal string with `exponent` digits (the sandbox's own, not the server's).
pub fn decimal(minor: u64, exponent: u32) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(exponent);
    format!(
        "{}.{:0w$}",
        minor / scale,
        minor % scale,
        w = exponent as usize
    )
}

/// Parses a decimal string into minor units, refusing more digits than `exponent`.
pub fn parse_decimal(text: &str, exponent: u32) -> Option<u64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() || frac.len() > exponent as usize || (text.contains('.') && frac.is_empty()) {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits = int.to_string();
    digits.push_str(frac);
    for _ in frac.len()..exponent as usize {
        digits.push('0');
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip_exactly() {
        assert_eq!(decimal(1234, 2), "12.34");
        assert_eq!(decimal(5, 2), "0.05");
        assert_eq!(decimal(500, 0), "500");
        assert_eq!(parse_decimal("12.34", 2), Some(1234));
        assert_eq!(parse_decimal("12.3", 2), Some(1230));
        assert_eq!(parse_decimal("12", 2), Some(1200));
        assert_eq!(parse_decimal("12.345", 2), None);
        assert_eq!(parse_decimal("1.5", 0), None);
        assert_eq!(parse_decimal("-1", 2), None);
        assert_eq!(parse_decimal("1.", 2), None);
    }

    #[test]
    fn uuids_look_like_uuids() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
    }
}
