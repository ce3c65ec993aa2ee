//! The seam between the wasm and its JS shell, as one table: the kinds of report the shell delivers
//! (`deliver(kind, seq, data)`) and the merchant-facing notices (DOM event `wallet-checkout:{event}`
//! and callback `on…`). The JS files spell them too; a host test reads them and checks they agree.

/// What a delivery reports; the number is the one `www/shell.js` sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// The answer to request `seq`: `{ status, json, ms }`, or `{ failed }` with why it has none.
    Answer,
    /// One `session` event of stream `seq` (its text).
    Message,
    /// Stream `seq` ended or failed (why).
    Ended,
    /// The clock (`shell.clock(delay)`: one tick, set again after each step while a session is pending).
    Tick,
    Hidden,
    Visible,
    /// The in-app bridge answered (its raw answer), or is missing (null).
    Bridge,
    /// A copy finished: `seq` is 1 if it worked, `data` the text.
    Copied,
    /// The counter's field read a code (`data`, its text: typed, a scanner's, or the camera's).
    Scanned,
}

/// Every report with the constant's name in `www/shell.js`, in number order.
pub const REPORTS: [(Report, &str); 9] = [
    (Report::Answer, "ANSWER"),
    (Report::Message, "MESSAGE"),
    (Report::Ended, "ENDED"),
    (Report::Tick, "TICK"),
    (Report::Hidden, "HIDDEN"),
    (Report::Visible, "VISIBLE"),
    (Report::Bridge, "BRIDGE"),
    (Report::Copied, "COPIED"),
    (Report::Scanned, "SCANNED"),
];

impl Report {
    pub fn from_u32(n: u32) -> Option<Report> {
        REPORTS.get(n as usize).map(|(r, _)| *r)
    }
}

/// What the merchant hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    StateChange,
    Success,
    Failure,
    Expire,
    Cancel,
    Error,
}

/// Every notice: the event's name (after `wallet-checkout:`) and the callback's option name.
pub const NOTICES: [(Notice, &str, &str); 6] = [
    (Notice::StateChange, "statechange", "onStateChange"),
    (Notice::Success, "success", "onSuccess"),
    (Notice::Failure, "failure", "onFailure"),
    (Notice::Expire, "expire", "onExpire"),
    (Notice::Cancel, "cancel", "onCancel"),
    (Notice::Error, "error", "onError"),
];

impl Notice {
    /// The event's name, which the shell also maps to the callback.
    pub fn event(self) -> &'static str {
        NOTICES
            .iter()
            .find(|(n, _, _)| *n == self)
            .map_or("error", |(_, e, _)| e)
    }
}

/// Who reads a mount option the widget accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The widget (`web/options.rs` checks it; the iframe page passes it on).
    Widget,
    /// A callback: checked by the widget, called by the shell; it never crosses into a frame.
    Callback,
}

/// The mount options, once. `OPTIONS` are the widget's (the wasm carries only these);
/// `EMBEDDING_OPTIONS` are read by the embedding layer alone (`www/core.js`), never by the wasm;
/// `ATTRIBUTES` are `<wallet-checkout>`'s attributes and the option each sets. A host test holds
/// `www/core.js` (`ATTRIBUTES`, `FRAME_ONLY`) and `www/index.d.ts` (`CheckoutOptions`) to them.
pub const OPTIONS: [(&str, Reach); 14] = [
    ("order", Reach::Widget),
    ("clientSecret", Reach::Widget),
    ("endpoint", Reach::Widget),
    ("wallets", Reach::Widget),
    ("flow", Reach::Widget),
    ("locale", Reach::Widget),
    ("returnUrl", Reach::Widget),
    ("inStore", Reach::Widget),
    ("onSuccess", Reach::Callback),
    ("onFailure", Reach::Callback),
    ("onExpire", Reach::Callback),
    ("onCancel", Reach::Callback),
    ("onError", Reach::Callback),
    ("onStateChange", Reach::Callback),
];

/// See `OPTIONS`.
pub const EMBEDDING_OPTIONS: [&str; 3] = ["mode", "frame", "title"];

/// See `OPTIONS`: (attribute, option).
pub const ATTRIBUTES: [(&str, &str); 10] = [
    ("endpoint", "endpoint"),
    ("order", "order"),
    ("client-secret", "clientSecret"),
    ("wallets", "wallets"),
    ("flow", "flow"),
    ("locale", "locale"),
    ("return-url", "returnUrl"),
    ("in-store", "inStore"),
    ("mode", "mode"),
    ("frame", "frame"),
];

#[cfg(test)]
mod tests {
    use super::*;

    const SHELL: &str = include_str!("../www/shell.js");
    const CORE: &str = include_str!("../www/core.js");
    const FRAME: &str = include_str!("../www/frame.js");
    const TYPES: &str = include_str!("../www/index.d.ts");

