//! The console's words in English and Simplified Chinese, the language an `Accept-Language` header
//! picks, and amounts and times written for that language (times in UTC, said so: the page runs no
//! script that could learn the browser's zone).

use wallet_checkout_protocol::{Money, Status};

/// Every word the console shows.
#[derive(Debug)]
pub struct Words {
    pub lang: &'static str,
    pub title: &'static str,
    pub sign_in_heading: &'static str,
    pub admin_token: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub wrong_token: &'static str,
    pub too_many_tries: &'static str,
    pub signed_out_note: &'static str,
    pub nav: &'static str,
    pub payments: &'static str,
    pub webhooks: &'static str,
    pub search: &'static str,
    pub search_hint: &'static str,
    pub status: &'static str,
    pub any_status: &'static str,
    pub apply: &'static str,
    pub order: &'static str,
    pub amount: &'static str,
    pub wallet: &'static str,
    pub gateway: &'static str,
    pub created: &'static str,
    pub next_page: &'static str,
    pub first_page: &'static str,
    pub nothing_found: &'static str,
    pub export_csv: &'static str,
    pub export_from: &'static str,
    pub export_to: &'static str,
    pub times_utc: &'static str,
    pub description: &'static str,
    pub metadata: &'static str,
    pub not_stored: &'static str,
    pub session: &'static str,
    pub timeline: &'static str,
    pub gateway_result: &'static str,
    pub refunds: &'static str,
    pub no_refunds: &'static str,
    pub refund: &'static str,
    pub reason: &'static str,
    pub left_to_refund: &'static str,
    pub refund_done: &'static str,
    pub event_type: &'static str,
    pub delivery: &'static str,
    pub attempts: &'static str,
    pub last_status: &'static str,
    pub retry_now: &'static str,
    pub retry_done: &'static str,
    pub retry_gone: &'static str,
    pub delivered: &'static str,
    pub pending: &'static str,
    pub failed: &'static str,
    pub not_sent: &'static str,
    pub no_webhooks: &'static str,
    pub no_such_order: &'static str,
    pub refused_form: &'static str,
    pub amount_format: &'static str,
}

pub const EN: Words = Words {
    lang: "en",
    title: "wallet-checkout console",
    sign_in_heading: "Sign in",
    admin_token: "Admin token",
    sign_in: "Sign in",
    sign_out: "Sign out",
    wrong_token: "That token is not the admin token.",
    too_many_tries: "Too many tries from your address. Wait a minute, then try again.",
    signed_out_note: "The token is the value of the environment variable [admin] token_env names.",
    nav: "Console",
    payments: "Payments",
    webhooks: "Webhooks",
    search: "Search",
    search_hint: "Order reference, session id or the gateway's id",
    status: "Status",
    any_status: "Any status",
    apply: "Show",
    order: "Order",
    amount: "Amount",
    wallet: "Wallet",
    gateway: "Gateway",
    created: "Created",
    next_page: "Older",
    first_page: "Newest",
    nothing_found: "No payments match.",
    export_csv: "Export CSV",
    export_from: "From",
    export_to: "To",
    times_utc: "Times are UTC.",
    description: "Description",
    metadata: "Metadata",
    not_stored: "This order was not stored by the shop's backend (it came from the order lookup or the demo); its sessions are shown.",
    session: "Session",
    timeline: "Timeline",
    gateway_result: "Gateway's last code",
    refunds: "Refunds",
    no_refunds: "No refunds.",
    refund: "Refund",
    reason: "Reason",
    left_to_refund: "Left to refund",
    refund_done: "Refund recorded.",
    event_type: "Type",
    delivery: "Delivery",
    attempts: "Attempts",
    last_status: "Last answer",
    retry_now: "Retry now",
    retry_done: "Retry scheduled: the next attempt is now, with the same webhook-id.",
    retry_gone: "That event was delivered meanwhile (or does not exist).",
    delivered: "delivered",
    pending: "pending",
    failed: "failed",
    not_sent: "not sent",
    no_webhooks: "No [webhooks] section is configured: events are only listed here and at GET /admin/events.",
    no_such_order: "No order or session has this reference.",
    refused_form: "This form is out of date or came from another site. Reload the page and try again.",
    amount_format: "in major units, e.g. 5.00",
};

