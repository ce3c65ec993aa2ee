//! `printable`: outside text made safe for a log line or a message, the one way a gateway's or a
//! client's words reach a log.

/// Outside text made safe for a log line or an error message: at most 200 characters, control
/// characters (newlines included) and other invisible ones escaped, so nothing a gateway or a
/// client sends can forge a log line, hide in one, or fill the disk.
pub fn printable(text: &str) -> String {
    const MAX: usize = 200;
    let mut out = String::with_capacity(text.len().min(MAX) + 8);
    for (n, c) in text.chars().enumerate() {
        if n == MAX {
            out.push('…');
            break;
        }
        if c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
        {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_cannot_forge_or_flood_a_log_line() {
        assert_eq!(printable("ok"), "ok");
        assert_eq!(
            printable("a\nINFO forged line\r\x1b[31m"),
            "a\\nINFO forged line\\r\\u{1b}[31m"
        );
        assert_eq!(printable("\u{202e}evil"), "\\u{202e}evil");
        let long = "x".repeat(2 * 1024 * 1024);
        assert_eq!(printable(&long).chars().count(), 201);
        assert_eq!(printable("支付宝"), "支付宝");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { failure_persistence: None, ..Default::default() })]
        #[test]
        fn any_text_comes_out_on_one_bounded_line(text in "\\PC*|[\\x00-\\x7f]*") {
            let out = printable(&text);
            proptest::prop_assert!(!out.contains('\n') && !out.contains('\r'));
            proptest::prop_assert!(out.chars().count() <= 201 * 10);
        }
    }
}