    /// `const NAME = value;` at the start of a line of `js`.
    fn constant<'a>(js: &'a str, name: &str) -> Option<&'a str> {
        js.lines().find_map(|l| {
            l.strip_prefix(&format!("const {name} = "))
                .and_then(|rest| rest.split(';').next())
        })
    }

    /// The `"a": "b"` / `a: "b"` pairs of an object literal, or the strings of an array literal.
    fn literal_strings(text: &str) -> Vec<String> {
        text.split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_shell_numbers_every_report_as_rust_reads_it() {
        for (n, (report, name)) in REPORTS.iter().enumerate() {
            assert_eq!(
                constant(SHELL, name),
                Some(n.to_string().as_str()),
                "www/shell.js: const {name}"
            );
            assert_eq!(Report::from_u32(n as u32), Some(*report));
        }
        assert_eq!(Report::from_u32(REPORTS.len() as u32), None);
    }

    #[test]
    fn every_js_file_names_the_same_events_and_callbacks() {
        let pairs: Vec<String> = NOTICES
            .iter()
            .flat_map(|(_, e, c)| [e.to_string(), c.to_string()])
            .collect();
        let mut want_pairs = pairs.clone();
        want_pairs.sort();
        for (file, js, name) in [
            ("shell.js", SHELL, "CALLBACKS"),
            ("core.js", CORE, "EVENTS"),
        ] {
            let text = constant(js, name).unwrap_or_else(|| panic!("{file}: no const {name}"));
            // Written as `event: "onCallback"`: keys bare, values quoted.
            let mut got: Vec<String> = text
                .trim_matches(|c| c == '{' || c == '}' || c == ' ')
                .split(',')
                .flat_map(|kv| {
                    kv.split(':')
                        .map(|p| p.trim().trim_matches('"').to_string())
                        .collect::<Vec<_>>()
                })
                .filter(|s| !s.is_empty())
                .collect();
            got.sort();
            assert_eq!(got, want_pairs, "www/{file}: {name}");
        }
        let mut frame = literal_strings(constant(FRAME, "NAMES").expect("frame.js: NAMES"));
        frame.sort();
        let mut events: Vec<String> = NOTICES.iter().map(|(_, e, _)| e.to_string()).collect();
        events.sort();
        assert_eq!(frame, events, "www/frame.js: NAMES");
        for (_, event, callback) in NOTICES {
            assert!(
                TYPES.contains(&format!("\"wallet-checkout:{event}\"")),
                "index.d.ts lacks wallet-checkout:{event}"
            );
            assert!(
                TYPES.contains(&format!("{callback}?:")),
                "index.d.ts lacks {callback}"
            );
        }
    }

    #[test]
    fn the_options_shape_is_written_once() {
        // index.d.ts: `CheckoutOptions`'s fields are the widget's options then the embedding
        // layer's, in the tables' order.
        let body = TYPES
            .split("export interface CheckoutOptions {")
            .nth(1)
            .and_then(|rest| rest.split("\n}").next())
            .expect("index.d.ts: interface CheckoutOptions");
        let fields: Vec<&str> = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("/**") && !l.starts_with('*') && !l.is_empty())
            .filter_map(|l| l.split([':', '?']).next())
            .collect();
        let names: Vec<&str> = OPTIONS
            .iter()
            .map(|(n, _)| *n)
            .chain(EMBEDDING_OPTIONS)
            .collect();
        assert_eq!(fields, names, "www/index.d.ts: CheckoutOptions");
        // core.js: `ATTRIBUTES`, pair by pair (keys bare or quoted, values quoted), and every
        // option it sets is one of the tables'.
        let text = constant(CORE, "ATTRIBUTES").expect("core.js: ATTRIBUTES");
        let pairs: Vec<(String, String)> = text
            .trim_matches(|c| c == '{' || c == '}' || c == ' ')
            .split(',')
            .filter_map(|kv| {
                let (k, v) = kv.split_once(':')?;
                Some((
                    k.trim().trim_matches('"').to_string(),
                    v.trim().trim_matches('"').to_string(),
                ))
            })
            .collect();
        let want: Vec<(String, String)> = ATTRIBUTES
            .iter()
            .map(|(a, o)| (a.to_string(), o.to_string()))
            .collect();
        assert_eq!(pairs, want, "www/core.js: ATTRIBUTES");
        for (_, option) in ATTRIBUTES {
            assert!(names.contains(&option), "{option} is an option");
        }
        assert_eq!(
            literal_strings(constant(CORE, "FRAME_ONLY").expect("core.js: FRAME_ONLY")),
            EMBEDDING_OPTIONS,
            "www/core.js: FRAME_ONLY"
        );
        // The callbacks are the notices' callbacks.
        let mut callbacks: Vec<&str> = OPTIONS
            .iter()
            .filter(|(_, r)| *r == Reach::Callback)
            .map(|(n, _)| *n)
            .collect();
        let mut notices: Vec<&str> = NOTICES.iter().map(|(_, _, c)| *c).collect();
        callbacks.sort();
        notices.sort();
        assert_eq!(callbacks, notices, "every notice has its callback option");
    }
}
