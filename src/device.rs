//! Device → flow: one small function over the user agent and touch/width hints.

use wallet_checkout_protocol::Flow;

/// What the page knows about the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hints<'a> {
    pub user_agent: &'a str,
    /// `navigator.maxTouchPoints > 0`.
    pub touch: bool,
    /// The viewport's width in CSS pixels.
    pub width: u32,
}

/// An Alipay mini program's `<web-view>` (its user agent names both `AlipayClient` and
/// `MiniProgram`): the flow is still `alipay_in_app`, but `tradePay` is the mini program's to call.
pub fn alipay_mini_program(user_agent: &str) -> bool {
    user_agent.contains("AlipayClient") && user_agent.contains("MiniProgram")
}

/// Inside WeChat or Alipay the in-app bridge; on a phone the H5 redirect; otherwise a QR.
pub fn detect(h: Hints<'_>) -> Flow {
    let ua = h.user_agent;
    if ua.contains("MicroMessenger") {
        return Flow::WechatInApp;
    }
    if ua.contains("AlipayClient") {
        return Flow::AlipayInApp;
    }
    let mobile_ua = [
        "iPhone",
        "iPod",
        "Android",
        "Mobile",
        "HarmonyOS",
        "Windows Phone",
    ]
    .iter()
    .any(|m| ua.contains(m));
    // iPadOS reports a desktop Safari UA; a touch screen that narrow is a phone whatever it says.
    if mobile_ua || (h.touch && h.width <= 820) {
        Flow::Redirect
    } else {
        Flow::Qr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ua: &str, touch: bool, width: u32, want: Flow) {
        assert_eq!(
            detect(Hints {
                user_agent: ua,
                touch,
                width
            }),
            want,
            "{ua}"
        );
    }

    #[test]
    fn user_agents_map_to_flows() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        check(chrome, false, 1280, Flow::Qr);
        check(iphone, true, 390, Flow::Redirect);
        check(
            &format!("{iphone} MicroMessenger/8.0.40"),
            true,
            390,
            Flow::WechatInApp,
        );
        check(
            &format!("{iphone} AlipayClient/10.5.0"),
            true,
            390,
            Flow::AlipayInApp,
        );
        check("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36", true, 412, Flow::Redirect);
        // iPadOS in desktop mode: a touch screen, wide → still a QR; narrow → redirect.
        check("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15", true, 1024, Flow::Qr);
        check("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15", true, 700, Flow::Redirect);
        // A touch laptop is not a phone.
        check(chrome, true, 1366, Flow::Qr);
    }

    #[test]
    fn a_mini_program_web_view_is_alipay_in_app_and_known_as_such() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
        let web_view = format!("{iphone} ChannelId(0) Nebula AlipayDefined(nt:WIFI) AliApp(AP/10.5.36) AlipayClient/10.5.36 Language/zh-Hans Region/CN MiniProgram");
        check(&web_view, true, 390, Flow::AlipayInApp);
        assert!(alipay_mini_program(&web_view));
        assert!(!alipay_mini_program(&format!(
            "{iphone} AlipayClient/10.5.36"
        )));
        assert!(!alipay_mini_program(&format!(
            "{iphone} MicroMessenger/8.0 miniProgram"
        )));
    }
}
