//! The business rules about money and endings, written once and pure: paid twice, what a refund
//! may take, the order's amount lock, a refund's single ending. Each store reads what a rule needs
//! inside its own transaction and asks here, so the rule is one function and the store only keeps
//! it atomic; the service asks the same functions before it calls a gateway.

use wallet_checkout_protocol::{Money, Status};

use crate::core::domain::RefundStatus;

/// A session that just succeeded was paid twice when another session of its order had already
/// succeeded (`order.paid_twice`): `others` are the statuses of the order's other sessions.
pub fn paid_twice(next: Status, others: impl IntoIterator<Item = Status>) -> bool {
    next == Status::Succeeded && others.into_iter().any(|s| s == Status::Succeeded)
}

/// What is left to refund of `paid` (minor units), given the session's refunds so far as
/// (amount, status): every refund not `failed` counts, since one still processing may yet succeed.
pub fn refund_left(paid: u64, refunds: impl IntoIterator<Item = (u64, RefundStatus)>) -> u64 {
    let taken = refunds
        .into_iter()
        .filter(|(_, status)| *status != RefundStatus::Failed)
        .fold(0u64, |sum, (amount, _)| sum.saturating_add(amount));
    paid.saturating_sub(taken)
}

/// A refund of `amount` fits when it is more than nothing and at most what is left; `Err(left)`
/// otherwise.
pub fn refund_fits(
    amount: u64,
    paid: u64,
    refunds: impl IntoIterator<Item = (u64, RefundStatus)>,
) -> Result<(), u64> {
    let left = refund_left(paid, refunds);
    if amount == 0 || amount > left {
        Err(left)
    } else {
        Ok(())
    }
}

/// Once an order has a session its amount is locked: a change to `new` is refused when `current`
/// differs and a session exists. A new session is checked as a session of the order
/// (`has_session` true) with its own amount as `new`.
pub fn amount_locked(current: &Money, new: &Money, has_session: bool) -> bool {
    has_session && current != new
}

/// A refund ends once: only one still `processing` may change.
pub fn refund_may_become(current: RefundStatus, next: RefundStatus) -> bool {
    let _ = next;
    current == RefundStatus::Processing
}

/// The change that ends a refund is the one that tells of it (`refund.succeeded`/`refund.failed`).
pub fn refund_ends(current: RefundStatus, next: RefundStatus) -> bool {
    refund_may_become(current, next) && next != RefundStatus::Processing
}

#[cfg(test)]
mod tests {
    use super::*;
    use RefundStatus::{Failed, Processing, Succeeded};
    use Status::{Cancelled, Expired, Pending};

    fn cad(v: u64) -> Money {
        Money::new(v, "CAD").expect("money")
    }

    #[test]
    fn paid_twice_only_when_another_session_of_the_order_already_succeeded() {
        let cases: &[(Status, &[Status], bool)] = &[
            (Status::Succeeded, &[], false),
            (Status::Succeeded, &[Cancelled, Expired, Pending], false),
            (Status::Succeeded, &[Cancelled, Status::Succeeded], true),
            (Status::Failed, &[Status::Succeeded], false),
            (Expired, &[Status::Succeeded], false),
        ];
        for (next, others, want) in cases {
            assert_eq!(
                paid_twice(*next, others.iter().copied()),
                *want,
                "{next:?} after {others:?}"
            );
        }
    }

    #[test]
    fn a_refund_never_takes_more_than_is_left_and_failed_ones_give_back() {
        type Case<'a> = (u64, u64, &'a [(u64, RefundStatus)], Result<(), u64>);
        let cases: &[Case] = &[
            (1000, 1000, &[], Ok(())),
            (1001, 1000, &[], Err(1000)),
            (0, 1000, &[], Err(1000)),
            (400, 1000, &[(600, Succeeded)], Ok(())),
            (401, 1000, &[(600, Succeeded)], Err(400)),
            (401, 1000, &[(600, Processing)], Err(400)),
            (1000, 1000, &[(600, Failed)], Ok(())),
            (1, 1000, &[(500, Succeeded), (500, Processing)], Err(0)),
            (1, 1000, &[(u64::MAX, Succeeded)], Err(0)),
        ];
        for (amount, paid, refunds, want) in cases {
            assert_eq!(
                refund_fits(*amount, *paid, refunds.iter().copied()),
                *want,
                "{amount} of {paid} after {refunds:?}"
            );
        }
        assert_eq!(refund_left(1000, [(300, Succeeded), (200, Failed)]), 700);
    }

    #[test]
    fn an_orders_amount_is_locked_once_it_has_a_session() {
        let cases = [
            (cad(100), cad(200), false, false),
            (cad(100), cad(200), true, true),
            (cad(100), cad(100), true, false),
            (cad(100), Money::new(100, "EUR").expect("money"), true, true),
        ];
        for (current, new, has_session, want) in cases {
            assert_eq!(
                amount_locked(&current, &new, has_session),
                want,
                "{current} → {new}, session {has_session}"
            );
        }
    }

    #[test]
    fn a_refund_ends_once() {
        let cases = [
            (Processing, Processing, true, false),
            (Processing, Succeeded, true, true),
            (Processing, Failed, true, true),
            (Succeeded, Failed, false, false),
            (Failed, Succeeded, false, false),
            (Succeeded, Processing, false, false),
            (Failed, Failed, false, false),
        ];
        for (current, next, may, ends) in cases {
            assert_eq!(
                refund_may_become(current, next),
                may,
                "{current:?} → {next:?}"
            );
            assert_eq!(refund_ends(current, next), ends, "{current:?} → {next:?}");
        }
    }
}
