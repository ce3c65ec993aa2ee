//! What the widget shows for a state, as plain data: the words, which controls are there and what
//! they do. Pure, so every state's screen is tested on the host; the view only binds it to one
//! fixed template (one template instead of a tree per state keeps the wasm small).

use wallet_checkout_protocol::{
    Action, ErrorCode, FailureCode, Flow, Money, QrMatrix, Status, Wallet,
};

use crate::i18n::Texts;
use crate::machine::{BridgeOutcome, Event, Pending, State};
use crate::time::{countdown, spoken_mark};

/// What the page around the widget provides: the words, the device's flow, the amount in the
/// shopper's language (`Intl` in the browser) and which URLs the shopper may be sent to.
#[derive(Clone, Copy)]
pub struct Look {
    pub texts: &'static Texts,
    pub lang: &'static str,
    pub flow: Flow,
    pub amount: fn(&Money, &str) -> String,
    pub safe_url: fn(&str) -> bool,
}

/// What the primary button sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Press {
    NewCode,
    Retry,
    Pay,
}

impl Press {
    pub fn event(self) -> Event {
        match self {
            Press::NewCode => Event::NewCodePressed,
            Press::Retry => Event::RetryPressed,
            Press::Pay => Event::PayPressed,
        }
    }
}

/// A link that hands the shopper over (`target="_top"`); `pays` tells the machine too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub text: String,
    pub pays: bool,
}

/// The widget's content for one state. Empty fields are not shown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Screen {
    /// The wallet buttons are hidden once paid, and not pressable while a request is out.
    pub wallets_hidden: bool,
    pub busy: bool,
    pub chosen: Option<Wallet>,
    /// The body's class (`wc-pending`, `wc-done`, `wc-error`), empty when there is no body.
    pub body: &'static str,
    /// The success tick.
    pub tick: bool,
    pub amount: Option<String>,
    /// The QR to draw (the server's matrix of its content), and the accessible name of the picture.
    pub qr: Option<QrMatrix>,
    pub qr_label: String,
    /// The gateway's own picture (a data URL or a safe URL), drawn only when there is no matrix
    /// (no content, or too long to encode).
    pub qr_image: Option<String>,
    /// A phone's bigger QR.
    pub qr_big: bool,
    pub hint: Option<String>,
    pub link: Option<Link>,
    /// The payment link the **Copy** button copies.
    pub copy: Option<String>,
    pub primary: Option<(String, Press)>,
    /// The countdown (`mm:ss`) and its spoken mark.
    pub timer: Option<(String, String)>,
    pub cancel: bool,
    pub status: String,
    /// The counter (flow `payment_code`): the payment-code field is there (it replaces the wallet
    /// buttons), with `note` saying why the last code did not pay (`"declined"`, `"invalid"`;
    /// `www/counter.js` words it).
    pub code: bool,
    pub note: &'static str,
}

const IMAGE_PREFIXES: [&str; 3] = [
    "data:image/png;base64,",
    "data:image/jpeg;base64,",
    "data:image/gif;base64,",
];

pub fn screen(state: &State, look: &Look) -> Screen {
    let texts = look.texts;
    let mut s = Screen {
        wallets_hidden: matches!(state, State::Done(s) if s.status == Status::Succeeded),
        busy: matches!(
            state,
            State::Creating { .. }
                | State::Confirming { .. }
                | State::Cancelling(_)
                | State::Renewing { .. }
        ),
        chosen: match state {
            State::Creating { wallet, .. } => Some(*wallet),
            _ => state.session().map(|s| s.wallet),
        },
        status: status(state, texts, look.flow),
        ..Screen::default()
    };
    match state {
        State::Pending(p) => pending(&mut s, p, look),
        State::Done(d) if d.status == Status::Succeeded => {
            s.body = "wc-done wc-success";
            s.tick = true;
            s.amount = Some((look.amount)(&d.amount, look.lang));
        }
        State::Done(d) => {
            s.body = "wc-done";
            let label = if d.status == Status::Expired {
                texts.new_code
            } else {
                texts.try_again
            };
            s.primary = Some((label.into(), Press::NewCode));
        }
        State::Error { failure, .. } => {
            s.body = "wc-error";
            // Refused for this order or wallet: the same again fails the same way; the next step
            // is another wallet (the buttons above). Anything else: **Retry**.
            let another = matches!(
                failure.code,
                Some(ErrorCode::GatewayRefused | ErrorCode::WalletUnavailable)
            );
            if !another {
                s.primary = Some((texts.retry.into(), Press::Retry));
            }
        }
        _ => {}
    }
    if look.flow == Flow::PaymentCode {
        counter(&mut s, state);
        s.note = counter_note(state);
    }
    s
}

