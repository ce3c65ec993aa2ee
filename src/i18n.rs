//! The widget's words in English and Simplified Chinese; the locale picks one table.

use wallet_checkout_protocol::{ErrorCode, Wallet};

use crate::machine::ErrorKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    En,
    ZhCn,
}

impl Locale {
    /// `zh`, `zh-CN`, `zh-Hans…` → Chinese; anything else → English.
    pub fn from_tag(tag: &str) -> Locale {
        let t = tag.to_ascii_lowercase();
        if t == "zh" || t.starts_with("zh-cn") || t.starts_with("zh-hans") || t.starts_with("zh-sg")
        {
            Locale::ZhCn
        } else {
            Locale::En
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }
}

#[derive(Debug)]
pub struct Texts {
    pub choose: &'static str,
    pub preparing: &'static str,
    pub waiting: &'static str,
    pub success: &'static str,
    pub failed: &'static str,
    pub expired: &'static str,
    pub cancelled: &'static str,
    pub new_code: &'static str,
    pub try_again: &'static str,
    pub retry: &'static str,
    pub expires_in: &'static str,
    pub qr_label: &'static str,
    pub scan_with: &'static str,
    pub network_error: &'static str,
    pub server_error: &'static str,
    pub setup_error: &'static str,
    pub already_paid: &'static str,
    pub unsupported: &'static str,
    pub continue_to: &'static str,
    pub open_in_app: &'static str,
}

const EN: Texts = Texts {
    choose: "Choose how to pay",
    preparing: "Preparing your payment…",
    waiting: "Waiting for payment…",
    success: "Payment successful",
    failed: "Payment failed",
    expired: "QR code expired",
    cancelled: "Payment cancelled",
    new_code: "Get a new code",
    try_again: "Try again",
    retry: "Retry",
    expires_in: "Expires in",
    qr_label: "QR code to pay",
    scan_with: "Scan with",
    network_error: "We could not reach the shop's server.",
    server_error: "The payment could not be started.",
    setup_error: "This payment option is not set up correctly.",
    already_paid: "This order is already paid.",
    unsupported: "This device cannot make this payment.",
    continue_to: "Continue to",
    open_in_app: "Finish paying in",
};

const ZH_CN: Texts = Texts {
    choose: "请选择支付方式",
    preparing: "正在准备支付…",
    waiting: "等待支付…",
    success: "支付成功",
    failed: "支付失败",
    expired: "二维码已过期",
    cancelled: "支付已取消",
    new_code: "获取新二维码",
    try_again: "重试",
    retry: "重试",
    expires_in: "剩余时间",
    qr_label: "支付二维码",
    scan_with: "请使用以下应用扫码：",
    network_error: "无法连接商户服务器。",
    server_error: "无法发起支付。",
    setup_error: "该支付方式配置有误。",
    already_paid: "该订单已支付。",
    unsupported: "当前设备无法完成此支付。",
    continue_to: "前往",
    open_in_app: "请在以下应用中完成支付：",
};

pub fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::En => &EN,
        Locale::ZhCn => &ZH_CN,
    }
}

impl Texts {
    /// What a person reads for a failure (the developer detail goes to the console and `onError`).
    pub fn failure(&self, kind: ErrorKind, code: Option<ErrorCode>) -> &'static str {
        match (kind, code) {
            (_, Some(ErrorCode::OrderAlreadyPaid)) => self.already_paid,
            (ErrorKind::Network, _) => self.network_error,
            (ErrorKind::Misconfigured, _) => self.setup_error,
            (ErrorKind::Unsupported, _) => self.unsupported,
            (ErrorKind::Api, _) => self.server_error,
        }
    }

    /// Wallet brand names stay in their English form (people and tests look for them).
    pub fn wallet(&self, w: Wallet) -> &'static str {
        w.display_name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_tags() {
        assert_eq!(Locale::from_tag("zh-CN"), Locale::ZhCn);
        assert_eq!(Locale::from_tag("zh-Hans-CN"), Locale::ZhCn);
        assert_eq!(Locale::from_tag("zh"), Locale::ZhCn);
        assert_eq!(Locale::from_tag("en-CA"), Locale::En);
        assert_eq!(Locale::from_tag(""), Locale::En);
    }

    #[test]
    fn success_reads_as_agreed() {
        assert_eq!(texts(Locale::En).success, "Payment successful");
    }
}