pub const ZH_CN: Words = Words {
    lang: "zh-CN",
    title: "wallet-checkout 控制台",
    sign_in_heading: "登录",
    admin_token: "管理令牌",
    sign_in: "登录",
    sign_out: "退出登录",
    wrong_token: "该令牌不是管理令牌。",
    too_many_tries: "来自您地址的尝试次数过多。请等待一分钟后重试。",
    signed_out_note: "令牌是 [admin] token_env 所指环境变量的值。",
    nav: "控制台",
    payments: "支付",
    webhooks: "Webhook 通知",
    search: "搜索",
    search_hint: "订单号、会话 ID 或网关单号",
    status: "状态",
    any_status: "全部状态",
    apply: "显示",
    order: "订单",
    amount: "金额",
    wallet: "钱包",
    gateway: "网关",
    created: "创建时间",
    next_page: "更早",
    first_page: "最新",
    nothing_found: "没有符合条件的支付。",
    export_csv: "导出 CSV",
    export_from: "开始日期",
    export_to: "结束日期",
    times_utc: "时间均为 UTC。",
    description: "描述",
    metadata: "元数据",
    not_stored: "此订单未由商户后端保存（来自订单查询或演示），下面列出其会话。",
    session: "会话",
    timeline: "时间线",
    gateway_result: "网关最近返回码",
    refunds: "退款",
    no_refunds: "无退款。",
    refund: "退款",
    reason: "原因",
    left_to_refund: "可退金额",
    refund_done: "退款已记录。",
    event_type: "类型",
    delivery: "投递",
    attempts: "尝试次数",
    last_status: "最近响应",
    retry_now: "立即重试",
    retry_done: "已安排重试：下一次尝试立即进行，webhook-id 不变。",
    retry_gone: "该事件已投递（或不存在）。",
    delivered: "已投递",
    pending: "待投递",
    failed: "失败",
    not_sent: "未发送",
    no_webhooks: "未配置 [webhooks]：事件仅在此处和 GET /admin/events 列出。",
    no_such_order: "没有订单或会话使用此订单号。",
    refused_form: "此表单已过期或来自其他网站。请刷新页面后重试。",
    amount_format: "以主单位填写，例如 5.00",
};

/// The language an `Accept-Language` header prefers among English and Simplified Chinese
/// (English when it names neither). `zh`, `zh-CN`, `zh-Hans…` and `zh-SG` are Simplified.
pub fn pick(accept_language: Option<&str>) -> &'static Words {
    let Some(header) = accept_language else {
        return &EN;
    };
    let mut best: Option<(u16, &'static Words)> = None;
    for part in header.split(',').take(32) {
        let mut pieces = part.split(';');
        let tag = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(1000, quality);
        let words = if tag == "zh"
            || tag.starts_with("zh-cn")
            || tag.starts_with("zh-hans")
            || tag.starts_with("zh-sg")
        {
            &ZH_CN
        } else if tag == "en" || tag.starts_with("en-") || tag == "*" {
            &EN
        } else {
            continue;
        };
        if q > 0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, words));
        }
    }
    best.map_or(&EN, |(_, w)| w)
}

/// `q=0.8` as thousandths (800), without floats; unreadable is 0.
fn quality(text: &str) -> u16 {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let whole = match int {
        "1" => return 1000,
        "0" => 0u16,
        _ => return 0,
    };
    let digits: String = frac.chars().take(3).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let padded = format!("{digits:0<3}");
    whole + padded.parse::<u16>().unwrap_or(0)
}