/// Why the last code at a counter did not pay: `"declined"` (the wallet refused it), `"invalid"`
/// (no wallet's code), or `""`.
pub fn counter_note(state: &State) -> &'static str {
    match state {
        State::Done(d)
            if d.failure.as_ref().map(|f| f.code) == Some(FailureCode::PaymentCodeDeclined) =>
        {
            "declined"
        }
        State::Error { failure, .. } if failure.code == Some(ErrorCode::PaymentCodeInvalid) => {
            "invalid"
        }
        _ => "",
    }
}

/// The cashier's screen: no wallet buttons (the code tells the wallet); the field whenever a new
/// code may be scanned, with why the last one did not pay; no countdown; success large.
fn counter(s: &mut Screen, state: &State) {
    s.wallets_hidden = true;
    s.timer = None;
    match state {
        State::Choosing | State::Creating { .. } => s.code = true,
        State::Done(d) if d.status == Status::Succeeded => s.body = "wc-done wc-success wc-large",
        State::Done(_) => {
            s.code = true;
            s.primary = None;
        }
        State::Error { failure, .. } => {
            s.code = true;
            if failure.code == Some(ErrorCode::PaymentCodeInvalid) {
                s.primary = None;
            }
        }
        _ => {}
    }
}

fn pending(s: &mut Screen, p: &Pending, look: &Look) {
    let texts = look.texts;
    let wallet: Wallet = p.session.wallet;
    s.body = "wc-pending";
    s.amount = Some((look.amount)(&p.session.amount, look.lang));
    if p.expired_locally() {
        // The code is dead; the server still has the last word (a late payment wins).
        s.primary = Some((texts.new_code.into(), Press::NewCode));
        return;
    }
    s.cancel = true;
    s.timer = p
        .remaining_secs()
        .map(|secs| (countdown(secs), texts.spoken(spoken_mark(secs))));
    let on_phone = look.flow != Flow::Qr;
    let safe = look.safe_url;
    match &p.session.action {
        Some(Action::Qr {
            content,
            matrix,
            image,
            url,
        }) => {
            s.qr = matrix.clone();
            s.qr_big = on_phone;
            s.qr_label = format!(
                "{} {} · {}",
                texts.qr_label,
                s.amount.as_deref().unwrap_or_default(),
                texts.name(wallet)
            );
            // A data URL, or a picture the gateway hosts at a safe URL.
            s.qr_image = image
                .clone()
                .filter(|i| IMAGE_PREFIXES.iter().any(|p| i.starts_with(p)) || safe(i));
            if !on_phone {
                s.hint = Some(texts.fill(texts.scan_with, wallet));
                return;
            }
            // On a phone a QR needs saving and scanning from the album, or the link.
            let blocked = look.flow == Flow::WechatInApp && wallet == Wallet::Alipay;
            s.hint = Some(if blocked {
                texts.blocked_in_wechat.into()
            } else {
                texts.fill(texts.save_and_scan, wallet)
            });
            let url = url.clone().filter(|u| safe(u));
            // Alipay's own link is as blocked inside WeChat as its pages: no "Open Alipay" there.
            s.link = url.clone().filter(|_| !blocked).map(|href| Link {
                href,
                text: texts.fill(texts.open_app, wallet),
                pays: false,
            });
            s.copy = url.or_else(|| content.clone());
        }
        // The automatic hand-over already started; the link is there if it was blocked, and for
        // a shopper who came back without paying.
        Some(Action::Redirect { url }) if safe(url) => {
            s.link = Some(Link {
                href: url.clone(),
                text: texts.fill(texts.continue_to, wallet),
                pays: true,
            });
        }
        // A gateway's form is rebuilt from its fields by the runtime; its HTML never reaches the page.
        Some(Action::Form { url, .. }) if safe(url) => {
            s.primary = Some((texts.fill(texts.continue_to, wallet), Press::Pay));
        }
        Some(Action::WechatJsapi { .. } | Action::AlipayJsapi { .. }) => {
            let note = match p.bridge {
                Some(BridgeOutcome::Cancelled | BridgeOutcome::Failed) => texts.bridge_closed,
                Some(BridgeOutcome::Unavailable) => texts.bridge_missing,
                _ => return,
            };
            s.hint = Some(texts.fill(note, wallet));
            s.primary = Some((texts.fill(texts.pay_in, wallet), Press::Pay));
        }
        // The shopper confirms on their own phone: nothing to press here but Cancel.
        Some(Action::Wait) => {}
        _ => s.hint = Some(texts.unsupported.into()),
    }
}

