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
}

/// Every report with the constant's name in `www/shell.js`, in number order.
pub const REPORTS: [(Report, &str); 8] = [
    (Report::Answer, "ANSWER"),
    (Report::Message, "MESSAGE"),
    (Report::Ended, "ENDED"),
    (Report::Tick, "TICK"),
    (Report::Hidden, "HIDDEN"),
    (Report::Visible, "VISIBLE"),
    (Report::Bridge, "BRIDGE"),
    (Report::Copied, "COPIED"),
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

/// Who reads a mount option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The widget (`web/options.rs` checks it; the iframe page passes it on).
    Widget,
    /// A callback: checked by the widget, called by the shell; it never crosses into a frame.
    Callback,
    /// Only the embedding layer (`www/core.js`): how to mount, never seen by the wasm.
    Embedding,
}

/// Every mount option, once: its name, who reads it, and its `<wallet-checkout>` attribute. The
/// widget's checks read this table; a host test holds `www/core.js` (`ATTRIBUTES`, `FRAME_ONLY`)
/// and `www/index.d.ts` (`CheckoutOptions`) to it.
pub const OPTIONS: [(&str, Reach, Option<&str>); 15] = [
    ("order", Reach::Widget, Some("order")),
    ("endpoint", Reach::Widget, Some("endpoint")),
    ("wallets", Reach::Widget, Some("wallets")),
    ("flow", Reach::Widget, Some("flow")),
    ("locale", Reach::Widget, Some("locale")),
    ("returnUrl", Reach::Widget, Some("return-url")),
    ("onSuccess", Reach::Callback, None),
    ("onFailure", Reach::Callback, None),
    ("onExpire", Reach::Callback, None),
    ("onCancel", Reach::Callback, None),
    ("onError", Reach::Callback, None),
    ("onStateChange", Reach::Callback, None),
    ("mode", Reach::Embedding, Some("mode")),
    ("frame", Reach::Embedding, Some("frame")),
    ("title", Reach::Embedding, None),
];

/// The options the widget accepts (the embedding layer takes its own off first).
pub fn widget_options() -> impl Iterator<Item = (&'static str, Reach)> {
    OPTIONS
        .iter()
        .filter(|(_, reach, _)| *reach != Reach::Embedding)
        .map(|(name, reach, _)| (*name, *reach))
}

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
        // index.d.ts: `CheckoutOptions`'s fields are the table's names, in its order.
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
        let names: Vec<&str> = OPTIONS.iter().map(|(n, _, _)| *n).collect();
        assert_eq!(fields, names, "www/index.d.ts: CheckoutOptions");
        // core.js: the attributes and the options only the embedding layer reads.
        let mut attributes = literal_strings(constant(CORE, "ATTRIBUTES").expect("ATTRIBUTES"));
        attributes.sort();
        let mut want: Vec<String> = OPTIONS
            .iter()
            .filter_map(|(n, _, a)| a.map(|a| [a.to_string(), n.to_string()]))
            .flatten()
            .collect();
        // Keys are written bare (`order: "order"`) or quoted (`"return-url": "returnUrl"`): the
        // quoted strings are read above, the bare keys here.
        let bare: Vec<String> = constant(CORE, "ATTRIBUTES")
            .expect("ATTRIBUTES")
            .trim_matches(|c| c == '{' || c == '}' || c == ' ')
            .split(',')
            .filter_map(|kv| kv.split(':').next())
            .map(|k| k.trim().to_string())
            .filter(|k| !k.starts_with('"'))
            .collect();
        attributes.extend(bare);
        attributes.sort();
        want.sort();
        assert_eq!(attributes, want, "www/core.js: ATTRIBUTES");
        let mut frame_only = literal_strings(constant(CORE, "FRAME_ONLY").expect("FRAME_ONLY"));
        frame_only.sort();
        let mut embedding: Vec<String> = OPTIONS
            .iter()
            .filter(|(_, r, _)| *r == Reach::Embedding)
            .map(|(n, _, _)| n.to_string())
            .collect();
        embedding.sort();
        assert_eq!(frame_only, embedding, "www/core.js: FRAME_ONLY");
        // The callbacks are the notices' callbacks.
        let mut callbacks: Vec<&str> = OPTIONS
            .iter()
            .filter(|(_, r, _)| *r == Reach::Callback)
            .map(|(n, _, _)| *n)
            .collect();
        let mut notices: Vec<&str> = NOTICES.iter().map(|(_, _, c)| *c).collect();
        callbacks.sort();
        notices.sort();
        assert_eq!(callbacks, notices, "every notice has its callback option");
    }
}