impl Words {
    /// A status in this language.
    pub fn status_word(&self, s: Status) -> &'static str {
        match (self.lang, s) {
            ("zh-CN", Status::Pending) => "待支付",
            ("zh-CN", Status::Succeeded) => "已支付",
            ("zh-CN", Status::Failed) => "失败",
            ("zh-CN", Status::Expired) => "已过期",
            ("zh-CN", Status::Cancelled) => "已取消",
            (_, s) => s.as_str(),
        }
    }

    /// A refund's status in this language.
    pub fn refund_word(&self, s: crate::core::domain::RefundStatus) -> &'static str {
        use crate::core::domain::RefundStatus;
        match (self.lang, s) {
            ("zh-CN", RefundStatus::Processing) => "处理中",
            ("zh-CN", RefundStatus::Succeeded) => "已退款",
            ("zh-CN", RefundStatus::Failed) => "退款失败",
            (_, s) => s.as_str(),
        }
    }

    /// A wallet's name as its market writes it in this language.
    pub fn wallet_word(&self, w: wallet_checkout_protocol::Wallet) -> &'static str {
        use wallet_checkout_protocol::Wallet;
        match (self.lang, w) {
            ("zh-CN", Wallet::Alipay) => "支付宝",
            ("zh-CN", Wallet::WechatPay) => "微信支付",
            ("zh-CN", Wallet::Unionpay) => "银联",
            (_, Wallet::Alipay) => "Alipay",
            (_, Wallet::WechatPay) => "WeChat Pay",
            (_, Wallet::Unionpay) => "UnionPay",
        }
    }

    /// An amount with digit grouping: `CAD 1,234.56` in English, `1,234.56 加元` in Chinese (the
    /// code where the currency has no common Chinese name).
    pub fn money(&self, m: &Money) -> String {
        let decimal = m.to_decimal();
        let (int, frac) = decimal.split_once('.').unwrap_or((&decimal, ""));
        let mut grouped = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if !frac.is_empty() {
            grouped.push('.');
            grouped.push_str(frac);
        }
        if self.lang == "zh-CN" {
            let name = match m.currency.as_str() {
                "CNY" => "元",
                "CAD" => "加元",
                "USD" => "美元",
                "EUR" => "欧元",
                "HKD" => "港元",
                "GBP" => "英镑",
                "JPY" => "日元",
                "AUD" => "澳元",
                other => other,
            };
            format!("{grouped} {name}")
        } else {
            format!("{} {grouped}", m.currency)
        }
    }

    /// An RFC 3339 time as this language writes it, in UTC: `6 Dec 2026, 19:03:05` or
    /// `2026年12月6日 19:03:05`; the text as stored if it does not parse.
    pub fn time(&self, rfc3339: &str) -> String {
        let Some(t) = crate::core::clock::parse_rfc3339(rfc3339) else {
            return rfc3339.to_string();
        };
        let t = t.to_offset(time::UtcOffset::UTC);
        if self.lang == "zh-CN" {
            format!(
                "{}年{}月{}日 {:02}:{:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        } else {
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let month = MONTHS
                .get(usize::from(u8::from(t.month())).saturating_sub(1))
                .copied()
                .unwrap_or_default();
            format!(
                "{} {month} {}, {:02}:{:02}:{:02}",
                t.day(),
                t.year(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_by_quality() {
        for (header, lang) in [
            (None, "en"),
            (Some("zh-CN,zh;q=0.9,en;q=0.8"), "zh-CN"),
            (Some("en-US,en;q=0.9,zh-CN;q=0.8"), "en"),
            (Some("fr-FR,zh;q=0.5"), "zh-CN"),
            (Some("de,fr"), "en"),
            (Some("zh-TW"), "en"),
            (Some("zh-Hans-CN"), "zh-CN"),
            (Some("en;q=0.1, zh;q=0.2"), "zh-CN"),
            (Some("zh;q=0"), "en"),
            (Some("zh;q=nonsense"), "en"),
            (Some(""), "en"),
        ] {
            assert_eq!(pick(header).lang, lang, "{header:?}");
        }
    }

    #[test]
    fn amounts_and_times_are_written_for_the_language() {
        let m = Money::new(123_456_789, "CAD").expect("money");
        assert_eq!(EN.money(&m), "CAD 1,234,567.89");
        assert_eq!(ZH_CN.money(&m), "1,234,567.89 加元");
        assert_eq!(EN.money(&Money::new(500, "JPY").expect("m")), "JPY 500");
        assert_eq!(ZH_CN.money(&Money::new(5, "XYZ").expect("m")), "0.05 XYZ");
        assert_eq!(EN.time("2026-12-06T19:03:05Z"), "6 Dec 2026, 19:03:05");
        assert_eq!(ZH_CN.time("2026-12-06T19:03:05Z"), "2026年12月6日 19:03:05");
        assert_eq!(EN.time("garbage"), "garbage");
    }
}