fn status(state: &State, texts: &Texts, flow: Flow) -> String {
    let text = match state {
        State::Choosing => "",
        State::Creating { .. } | State::Renewing { .. } => texts.preparing,
        State::Confirming { .. } => texts.confirming,
        State::Cancelling(_) => texts.cancelling,
        State::Pending(p) if p.expired_locally() => texts.expired,
        State::Pending(p) => match (&p.session.action, p.bridge) {
            (Some(Action::Wait), _) => texts.confirm_on_phone,
            (_, Some(BridgeOutcome::Ok)) => texts.confirming,
            (Some(Action::Redirect { .. } | Action::Form { .. }), _) if p.returned => {
                texts.confirming
            }
            (
                Some(
                    Action::Redirect { .. }
                    | Action::Form { .. }
                    | Action::WechatJsapi { .. }
                    | Action::AlipayJsapi { .. },
                ),
                None,
            ) => return texts.fill(texts.opening, p.session.wallet),
            _ => texts.waiting,
        },
        State::Done(s) => match s.status {
            Status::Succeeded => texts.success,
            Status::Failed => texts.failed,
            // At a counter the wait for the shopper's phone ran out: not a QR that expired.
            Status::Expired if flow == Flow::PaymentCode => texts.failed,
            Status::Expired => texts.expired,
            Status::Cancelled => texts.cancelled,
            Status::Pending => texts.waiting,
        },
        State::Error { failure, .. } => texts.failure(failure.kind, failure.code),
    };
    text.into()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use wallet_checkout_protocol::{ErrorCode, Session};

    use super::*;
    use crate::i18n::EN;
    use crate::machine::{ErrorKind, Failure, Retry};

    const NOW: i64 = 1_700_000_000_000; // 2023-11-14T22:13:20Z, five minutes before expiry

    fn look(flow: Flow) -> Look {
        Look {
            texts: &EN,
            lang: "en",
            flow,
            amount: |m, _| format!("{} {}", m.to_decimal(), m.currency.as_str()),
            safe_url: |u| u.starts_with("https://"),
        }
    }

    fn session(wallet: Wallet, status: Status, action: Option<Action>) -> Session {
        crate::machine::fixtures::session("cs_1", wallet, status, action)
    }

    fn pending(wallet: Wallet, action: Action, now_ms: i64) -> State {
        let session = session(wallet, Status::Pending, Some(action));
        let mut p = crate::machine::follow_parts(session, NOW);
        p.now_ms = now_ms;
        State::Pending(p)
    }

    #[test]
    fn the_counter_shows_the_code_field_instead_of_wallets_and_says_why_a_code_did_not_pay() {
        let counter = look(Flow::PaymentCode);
        let t = counter.texts;
        let s = screen(&State::Choosing, &counter);
        assert!(s.code && s.wallets_hidden && s.primary.is_none() && s.note.is_empty());
        let creating = State::Creating {
            wallet: Wallet::Alipay,
            attempt: 1,
        };
        let s = screen(&creating, &counter);
        assert!(
            s.code && s.busy,
            "the field stays, not pressable while asking"
        );

        let s = screen(&pending(Wallet::Alipay, Action::Wait, NOW), &counter);
        assert_eq!(s.status, t.confirm_on_phone);
        assert!(s.cancel && !s.code && s.timer.is_none() && s.qr.is_none());
        assert!(s.amount.is_some());

        let mut declined = session(Wallet::Alipay, Status::Failed, None);
        declined.failure = Some(wallet_checkout_protocol::Failure {
            code: FailureCode::PaymentCodeDeclined,
        });
        let s = screen(&State::Done(declined), &counter);
        assert!(s.code && s.primary.is_none());
        assert_eq!(s.note, "declined");
        let s = screen(
            &State::Done(session(Wallet::Alipay, Status::Expired, None)),
            &counter,
        );
        assert_eq!(s.status, t.failed, "the wait ran out: no QR expired here");

        let invalid = State::Error {
            failure: Failure::api(ErrorCode::PaymentCodeInvalid, "no"),
            retry: Retry::Create {
                wallet: Wallet::Alipay,
                attempt: 1,
            },
        };
        let s = screen(&invalid, &counter);
        assert!(s.code && s.primary.is_none());
        assert_eq!(s.note, "invalid");

        let s = screen(
            &State::Done(session(Wallet::Alipay, Status::Succeeded, None)),
            &counter,
        );
        assert!(s.body.contains("wc-large") && s.tick && !s.code);
        // Online flows never show the field.
        assert!(!screen(&State::Choosing, &look(Flow::Qr)).code);
    }

    fn qr(url: Option<&str>) -> Action {
        Action::Qr {
            content: Some("https://qr.alipay.com/x".into()),
            matrix: Some(QrMatrix {
                size: 21,
                dark: "0".repeat(112),
            }),
            image: Some("javascript:alert(1)".into()),
            url: url.map(Into::into),
        }
    }

    #[test]
    fn choosing_shows_only_the_wallets() {
        let s = screen(&State::Choosing, &look(Flow::Qr));
        assert_eq!(
            s,
            Screen::default(),
            "no body, no status, wallets pressable"
        );
    }

    #[test]
    fn a_desktop_qr_has_amount_code_hint_timer_and_cancel() {
        let s = screen(&pending(Wallet::Alipay, qr(None), NOW), &look(Flow::Qr));
        assert_eq!(s.body, "wc-pending");
        assert_eq!(s.amount.as_deref(), Some("12.34 CAD"));
        assert_eq!(
            s.qr.as_ref().map(|m| m.size),
            Some(21),
            "the server's matrix"
        );
        assert_eq!(s.qr_label, "QR code to pay 12.34 CAD · Alipay");
        assert_eq!(s.qr_image, None, "only data: images are drawn");
        assert!(!s.qr_big);
        assert_eq!(s.hint.as_deref(), Some("Scan with Alipay"));
        assert_eq!(s.link, None);
        assert_eq!(s.copy, None, "no copy button on a desktop");
        assert_eq!(
            s.timer,
            Some(("05:00".into(), "The code expires in 5 minutes.".into()))
        );
        assert!(s.cancel);
        assert_eq!(s.status, "Waiting for payment…");
        assert_eq!(s.chosen, Some(Wallet::Alipay));
        assert!(!s.busy && !s.wallets_hidden);
    }

    #[test]
    fn a_phone_qr_offers_the_app_and_the_link_to_copy() {
        let s = screen(
            &pending(
                Wallet::Alipay,
                qr(Some("https://qr.alipay.com/x?open")),
                NOW,
            ),
            &look(Flow::Redirect),
        );
        assert!(s.qr_big);
        assert_eq!(
            s.link,
            Some(Link {
                href: "https://qr.alipay.com/x?open".into(),
                text: "Open Alipay".into(),
                pays: false,
            })
        );
        assert_eq!(s.copy.as_deref(), Some("https://qr.alipay.com/x?open"));
        // Inside WeChat, Alipay's link is blocked: no link, the payload to copy, the advice.
        let s = screen(
            &pending(
                Wallet::Alipay,
                qr(Some("https://qr.alipay.com/x?open")),
                NOW,
            ),
            &look(Flow::WechatInApp),
        );
        assert_eq!(s.link, None);
        assert!(s
            .hint
            .as_deref()
            .is_some_and(|h| h.starts_with("Alipay does not open inside WeChat")));
        // An unsafe link is neither opened nor copied: the payload is.
        let s = screen(
            &pending(Wallet::WechatPay, qr(Some("javascript:alert(1)")), NOW),
            &look(Flow::Redirect),
        );
        assert_eq!(s.link, None);
        assert_eq!(s.copy.as_deref(), Some("https://qr.alipay.com/x"));
    }

    #[test]
    fn a_countdown_at_zero_offers_a_new_code_only() {
        let s = screen(
            &pending(Wallet::Alipay, qr(None), NOW + 300_000),
            &look(Flow::Qr),
        );
        assert_eq!(s.primary, Some(("Get a new code".into(), Press::NewCode)));
        assert_eq!((s.qr, s.timer, s.cancel), (None, None, false));
        assert_eq!(s.status, "QR code expired");
    }

    #[test]
    fn redirects_and_forms_continue_only_to_safe_urls() {
        let redirect = |url: &str| Action::Redirect { url: url.into() };
        let s = screen(
            &pending(Wallet::Alipay, redirect("https://pay.example/h5"), NOW),
            &look(Flow::Redirect),
        );
        assert_eq!(
            s.link.map(|l| (l.text, l.pays)),
            Some(("Continue to Alipay".into(), true))
        );
        assert_eq!(s.status, "Opening Alipay…");
        let s = screen(
            &pending(Wallet::Alipay, redirect("javascript:alert(1)"), NOW),
            &look(Flow::Redirect),
        );
        assert_eq!(s.link, None);
        assert_eq!(
            s.hint.as_deref(),
            Some("This device cannot make this payment.")
        );
        let form = Action::Form {
            url: "https://pay.example/form".into(),
            fields: BTreeMap::from([("a".to_string(), "1".to_string())]),
        };
        let s = screen(&pending(Wallet::Unionpay, form, NOW), &look(Flow::Redirect));
        assert_eq!(s.primary, Some(("Continue to UnionPay".into(), Press::Pay)));
        assert_eq!(Press::Pay.event(), Event::PayPressed);
    }

    #[test]
    fn a_closed_bridge_offers_to_pay_again() {
        let wechat = Action::AlipayJsapi {
            trade_no: "T1".into(),
        };
        let mut state = pending(Wallet::Alipay, wechat, NOW);
        assert_eq!(screen(&state, &look(Flow::AlipayInApp)).primary, None);
        if let State::Pending(p) = &mut state {
            p.bridge = Some(crate::machine::BridgeOutcome::Cancelled);
        }
        let s = screen(&state, &look(Flow::AlipayInApp));
        assert_eq!(
            s.hint.as_deref(),
            Some("The payment was not completed in Alipay.")
        );
        assert_eq!(s.primary, Some(("Pay with Alipay".into(), Press::Pay)));
        assert_eq!(s.status, "Waiting for payment…");
    }

    #[test]
    fn outcomes() {
        let done = |status| State::Done(session(Wallet::WechatPay, status, None));
        let s = screen(&done(Status::Succeeded), &look(Flow::Qr));
        assert!(s.tick && s.wallets_hidden);
        assert_eq!(
            (s.body, s.amount.as_deref(), s.primary),
            ("wc-done wc-success", Some("12.34 CAD"), None)
        );
        assert_eq!(s.status, "Payment successful");
        let s = screen(&done(Status::Expired), &look(Flow::Qr));
        assert_eq!(s.primary, Some(("Get a new code".into(), Press::NewCode)));
        let s = screen(&done(Status::Failed), &look(Flow::Qr));
        assert_eq!(s.primary, Some(("Try again".into(), Press::NewCode)));
        assert!(!s.wallets_hidden, "another wallet may be tried");
        let error = State::Error {
            failure: Failure::api(ErrorCode::OrderAlreadyPaid, "paid"),
            retry: Retry::Create {
                wallet: Wallet::Alipay,
                attempt: 1,
            },
        };
        let s = screen(&error, &look(Flow::Qr));
        assert_eq!(s.primary, Some(("Retry".into(), Press::Retry)));
        assert_eq!(s.status, "This order is already paid.");
        let network = State::Error {
            failure: Failure::network("down"),
            retry: Retry::Create {
                wallet: Wallet::Alipay,
                attempt: 1,
            },
        };
        assert_eq!(
            screen(&network, &look(Flow::Qr)).status,
            "We could not reach the shop's server."
        );
        assert_eq!(Failure::network("x").kind, ErrorKind::Network);
    }

    #[test]
    fn a_refused_order_or_wallet_points_to_another_wallet_and_a_gateway_error_to_retry() {
        let failed = |code| State::Error {
            failure: Failure::api(code, "from the server"),
            retry: Retry::Create {
                wallet: Wallet::Unionpay,
                attempt: 1,
            },
        };
        for (code, words) in [
            (
                ErrorCode::GatewayRefused,
                "This payment method cannot take this order. Please choose another.",
            ),
            (
                ErrorCode::WalletUnavailable,
                "This payment method is not available right now. Please choose another.",
            ),
        ] {
            let s = screen(&failed(code), &look(Flow::Qr));
            assert_eq!((s.status.as_str(), s.primary), (words, None), "{code:?}");
            assert!(
                !s.wallets_hidden,
                "{code:?}: the other wallets are the next step"
            );
        }
        for (code, words) in [
            (ErrorCode::GatewayError, "The payment could not be started."),
            (
                ErrorCode::OrderUnavailable,
                "The shop could not confirm your order just now. Please try again.",
            ),
        ] {
            let s = screen(&failed(code), &look(Flow::Qr));
            assert_eq!(s.status, words, "{code:?}");
            assert_eq!(s.primary, Some(("Retry".into(), Press::Retry)), "{code:?}");
        }
    }

    #[test]
    fn busy_states_lock_the_wallets() {
        let s = screen(
            &State::Creating {
                wallet: Wallet::Unionpay,
                attempt: 0,
            },
            &look(Flow::Qr),
        );
        assert!(s.busy);
        assert_eq!(s.chosen, Some(Wallet::Unionpay));
        assert_eq!(s.status, "Preparing your payment…");
    }
}
