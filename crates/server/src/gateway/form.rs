//! Turns a gateway's auto-submitting HTML form into a contract `form` action (URL plus fields).
//!
//! The HTML is parsed, never passed on: only the first `<form>`'s `action` and its `<input name value>`
//! pairs leave this module, so nothing a gateway (or an attacker in between) writes can run in the page.

use std::collections::BTreeMap;

/// The `action` URL and the named inputs of the first form in `html`.
pub fn parse(html: &str) -> Option<(String, BTreeMap<String, String>)> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<form")?;
    let end = lower[start..]
        .find("</form>")
        .map_or(html.len(), |e| start + e);
    let form_tag_end = start + lower[start..].find('>')?;
    // `<form action=x </form>`: the tag never closes before the form ends; not a form.
    if form_tag_end >= end {
        return None;
    }
    let action = attribute(&html[start..=form_tag_end], "action")?;
    let mut fields = BTreeMap::new();
    let mut at = form_tag_end;
    while let Some(i) = lower[at..end].find("<input") {
        let tag_start = at + i;
        let tag_end = tag_start + lower[tag_start..end].find('>')?;
        let tag = &html[tag_start..=tag_end];
        if let Some(name) = attribute(tag, "name") {
            fields.insert(name, attribute(tag, "value").unwrap_or_default());
        }
        at = tag_end;
    }
    Some((action, fields))
}

/// An attribute's value in one tag (quoted with `"` or `'`, or bare), entities decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before = lower[..at].chars().last();
        if !before.is_some_and(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let rest = tag[at + name.len()..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let value = match rest.chars().next()? {
            q @ ('"' | '\'') => rest[1..].split(q).next()?,
            _ => rest
                .split(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
                .next()?,
        };
        return Some(decode_entities(value));
    }
    None
}

fn decode_entities(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_alipay_style_auto_submit_form() {
        let html = r#"<form id="alipaysubmit" name="alipaysubmit" action="https://openapi.alipay.com/gateway.do?charset=UTF-8&amp;method=alipay.trade.page.pay" method="POST"><input type="hidden" name="biz_content" value="{&quot;out_trade_no&quot;:&quot;A1&quot;}"/><input type='hidden' name='sign' value='a+b/c='><input type="submit" value="ok" style="display:none"></form><script>document.forms[0].submit();</script>"#;
        let (action, fields) = parse(html).expect("parses");
        assert_eq!(
            action,
            "https://openapi.alipay.com/gateway.do?charset=UTF-8&method=alipay.trade.page.pay"
        );
        assert_eq!(fields["biz_content"], r#"{"out_trade_no":"A1"}"#);
        assert_eq!(fields["sign"], "a+b/c=");
        assert_eq!(fields.len(), 2, "the unnamed submit input is not a field");
    }

    #[test]
    fn refuses_what_is_not_a_form() {
        assert!(parse("<p>hello</p>").is_none());
        assert!(parse("<form method=post></form>").is_none());
        assert!(parse("").is_none());
        assert!(parse("<form action=x </form>").is_none(), "used to panic");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, failure_persistence: None, ..Default::default() })]
        #[test]
        fn never_panics_on_any_text(html in "\\PC*") {
            let _ = parse(&html);
        }

        #[test]
        fn never_panics_on_form_shaped_text(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "<form", "</form>", "<input", ">", "/>", " action=", " name=", " value=",
                    "\"", "'", "=", " ", "x", "&amp;", "é", "<FORM", "ACTION", "\u{0}",
                ]),
                0..40,
            )
        ) {
            let _ = parse(&parts.concat());
        }
    }
}
